"""fact_check: every claim of every section against its evidence; conflicts between sources.

It only reports verdicts. The router sends failing claims to revise while the bound allows, and
to settle after it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from langgraph.runtime import Runtime

from agent.checks.claims import run_checks, to_fact_check
from agent.checks.factcheck import Source, best_matches, check_claim
from agent.checks.text import split_sentences
from agent.context import Context, context_of
from agent.llm.gateway import Gateway
from agent.nodes.common import evidence_of, model_verifier
from agent.schemas import FactCheck
from agent.state import CallRecord, StoryState


def fact_check(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Check every claim of the drafts against the evidence; report the verdicts."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    calls: list[CallRecord] = []
    verifier = (
        model_verifier(context.get_gateway(), calls)
        if context.get_settings().use_model_verdicts
        else None
    )
    checked, conflicts = run_checks(state, evidence, verifier)
    return {"fact_check": to_fact_check(checked, conflicts).model_dump(mode="json"), "calls": calls}


def check_summary(
    document: str,
    summary: str,
    *,
    gateway: Gateway | None,
    now: datetime,
    use_model: bool = True,
) -> FactCheck:
    """Check a free-standing summary against one document (the SummEdits task).

    The summary is split into sentences; each is held to the document sentences that share
    most of its words, with the same rules and model verdict the graph uses.
    """
    pool = [
        Source("doc", f"doc.s{i}", text, now) for i, text in enumerate(split_sentences(document), 1)
    ]
    verifier = model_verifier(gateway) if (gateway is not None and use_model) else None
    checked = []
    for index, sentence in enumerate(split_sentences(summary) or [summary]):
        cited = best_matches(sentence, pool, k=2)
        result = check_claim(sentence, cited, pool, verifier=verifier)
        checked.append(("summary", index, {"text": sentence}, sentence, result))
    return to_fact_check(checked, [])  # type: ignore[arg-type]
