"""settle: after the revise bound, what still fails is replaced by its evidence or removed.

Chosen by the router once revising may go no further (or nothing fails): nothing unsupported
reaches the story unmarked, and every flag sits beside the item it concerns.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.checks.claims import Settled, remembered
from agent.checks.claims import settle as settle_claims
from agent.context import Context, context_of
from agent.nodes.common import evidence_of, run_verifier
from agent.schemas import FactCheck
from agent.state import CallRecord, StoryState


class SettleUpdate(Settled, total=False):
    calls: list[CallRecord]


def settle(state: StoryState, runtime: Runtime[Context]) -> SettleUpdate:
    """Settle the fact-check: fall back or remove what fails; flag every change."""
    context = context_of(runtime)
    calls: list[CallRecord] = []
    evidence = evidence_of(state)
    verifier = run_verifier(context, calls, evidence)
    checked = FactCheck.model_validate(state["fact_check"]) if "fact_check" in state else None
    settled = settle_claims(state, evidence, remembered(checked, verifier))
    return {**settled, "calls": calls}
