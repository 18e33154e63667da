"""Routers: pure, typed and bounded."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime

from agent.context import Context, context_of
from agent.nodes.fact_check import failing
from agent.state import StoryState


def route_after_fact_check(
    state: StoryState, runtime: Runtime[Context]
) -> Literal["revise", "assemble"]:
    """Revise while claims fail and the bound allows; otherwise assemble."""
    bound = context_of(runtime).get_settings().max_revisions
    if failing(state.get("fact_check") or {}) and state.get("revisions", 0) < bound:
        return "revise"
    return "assemble"


def route_after_review(state: StoryState) -> Literal["human_review", "finalize"]:
    """An edit is a new revision that goes back to the editor; approve or reject ends."""
    decision = state.get("decision") or {}
    return "human_review" if decision.get("action") == "edit" else "finalize"
