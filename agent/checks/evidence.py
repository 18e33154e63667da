"""The numbered evidence of a cluster: articles split into sentences that every step cites."""

from __future__ import annotations

from datetime import datetime

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
