"""The media-bias meter's rules: shares of the rated articles, and THE blindspot rule.

Both the story (assemble) and the article store (`storydesk cluster show`) call these; a rule
that existed twice once gave "left" on the story page and "balanced" in the store.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.schemas import Side

SIDES: tuple[Side, ...] = ("left", "center", "right")

BLINDSPOT_SHARE = 0.1
"""A side (left or right) with at most this share of the rated articles barely covered it."""
BLINDSPOT_MIN_RATED = 3
"""Rated articles (syndicated copies once) needed to call a blindspot, unless one side wrote
every rated article: then the other side's absence is the whole story of the coverage."""

_OPPOSITE: dict[Side, Side] = {"left": "right", "right": "left"}


def shares(counts: Mapping[str, int]) -> dict[Side, float]:
    """Return each side's percentage of the rated articles, rounded to 0.1 (all 0 when none)."""
    rated = sum(counts.get(side, 0) for side in SIDES)
    if not rated:
        return {side: 0.0 for side in SIDES}
    return {side: round(100.0 * counts.get(side, 0) / rated, 1) for side in SIDES}


def blindspot_side(counts: Mapping[str, int]) -> Side | None:
    """Return the one side (left or right) that barely covered a story, or None.

    A side is blind when it wrote at most BLINDSPOT_SHARE of the rated articles while the
    opposite side wrote more; with fewer than BLINDSPOT_MIN_RATED rated articles only a story
    that one side covered alone has a blindspot. When both sides are low (a center-only story)
    neither is named.
    """
    rated = sum(counts.get(side, 0) for side in SIDES)
    if rated == 0:
        return None
    one_side_alone = any(counts.get(side, 0) == rated for side in _OPPOSITE)
    if rated < BLINDSPOT_MIN_RATED and not one_side_alone:
        return None
    blind = [
        side
        for side, opposite in _OPPOSITE.items()
        if counts.get(side, 0) <= BLINDSPOT_SHARE * rated
        and counts.get(opposite, 0) > counts.get(side, 0)
    ]
    return blind[0] if len(blind) == 1 else None
