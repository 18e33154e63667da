"""Routers: pure, typed and bounded."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime

from agent.checks.claims import failing
from agent.context import Context, context_of
from agent.schemas import FactCheck
from agent.state import StoryState


def route_after_fact_check(
    state: StoryState, runtime: Runtime[Context]
) -> Literal["revise", "settle"]:
    """Revise while claims fail and the bound allows; otherwise settle what is left.

    The bound lives here and nowhere else: settle is the node for "the bound is reached".
    """
    bound = context_of(runtime).get_settings().max_revisions
    checked = FactCheck.model_validate(state["fact_check"]) if "fact_check" in state else None
    if checked is not None and failing(checked) and state.get("revisions", 0) < bound:
        return "revise"
    return "settle"


def route_after_review(state: StoryState) -> Literal["human_review", "finalize"]:
    """An edit is a new revision that goes back to the editor; approve or reject ends."""
    decision = state.get("decision") or {}
    return "human_review" if decision.get("action") == "edit" else "finalize"
