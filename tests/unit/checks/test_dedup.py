"""Syndicated near-duplicates: grouped, canonical first, fast on both paths."""

from __future__ import annotations

import random

import pytest

from agent.checks import dedup
from agent.checks.dedup import jaccard, shingles, syndicated_duplicates

WIRE = (
    "WASHINGTON (AP) - The Senate on Thursday passed a sweeping infrastructure bill worth "
    "1.2 trillion dollars after weeks of negotiation between Democrats and Republicans, "
    "sending it to the House, where progressives want a larger social spending package "
    "passed alongside it. The vote was 69 to 30."
)


def test_copies_map_to_the_first_and_others_stay() -> None:
    items = [
        ("a1", WIRE),
        ("a2", "Football: Riverton beat Calder 3-1 in the cup final on a rainy evening."),
        ("a3", WIRE.replace("WASHINGTON (AP) - ", "")),
        ("a4", WIRE + " Reporting by staff."),
    ]
    assert syndicated_duplicates(items) == {"a3": "a1", "a4": "a1"}


def test_values_are_always_canonical_ids_never_chains() -> None:
    words = WIRE.split()
    b = " ".join(words[:-3] + ["x", "y", "z"])
    c = " ".join(words[:-6] + ["p", "q", "r", "s", "t", "u"])
    result = syndicated_duplicates([("a", WIRE), ("b", b), ("c", c)], threshold=0.75)
    assert set(result.values()) <= {"a"}


def test_rewritten_coverage_is_not_a_copy() -> None:
    other = (
        "Lawmakers approved the 1.2 trillion dollar infrastructure package on Thursday, "
        "a rare bipartisan win; the House now takes it up amid a fight over social spending."
    )
    assert syndicated_duplicates([("a", WIRE), ("b", other)]) == {}


def test_empty_and_tiny_texts_and_bad_threshold() -> None:
    assert syndicated_duplicates([]) == {}
    assert syndicated_duplicates([("a", ""), ("b", "")]) == {}
    assert syndicated_duplicates([("a", "Hi there"), ("b", "hi, there!")]) == {"b": "a"}
    assert shingles("") == frozenset()
    assert jaccard(frozenset(), frozenset()) == 0.0
    with pytest.raises(ValueError):
        syndicated_duplicates([("a", "x")], threshold=0)


def test_large_input_path_agrees_with_pairwise(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    vocabulary = [f"w{i}" for i in range(3000)]
    items = []
    for index in range(200):
        if index % 7 == 3:
            words = items[index - 2][1].split()
            words[rng.randrange(len(words))] = "edited"
            text = " ".join(words)
        else:
            text = " ".join(rng.choices(vocabulary, k=120))
        items.append((f"x{index}", text))
    fast = syndicated_duplicates(items)
    monkeypatch.setattr(dedup, "_PAIRWISE_LIMIT", 10_000)
    slow = syndicated_duplicates(items)
    assert fast == slow
    assert len(fast) == sum(1 for index in range(200) if index % 7 == 3)
    assert fast["x3"] == "x1"
