"""revise: rewrite only the failing claims, given the fact-check's reasons and the evidence."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from agent.checks.claims import failing, sources_of
from agent.checks.factcheck import best_matches
from agent.checks.text import is_prose
from agent.context import Context, context_of
from agent.errors import ModelOutputError
from agent.nodes.common import evidence_of, failed_record, record, with_prefix
from agent.prompts import load_prompt
from agent.state import StoryState

MAX_REWRITES = 6
"""Rewrites per round; the rest fall back after the bound like any failing claim."""


class Rewrite(BaseModel):
    text: str = Field(min_length=1, max_length=300)


def revise(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Rewrite each failing claim once with its reasons; the next fact_check judges it."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    sources = sources_of(evidence)
    pool = list(sources.values())
    gateway = context.get_gateway()
    data: dict[str, Any] = dict(state)
    drafts = {
        s: [dict(i) for i in data.get(s) or []]
        for s in ("summary", "timeline", "who_benefited", "who_impacted")
    }
    classification = dict(state.get("classification") or {})
    calls = []
    for claim in failing(state["fact_check"])[:MAX_REWRITES]:
        section, index = claim["section"], claim["index"]
        if section == "title":
            item_sentences: list[str] = []
        else:
            item_sentences = drafts[section][index].get("sentences", [])
        cited = [sources[s] for s in item_sentences if s in sources]
        shown = list(dict.fromkeys(cited + best_matches(claim["claim"], pool, k=2)))
        task = load_prompt("revise").render(
            claim=claim["claim"],
            problems=claim["note"] or claim["verdict"],
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
            classification["title"] = text
        elif section == "summary":
            drafts[section][index]["text"] = text
        elif section == "timeline":
            drafts[section][index]["event"] = text
        else:
            drafts[section][index]["explanation"] = text
        if section != "title":
            drafts[section][index]["sentences"] = list(
                dict.fromkeys(item_sentences + [s.sentence_id for s in shown[:1]])
            )
    return {
        **drafts,
        "classification": classification,
        "revisions": state.get("revisions", 0) + 1,
        "calls": calls,
    }
