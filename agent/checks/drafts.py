"""The drafts the graph's nodes hand each other: one typed, JSON-able item per section.

One name per concept, from the model's answer to the Story: an item's `citations` are the
evidence sentence ids it rests on (`a3.s7`; the Story cites their articles), a party's
`explanation` says how it benefited or is impacted, and an item's `notes` are the flags it
carries to wherever it ends up (the settle node places them at its final position).
"""

from __future__ import annotations

from typing import (
    Literal,
    NotRequired,  # pydantic needs these on 3.11
)

from typing_extensions import TypedDict

from agent.schemas import Category, FlagSection, Precision, Sentiment


class ItemNote(TypedDict):
    """A flag an item carries: the Flag's kind and message (section and index come from where
    the item ends up)."""

    kind: str
    message: str


class DraftSentence(TypedDict):
    """A summary sentence (the Story's SummarySentence)."""

    text: str
    citations: list[str]
    notes: NotRequired[list[ItemNote]]


class DraftEvent(TypedDict):
    """A dated event (the Story's TimelineEvent)."""

    date: str
    precision: Precision
    event: str
    citations: list[str]
    notes: NotRequired[list[ItemNote]]


class DraftParty(TypedDict):
    """A party that benefited or is impacted (the Story's Party)."""

    party: str
    explanation: str
    citations: list[str]
    notes: NotRequired[list[ItemNote]]


DraftItem = DraftSentence | DraftEvent | DraftParty
DraftSection = Literal["summary", "timeline", "who_benefited", "who_impacted"]
PartySection = Literal["who_benefited", "who_impacted"]


class Classification(TypedDict):
    """The headline, the page category and the sentiment."""

    title: str
    category: Category
    sentiment: Sentiment


class FlagData(TypedDict):
    """A Flag (agent.schemas) as the graph's state carries it: JSON, the same fields."""

    kind: str
    section: FlagSection
    index: int | None
    message: str


def flag(kind: str, section: FlagSection, message: str, index: int | None = None) -> FlagData:
    """A flag for an editor, in the Flag schema's fields."""
    return FlagData(kind=kind, section=section, index=index, message=message)


def note_flag(note: ItemNote, section: FlagSection, index: int) -> FlagData:
    """An item's note, flagged at the item's position."""
    return flag(note["kind"], section, note["message"], index)


class Drafts(TypedDict, total=False):
    """The drafted sections the fact-check reads (the graph's state has them all)."""

    classification: Classification
    summary: list[DraftSentence]
    timeline: list[DraftEvent]
    who_benefited: list[DraftParty]
    who_impacted: list[DraftParty]
