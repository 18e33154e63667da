"""classify: category from the page's list, sentiment, and a neutral headline."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from agent.checks.claims import fallback_title
from agent.checks.evidence import Evidence
from agent.checks.text import words
from agent.context import Context, context_of
from agent.nodes.common import evidence_of, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.schemas import CATEGORIES, Category, Sentiment
from agent.state import StoryState


class Classification(BaseModel):
    """The model's answer: the headline first, then category and sentiment."""

    title: str = Field(min_length=3, max_length=120)
    category: Category
    sentiment: Sentiment


_NEGATIVE = frozenset(
    "killed died dead death deaths injured wounded capsized crash crashed disaster attack attacks "
    "war bombing shooting flood floods fire fires collapse collapsed arrested charged fraud "
    "victims casualties destroyed evacuated outbreak recession layoffs".split()
)
_POSITIVE = frozenset(
    "won win wins victory celebrated celebrate record breakthrough recovered rescued growth "
    "improved improves cure award awarded agreement peace".split()
)


def sentiment_cues(evidence: Evidence) -> tuple[int, int]:
    """Count clearly negative and clearly positive words in the evidence."""
    index = evidence.sentence_index()
    words_in = [w for sid in evidence.selected for w in words(index[sid][1].text)]
    return sum(w in _NEGATIVE for w in words_in), sum(w in _POSITIVE for w in words_in)


def sentiment_flags(evidence: Evidence, sentiment: str) -> list[dict[str, Any]]:
    """Flag a sentiment the evidence's own words clearly argue against (the editor decides)."""
    negative, positive = sentiment_cues(evidence)
    if sentiment == "positive" and negative >= 3 and negative > 2 * positive:
        reason = (
            f"{negative} clearly negative words (killed, disaster, …) against {positive} positive"
        )
    elif sentiment == "negative" and positive >= 3 and positive > 2 * negative:
        reason = f"{positive} clearly positive words against {negative} negative"
    else:
        return []
    return [
        {
            "kind": "sentiment",
            "section": "title",
            "index": None,
            "message": f"sentiment {sentiment!r} is doubtful: the sources use {reason}",
        }
    ]


def classify(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Ask for headline, category and sentiment."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    task = load_prompt("classify").render(categories=", ".join(CATEGORIES))
    answer, calls, flags = try_ask(
        context,
        "classify",
        with_prefix(context, evidence, task),
        Classification,
        max_tokens=120,
        section="title",
    )
    if answer is None:
        # No headline from the model: a source's own, and the most general labels.
        answer = Classification(
            title=fallback_title(evidence), category="General", sentiment="neutral"
        )
    title = " ".join(answer.title.split()).strip(" .\"'")
    return {
        "classification": {
            "title": title,
            "category": answer.category,
            "sentiment": answer.sentiment,
        },
        "calls": calls,
        "flags": flags + sentiment_flags(evidence, answer.sentiment),
    }
