"""The graph's state: a TypedDict of JSON-able values, with pydantic models at node edges."""

from __future__ import annotations

import operator
from typing import Annotated, Any

from typing_extensions import TypedDict  # pydantic (and so LangGraph Studio) needs it on 3.11


class CallRecord(TypedDict):
    """One model call, for provenance."""

    node: str
    prompt_id: str
    prompt: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    cached: bool
    failed: bool
    """The model's output stayed invalid; the node fell back to the evidence."""


def _merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    return {**(left or {}), **(right or {})}


class InputState(TypedDict, total=False):
    """What a caller passes: a cluster, or the id of one in the article store."""

    cluster: dict[str, Any]
    cluster_id: str


class StoryState(InputState, total=False):
    """Everything the graph's nodes read and write."""

    evidence: dict[str, Any]
    """Evidence, as JSON."""
    summary: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    who_benefited: list[dict[str, Any]]
    who_impacted: list[dict[str, Any]]
    classification: dict[str, Any]
    """title, category, sentiment."""
    section_notes: Annotated[dict[str, str], _merge]
    fact_check: dict[str, Any]
    """FactCheck, as JSON, for the current drafts."""
    revisions: int
    """Revise rounds done so far."""
    flags: Annotated[list[dict[str, Any]], operator.add]
    calls: Annotated[list[CallRecord], operator.add]
    started_at: float
    story: dict[str, Any]
    """The current revision of the story."""
    history: Annotated[list[dict[str, Any]], operator.add]
    """Every revision of the story, oldest first; nothing is overwritten."""
    decision: dict[str, Any]
    """The editor's last decision."""


class OutputState(TypedDict, total=False):
    story: dict[str, Any]
    history: list[dict[str, Any]]
