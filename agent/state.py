"""The graph's state: a TypedDict of JSON-able values, with pydantic models at node edges."""

from __future__ import annotations

import operator
from typing import Annotated

from pydantic import JsonValue
from typing_extensions import TypedDict  # pydantic (and so LangGraph Studio) needs it on 3.11

from agent.checks.drafts import Classification, DraftEvent, DraftParty, DraftSentence, FlagData

JSONObject = dict[str, JsonValue]
"""A pydantic model as JSON (model_dump(mode="json")); nodes validate it back at their edges."""


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


def _merge(left: dict[str, str] | None, right: dict[str, str] | None) -> dict[str, str]:
    return {**(left or {}), **(right or {})}


class InputState(TypedDict, total=False):
    """What a caller passes: a cluster, or the id of one in the article store."""

    cluster: JSONObject
    """A Cluster, as JSON."""
    cluster_id: str


class StoryState(InputState, total=False):
    """Everything the graph's nodes read and write (the drafts are agent.checks.drafts)."""

    evidence: JSONObject
    """Evidence, as JSON."""
    summary: list[DraftSentence]
    timeline: list[DraftEvent]
    who_benefited: list[DraftParty]
    who_impacted: list[DraftParty]
    classification: Classification
    section_notes: Annotated[dict[str, str], _merge]
    fact_check: JSONObject
    """FactCheck, as JSON, for the current drafts."""
    revisions: int
    """Revise rounds done so far."""
    flags: Annotated[list[FlagData], operator.add]
    calls: Annotated[list[CallRecord], operator.add]
    started_at: float
    story: JSONObject
    """The current revision of the Story, as JSON."""
    history: Annotated[list[JSONObject], operator.add]
    """Every revision of the story, oldest first; nothing is overwritten."""
    decision: JSONObject
    """The editor's last ReviewDecision, as JSON."""


class OutputState(TypedDict, total=False):
    story: JSONObject
    history: list[JSONObject]
