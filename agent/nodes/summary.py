"""draft_summary: a neutral summary whose every sentence cites the evidence it rests on."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from agent.checks.evidence import Evidence
from agent.checks.extractive import SummaryLine, extractive_summary, redundant
from agent.checks.text import is_prose, not_reporting
from agent.context import Context, context_of
from agent.nodes.common import evidence_of, id_enum, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.state import StoryState

MAX_SENTENCES = 5


def summary_model(evidence: Evidence) -> type[BaseModel]:
    """The schema the model fills: sentence ids first (chosen), then the text (phrased)."""
    cites: Any = list[id_enum(evidence.selected)]  # type: ignore[misc]
    item = create_model(
        "SummaryItem",
        cites=(cites, Field(min_length=1, max_length=3)),
        text=(str, Field(min_length=1, max_length=320)),
    )
    return create_model(
        "SummaryDraft",
        sentences=(list[item], Field(min_length=1, max_length=MAX_SENTENCES)),  # type: ignore[valid-type]
    )


def model_lines(evidence: Evidence, items: list[Any]) -> tuple[list[SummaryLine], list[str]]:
    """The model's sentences that go to the fact-check: prose, news, saying nothing twice.

    Whether each stands is the fact-check's call (rules, then the model's verdict where the
    settings ask for it, then revise and fallback); here only what can never stand is dropped.
    """
    index = evidence.sentence_index()
    kept: list[SummaryLine] = []
    dropped: list[str] = []
    for item in items:
        text = " ".join(item.text.split())
        cites = [c for c in dict.fromkeys(item.cites) if c in index]
        # A summary sentence is a sentence: a headline fragment does not count.
        if (
            not (is_prose(text) and text.rstrip("\"”’')").endswith((".", "!", "?")) and cites)
            or not_reporting(text) is not None
            or redundant(text, [line.text for line in kept])
        ):
            dropped.append(text)
            continue
        kept.append(SummaryLine(text, cites))
    return kept, dropped


def draft_summary(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """The model's checked sentences first, then an extractive multi-document summary."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    prompt = with_prefix(context, evidence, load_prompt("summary").render())
    draft, calls, flags = try_ask(
        context, "draft_summary", prompt, summary_model(evidence), max_tokens=600, section="summary"
    )
    items = list(draft.sentences) if draft is not None else []  # type: ignore[attr-defined]
    accepted, rejected = model_lines(evidence, items)
    lines = extractive_summary(evidence, keep=accepted)
    if rejected:
        flags.append(
            {
                "kind": "extractive",
                "section": "summary",
                "index": None,
                "message": f"{len(rejected)} of the model's {len(items)} sentences were not "
                "prose, not news or repeated another; the rest of the summary is built from the "
                "sources' own sentences (shared facts first, then what each side adds)",
            }
        )
    summary = []
    for line in lines:
        entry: dict[str, Any] = {"text": line.text, "sentences": line.sentences}
        if line.origin is not None:
            entry["origin"] = list(line.origin)
        summary.append(entry)
    return {"summary": summary, "calls": calls, "flags": flags}
