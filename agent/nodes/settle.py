"""settle: after the revise bound, what still fails is replaced by its evidence or removed.

Chosen by the router once revising may go no further (or nothing fails): nothing unsupported
reaches the story unmarked, and every flag sits beside the item it concerns.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.checks.claims import remembered
from agent.checks.claims import settle as settle_claims
from agent.context import Context, context_of
from agent.nodes.common import evidence_of, model_verifier
from agent.state import CallRecord, StoryState


def settle(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Settle the fact-check: fall back or remove what fails; flag every change."""
    context = context_of(runtime)
    calls: list[CallRecord] = []
    evidence = evidence_of(state)
    verifier = (
        model_verifier(context.get_gateway(), calls, context=context, evidence=evidence)
        if context.get_settings().use_model_verdicts
        else None
    )
    update = settle_claims(state, evidence, remembered(state.get("fact_check") or {}, verifier))
    return {**update, "calls": calls}
