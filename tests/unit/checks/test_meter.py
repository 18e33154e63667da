"""The bias meter's rules: shares over rated articles only, and the one blindspot rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.checks.evidence import Evidence, EvidenceArticle
from agent.checks.meter import blindspot_side, shares
from agent.nodes.assemble import bias_meter, blindspot_of
from agent.schemas import Lean, side_of

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
LEANS: list[Lean] = ["left", "lean-left", "center", "lean-right", "right", "mixed", "unrated"]


def evidence_of(leans: list[Lean], copies: int = 0) -> Evidence:
    """A cluster with one article per lean (outlet o<i>), plus `copies` syndicated copies of a0."""
    articles = [
        EvidenceArticle(
            id=f"a{i}",
            outlet=f"o{i}",
            title=f"t{i}",
            url=None,
            published_at=T0,
            lean=lean,
            side=side_of(lean),
        )
        for i, lean in enumerate(leans)
    ]
    for n in range(copies if articles else 0):
        articles.append(
            articles[0].model_copy(update={"id": f"c{n}", "outlet": f"w{n}", "duplicate_of": "a0"})
        )
    return Evidence(
        cluster_id="c",
        articles=articles,
        selected=[],
        budget_tokens=0,
        used_tokens=0,
        dropped_sentences=0,
    )


@given(st.lists(st.sampled_from(LEANS), max_size=40), st.integers(0, 3))
def test_shares_sum_to_100_over_rated_articles_or_are_all_zero(
    leans: list[Lean], copies: int
) -> None:
    bias = bias_meter(evidence_of(leans, copies))
    rated = [side_of(lean) for lean in leans if side_of(lean) is not None]
    percent = bias.distribution.model_dump()
    assert bias.unrated == len(leans) - len(rated)
    assert (bias.left, bias.center, bias.right) == tuple(
        rated.count(side) for side in ("left", "center", "right")
    )
    if not rated:
        assert percent == {"left": 0.0, "center": 0.0, "right": 0.0}
        return
    # Three shares each rounded to 0.1 sum to 100 within rounding.
    assert abs(sum(percent.values()) - 100.0) <= 0.15 + 1e-9
    for side in ("left", "center", "right"):
        assert percent[side] == pytest.approx(
            100.0 * rated.count(side) / len(rated), abs=0.05 + 1e-9
        )


@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))
def test_unrated_articles_change_no_share(left: int, center: int, right: int, unrated: int) -> None:
    counts = {"left": left, "center": center, "right": right}
    assert shares({**counts, "unrated": unrated}) == shares(counts)


@pytest.mark.parametrize(
    ("left", "center", "right", "side"),
    [
        (0, 6, 4, "left"),  # the left wrote nothing, the right 40%
        (1, 5, 4, "left"),  # exactly 10% is "at most 10%": still blind
        (4, 5, 1, "right"),
        (2, 6, 2, None),  # 20% each: nobody is blind
        (1, 8, 1, None),  # both sides low (a center story): neither is named
        (0, 3, 0, None),  # center only
        (1, 3, 0, "right"),  # the shipped Koizumi example
        (0, 1, 1, None),  # two rated articles, both sides present: too few to call
        (0, 0, 2, "left"),  # one side wrote every rated article: the other's absence counts
        (0, 0, 0, None),
    ],
)
def test_the_blindspot_rule_at_its_boundaries(
    left: int, center: int, right: int, side: str | None
) -> None:
    counts = {"left": left, "center": center, "right": right}
    assert blindspot_side(counts) == side
    leans: list[Lean] = ["left"] * left + ["center"] * center + ["right"] * right
    # The story (assemble) applies the same rule to the same counts.
    assert blindspot_of(bias_meter(evidence_of(leans))) == side


def test_fewer_rated_articles_than_the_minimum_name_no_blindspot() -> None:
    assert blindspot_side({"left": 0, "center": 2, "right": 0}) is None
    assert blindspot_side({"left": 0, "center": 1, "right": 1}) is None
    assert blindspot_side({"left": 0, "center": 2, "right": 1}) == "left"


def test_a_side_missing_from_the_counts_counts_as_zero() -> None:
    # Callers may pass only the sides that have articles.
    assert shares({"left": 1}) == {"left": 100.0, "center": 0.0, "right": 0.0}
    assert shares({}) == {"left": 0.0, "center": 0.0, "right": 0.0}
    assert blindspot_side({"center": 5, "right": 5}) == "left"
    assert blindspot_side({"left": 2}) == "right"
    assert blindspot_side({"center": 3}) is None
    assert blindspot_side({"left": 0, "center": 5}) is None
    assert blindspot_side({}) is None
    # A missing side adds nothing to the rated total, nor to the side it is compared with.
    assert blindspot_side({"left": 1, "right": 0}) == "right"  # one rated article, one side
    assert blindspot_side({"right": 1, "center": 9}) == "left"  # 0 of 10, outnumbered by 1


def test_a_single_rated_article_from_one_side_is_that_sides_story() -> None:
    # One rated article is enough when one side wrote it: the other side's absence counts.
    assert blindspot_side({"left": 1, "center": 0, "right": 0}) == "right"
    assert blindspot_side({"left": 0, "center": 0, "right": 1}) == "left"
    assert blindspot_side({"left": 0, "center": 1, "right": 0}) is None


def test_shares_are_rounded_to_one_decimal() -> None:
    assert shares({"left": 1, "center": 2, "right": 0}) == {
        "left": 33.3,
        "center": 66.7,
        "right": 0.0,
    }


def test_a_side_is_blind_only_when_both_low_and_outnumbered() -> None:
    # 3 of 12 is above 10%: the left is outnumbered by the right but not blind.
    assert blindspot_side({"left": 3, "center": 4, "right": 5}) is None
