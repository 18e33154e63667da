"""classify: category from the page's list, sentiment, and a neutral headline."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from agent.context import Context, context_of
from agent.nodes.common import evidence_of, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.schemas import CATEGORIES, Category, Sentiment
from agent.state import Evidence


class Classification(BaseModel):
    """The model's answer: the headline first, then category and sentiment."""

    title: str = Field(min_length=3, max_length=120)
    category: Category
    sentiment: Sentiment


def fallback_title(evidence: Evidence) -> str:
    """A headline from the sources: the first center-rated article's, else the first one's."""
    originals = evidence.originals()
    for article in originals:
        if article.side == "center":
            return article.title
    return originals[0].title


def classify(state: dict[str, Any], runtime: Runtime[Context]) -> dict[str, Any]:
    """Ask for headline, category and sentiment."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    task = load_prompt("classify").render(categories=", ".join(CATEGORIES))
    answer, calls, flags = try_ask(
        context, "classify", with_prefix(context, evidence, task), Classification,
        max_tokens=120, section="title",
    )
    if answer is None:
        # No headline from the model: a source's own, and the most general labels.
        answer = Classification(title=fallback_title(evidence), category="General", sentiment="neutral")
    title = " ".join(answer.title.split()).strip(" .\"'")
    return {
        "classification": {
            "title": title,
            "category": answer.category,
            "sentiment": answer.sentiment,
        },
        "calls": calls,
        "flags": flags,
    }

