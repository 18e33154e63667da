"""draft_summary: a neutral summary whose every sentence cites the evidence it rests on."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from agent.context import Context, context_of
from agent.extractive import SummaryLine, extractive_summary, redundant
from agent.factcheck import SUPPORTED_OVERLAP, Source, rule_check
from agent.nodes.common import evidence_of, id_enum, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.state import Evidence, StoryState
from agent.text import not_reporting, words

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


def is_prose(text: str, minimum_words: int = 4) -> bool:
    """True for a real sentence: enough words, not just a date or a list of ids."""
    return len([w for w in words(text) if len(w) > 1]) >= minimum_words


def model_lines(
    evidence: Evidence, items: list[Any], known_names: str
) -> tuple[list[SummaryLine], list[str]]:
    """The model's sentences that the fact-check rules accept and that repeat nothing."""
    index = evidence.sentence_index()
    accepted: list[SummaryLine] = []
    rejected: list[str] = []
    for item in items:
        text = " ".join(item.text.split())
        cites = [c for c in dict.fromkeys(item.cites) if c in index]
        # A summary sentence is a sentence: a headline fragment does not count.
        if not (is_prose(text) and text.rstrip("\"”’')").endswith((".", "!", "?")) and cites):
            rejected.append(text)
            continue
        sources = [
            Source(index[c][0].id, c, index[c][1].text, index[c][0].published_at) for c in cites
        ]
        problems, _, share = rule_check(text, sources, known_names=known_names)
        if (
            problems
            or share < SUPPORTED_OVERLAP
            or not_reporting(text) is not None
            or redundant(text, [line.text for line in accepted])
        ):
            rejected.append(text)
            continue
        accepted.append(
            SummaryLine(
                text,
                cites,
                (
                    "model",
                    "written by the model; the rules "
                    "found every name, figure and date in its "
                    "evidence",
                ),
            )
        )
    return accepted, rejected


def draft_summary(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """The model's checked sentences first, then an extractive multi-document summary."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    prompt = with_prefix(context, evidence, load_prompt("summary").render())
    draft, calls, flags = try_ask(
        context, "draft_summary", prompt, summary_model(evidence), max_tokens=600, section="summary"
    )
    known = " ".join(f"{a.outlet} {a.title}" for a in evidence.articles)
    items = list(draft.sentences) if draft is not None else []  # type: ignore[attr-defined]
    accepted, rejected = model_lines(evidence, items, known)
    lines = extractive_summary(evidence, keep=accepted)
    if rejected:
        flags.append(
            {
                "kind": "extractive",
                "section": "summary",
                "index": None,
                "message": f"{len(rejected)} of the model's {len(items)} sentences failed the "
                "fact-check rules or repeated another; the summary is built from the sources' "
                "own sentences (shared facts first, then what each side adds)",
            }
        )
    summary = []
    for line in lines:
        entry: dict[str, Any] = {"text": line.text, "sentences": line.sentences}
        if line.origin is not None and line.origin[0] != "model":
            entry["origin"] = list(line.origin)
        summary.append(entry)
    return {"summary": summary, "calls": calls, "flags": flags}
