"""The graph's state: a TypedDict of JSON-able values, with pydantic models at node edges."""

from __future__ import annotations

import operator
from datetime import datetime
from typing import Annotated, Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from agent.schemas import Lean, Side


class Sentence(BaseModel):
    """A numbered sentence of an article: what every later step cites."""

    model_config = ConfigDict(extra="forbid")
    id: str
    """`a3.s7`: article id, then the sentence's position (from 1)."""
    text: str
    position: int


class EvidenceArticle(BaseModel):
    """An article as the screen step prepared it."""

    model_config = ConfigDict(extra="forbid")
    id: str
    outlet: str
    title: str
    url: str | None
    published_at: datetime
    lean: Lean
    side: Side | None
    duplicate_of: str | None = None
    """Set for a syndicated copy; its sentences are not evidence (the original's are)."""
    sentences: list[Sentence] = Field(default_factory=list)


class Evidence(BaseModel):
    """All the evidence of a cluster, numbered and budgeted."""

    model_config = ConfigDict(extra="forbid")
    cluster_id: str
    articles: list[EvidenceArticle]
    selected: list[str]
    """Sentence ids that fit the budget, in reading order: what the prompts show."""
    budget_tokens: int
    used_tokens: int
    dropped_sentences: int

    def sentence_index(self) -> dict[str, tuple[EvidenceArticle, Sentence]]:
        return {s.id: (a, s) for a in self.articles for s in a.sentences}

    def article(self, article_id: str) -> EvidenceArticle:
        for article in self.articles:
            if article.id == article_id:
                return article
        raise KeyError(article_id)

    def originals(self) -> list[EvidenceArticle]:
        return [a for a in self.articles if a.duplicate_of is None]


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
