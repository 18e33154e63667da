"""revise: rewrite only the failing claims, given the fact-check's reasons and the evidence."""

from __future__ import annotations

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from agent.checks.claims import failing, items_of, sources_of
from agent.checks.drafts import Classification, DraftEvent, DraftParty, DraftSentence
from agent.checks.factcheck import best_matches
from agent.checks.text import is_prose
from agent.context import Context, context_of
from agent.errors import ModelOutputError
from agent.nodes.common import evidence_of, failed_record, record, with_prefix
from agent.prompts import load_prompt
from agent.schemas import FactCheck
from agent.state import CallRecord, StoryState

MAX_REWRITES = 6
"""Rewrites per round; the rest fall back after the bound like any failing claim."""


class Rewrite(BaseModel):
    text: str = Field(min_length=1, max_length=300)


class ReviseUpdate(TypedDict, total=False):
    summary: list[DraftSentence]
    timeline: list[DraftEvent]
    who_benefited: list[DraftParty]
    who_impacted: list[DraftParty]
    classification: Classification
    revisions: int
    calls: list[CallRecord]


def revise(state: StoryState, runtime: Runtime[Context]) -> ReviseUpdate:
    """Rewrite each failing claim once with its reasons; the next fact_check judges it."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    sources = sources_of(evidence)
    pool = list(sources.values())
    gateway = context.get_gateway()
    drafts = ReviseUpdate(
        summary=[i.copy() for i in state.get("summary") or []],
        timeline=[i.copy() for i in state.get("timeline") or []],
        who_benefited=[i.copy() for i in state.get("who_benefited") or []],
        who_impacted=[i.copy() for i in state.get("who_impacted") or []],
    )
    calls: list[CallRecord] = []
    for claim in failing(FactCheck.model_validate(state["fact_check"]))[:MAX_REWRITES]:
        section, index = claim.section, claim.index
        if section == "title":
            item_citations: list[str] = []
        else:
            item_citations = items_of(drafts, section)[index]["citations"]
        cited = [sources[s] for s in item_citations if s in sources]
        shown = list(dict.fromkeys(cited + best_matches(claim.claim, pool, k=2)))
        task = load_prompt("revise").render(
            claim=claim.claim,
            problems=claim.note or claim.verdict,
            evidence="\n".join(f"[{s.sentence_id}] {s.text}" for s in shown),
        )
        prompt = with_prefix(context, evidence, task)  # the prefix the drafters prefilled
        try:
            result = gateway.structured(prompt, Rewrite, max_tokens=200)
        except ModelOutputError as error:
            calls.append(failed_record("revise", prompt, error))
            continue  # no usable rewrite: the bound's fallback settles this claim
        calls.append(record("revise", result))
        text = " ".join(result.value.text.split())
        if not is_prose(text, 3):
            continue  # keep the old text; the bound's fallback will settle it
        if section == "title":
            drafts["classification"] = {**state["classification"], "title": text}
            continue
        if section == "summary":
            drafts["summary"][index]["text"] = text
        elif section == "timeline":
            drafts["timeline"][index]["event"] = text
        else:
            drafts[section][index]["explanation"] = text
        items_of(drafts, section)[index]["citations"] = list(
            dict.fromkeys(item_citations + [s.sentence_id for s in shown[:1]])
        )
    drafts["revisions"] = state.get("revisions", 0) + 1
    drafts["calls"] = calls
    return drafts
