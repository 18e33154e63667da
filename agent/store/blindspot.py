"""Blindspots: stories one side of the spectrum barely covers.

Which side "barely covered" a story is the meter's one rule (`agent.checks.meter.blindspot_side`),
the same the story page uses. Whether that means the
side ignored the story or the store simply holds few feeds from it is a different question,
so the report also says how many rated outlets of each side the store holds, overall and
publishing around the story's dates.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from agent.checks.meter import BLINDSPOT_MIN_RATED, blindspot_side
from agent.schemas import Side

MIN_OUTLETS = 2
"""Rated outlets of a side, publishing around the story's dates, needed to trust a blindspot."""


class SideCounts(BaseModel):
    """A number per side of the spectrum."""

    left: int = 0
    center: int = 0
    right: int = 0


class BlindspotReport(BaseModel):
    """Whether a cluster is a blindspot, with the figures a reader needs to judge it."""

    cluster_id: str
    side: Side | None = Field(description="The side that barely covered the story, if any.")
    verdict: Literal["blindspot", "missing feeds", "balanced", "too few articles"]
    articles: SideCounts = Field(description="The cluster's articles per side (copies once).")
    unrated: int = Field(description="Articles from mixed or unrated outlets.")
    outlets_in_store: SideCounts = Field(description="Rated outlets per side the store holds.")
    outlets_active: SideCounts = Field(
        description="Rated outlets per side with articles around the story's dates."
    )
    note: str


def judge(
    cluster_id: str,
    articles: SideCounts,
    unrated: int,
    outlets_in_store: SideCounts,
    outlets_active: SideCounts,
    window_days: float,
) -> BlindspotReport:
    """Decide between blindspot, missing feeds, balanced and too few articles."""
    counts = articles.model_dump()
    rated = sum(counts.values())
    side = blindspot_side(counts)
    if side is None and rated < BLINDSPOT_MIN_RATED:
        verdict: Literal["blindspot", "missing feeds", "balanced", "too few articles"] = (
            "too few articles"
        )
        note = f"only {rated} rated article(s); a blindspot needs at least {BLINDSPOT_MIN_RATED}"
    elif side is None:
        verdict = "balanced"
        note = "no side is missing from the coverage"
    else:
        active = getattr(outlets_active, side)
        if active >= MIN_OUTLETS:
            verdict = "blindspot"
            note = (
                f"{counts[side]} of {rated} rated articles come from the {side}, although the "
                f"store holds {active} {side}-rated outlet(s) publishing within "
                f"{window_days:g} days of the story"
            )
        else:
            verdict = "missing feeds"
            note = (
                f"{counts[side]} of {rated} rated articles come from the {side}, but the store "
                f"holds only {active} {side}-rated outlet(s) publishing within {window_days:g} "
                f"days of the story ({getattr(outlets_in_store, side)} overall); add {side} "
                "feeds before calling this a blindspot"
            )
    return BlindspotReport(
        cluster_id=cluster_id,
        side=side,
        verdict=verdict,
        articles=articles,
        unrated=unrated,
        outlets_in_store=outlets_in_store,
        outlets_active=outlets_active,
        note=note,
    )
