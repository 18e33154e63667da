"""draft_summary: a neutral summary whose every sentence cites the evidence it rests on."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from agent.checks.evidence import Evidence
from agent.checks.text import is_prose, normalize
from agent.context import Context, context_of
from agent.nodes.common import evidence_of, id_enum, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.state import StoryState

MAX_SENTENCES = 5
MIN_SENTENCES = 3


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


def lead_summary(evidence: Evidence, limit: int = 3) -> list[dict[str, Any]]:
    """An extractive summary from the articles' lead sentences, true by construction."""
    chosen: list[dict[str, Any]] = []
    seen: set[str] = set()
    for article in evidence.originals():
        for sentence in article.sentences:
            if sentence.id in evidence.selected and is_prose(sentence.text):
                key = normalize(sentence.text).lower()
                if key not in seen:
                    seen.add(key)
                    chosen.append({"text": sentence.text, "sentences": [sentence.id]})
                break
        if len(chosen) >= limit:
            break
    return chosen


def draft_summary(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Ask the model for the summary; keep the sentences that are prose and cite evidence."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    prompt = with_prefix(context, evidence, load_prompt("summary").render())
    draft, calls, flags = try_ask(
        context, "draft_summary", prompt, summary_model(evidence), max_tokens=600, section="summary"
    )
    sentences: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in draft.sentences if draft is not None else []:  # type: ignore[attr-defined]
        text = " ".join(item.text.split())
        key = normalize(text).lower()
        # A summary sentence is a sentence: a headline fragment does not count.
        if is_prose(text) and text.rstrip("\"”’')").endswith((".", "!", "?")) and key not in seen:
            seen.add(key)
            sentences.append({"text": text, "sentences": list(dict.fromkeys(item.cites))})
    if len(sentences) < MIN_SENTENCES:
        # Too little usable prose from the model: the articles' leads complete the summary.
        added = [
            lead
            for lead in lead_summary(evidence, limit=MIN_SENTENCES + len(sentences))
            if normalize(lead["text"]).lower() not in seen
        ][: MIN_SENTENCES - len(sentences)]
        for lead in added:
            # Flagged where it finally stands, once the fact-check has settled the summary.
            lead["origin"] = [
                "fallback",
                "the model gave too few usable sentences; this lead "
                "sentence of an article was added verbatim",
            ]
        sentences.extend(added)
    return {"summary": balance_sides(evidence, sentences), "calls": calls, "flags": flags}


def balance_sides(evidence: Evidence, sentences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every side that covered the story a voice: add a lead of each side not cited."""
    side_of = {a.id: a.side for a in evidence.originals()}
    cited = {side_of.get(sid.rsplit(".s", 1)[0]) for item in sentences for sid in item["sentences"]}
    seen = {normalize(item["text"]).lower() for item in sentences}
    selected = set(evidence.selected)
    for side in ("left", "center", "right"):
        if side in cited:
            continue
        for article in evidence.originals():
            if article.side != side:
                continue
            lead = next(
                (s for s in article.sentences if s.id in selected and is_prose(s.text)), None
            )
            if lead is None or normalize(lead.text).lower() in seen:
                continue
            note = (
                f"the draft cited no {side}-leaning source; the lead of {article.outlet} "
                f"({article.id}) was added verbatim"
            )
            sentences.append(
                {"text": lead.text, "sentences": [lead.id], "origin": ["balance", note]}
            )
            seen.add(normalize(lead.text).lower())
            break
    return sentences
