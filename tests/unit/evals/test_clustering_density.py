"""Denser evaluation streams, halves of the stories, and average linkage in the clusterer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.intake.clustering import Clusterer, LiveCluster
from agent.intake.features import Vector
from evals.clustering import (
    at_density,
    compress,
    cross_validate,
    jitter,
    stories_per_day,
    story_half,
    story_overlap,
    streams,
)
from tests.unit.store.helpers import article, write_jsonl

START = datetime(2021, 4, 1, 12, tzinfo=UTC)


def _stream(stories: int, days_apart: float, per_story: int = 3) -> list[dict[str, Any]]:
    # Stories published one every `days_apart` days, each article at its story's time.
    return [
        {
            "story": f"s{number}",
            "id": f"s{number}-{index}",
            "title": f"Story {number}",
            "text": f"Text of story {number}",
            "published_at": (START + timedelta(days=number * days_apart)).isoformat(),
        }
        for number in range(stories)
        for index in range(per_story)
    ]


def test_compressing_the_time_axis_raises_the_overlap_of_stories() -> None:
    stream = _stream(400, days_apart=0.25, per_story=2)
    base = story_overlap(stream, hours=72)
    assert base == pytest.approx(24.0, rel=0.05)  # the 12 stories either side
    for factor in (2.0, 3.0, 4.0):
        denser = compress(stream, factor)
        # Every article, text and story is kept; only the times move closer.
        assert [(a["id"], a["story"], a["text"]) for a in denser] == [
            (a["id"], a["story"], a["text"]) for a in stream
        ]
        assert stories_per_day(denser) == pytest.approx(factor * stories_per_day(stream))
        assert story_overlap(denser, hours=72) == pytest.approx(factor * base, rel=0.1)
    with pytest.raises(ValueError):
        compress(stream, 0)


def test_a_half_is_compressed_to_the_full_streams_density() -> None:
    stream = _stream(80, days_apart=1.0)
    half = [a for a in stream if story_half(str(a["story"])) == "A"]
    assert 0 < len(half) < len(stream)
    reference = stories_per_day(stream)
    denser, factor = at_density(half, 3.0, reference)
    assert factor > 3.0  # a half has fewer stories per day to start with
    assert stories_per_day(denser) == pytest.approx(3.0 * reference)


def test_story_halves_are_fixed_and_keep_stories_whole(tmp_path: Path) -> None:
    halves = {story_half(f"{n}") for n in range(40)}
    assert halves == {"A", "B"}
    assert [story_half("5609")] * 3 == [story_half("5609") for _ in range(3)]
    path = tmp_path / "roundups.jsonl"
    write_jsonl(
        path,
        [
            {
                "id": n,
                "date": (START + timedelta(days=n)).isoformat(),
                "articles": [
                    {"outlet": "Reuters", "title": f"T{n}{i}", "url": f"https://r.example/{n}/{i}"}
                    for i in range(3)
                ],
            }
            for n in range(20)
        ],
    )
    parts = streams(path)
    assert len(parts["full"]) == 60 == len(parts["A"]) + len(parts["B"])
    for name in "AB":
        assert {story_half(str(a["story"])) for a in parts[name]} == {name}


def test_jitter_moves_articles_forward_within_the_bound_and_nothing_else() -> None:
    stream = _stream(10, days_apart=1.0)
    moved = jitter(stream, 12.0, seed=3)
    assert moved == jitter(stream, 12.0, seed=3)
    for before, after in zip(stream, moved, strict=True):
        gap = datetime.fromisoformat(after["published_at"]) - datetime.fromisoformat(
            before["published_at"]
        )
        assert timedelta(0) <= gap <= timedelta(hours=12)
        assert {k: v for k, v in after.items() if k != "published_at"} == {
            k: v for k, v in before.items() if k != "published_at"
        }
    assert len({a["published_at"] for a in moved}) > 10


def test_similarity_is_the_mean_cosine_with_the_members() -> None:
    members = [Vector({"a": 0.8, "s": 0.6}), Vector({"b": 0.8, "s": 0.6})]
    cluster = LiveCluster(id="c", centroid={}, first_at=0.0, last_at=0.0, size=0, title="")
    for member in members:
        cluster.add(member, 0.0)
    probe = Vector({"s": 0.45, "c": (1 - 0.45**2) ** 0.5})
    mean = sum(probe.dot(m.weights) for m in members) / len(members)
    assert cluster.similarity(probe) == pytest.approx(mean) == pytest.approx(0.27)


def test_an_article_that_only_shares_a_broad_clusters_common_term_starts_its_own() -> None:
    # a1 and a2 share the term "s" (cosine 0.36) and form one cluster. The probe shares only
    # "s" with each (cosine 0.27 with both). Against the normalised centroid it would score
    # 0.33 and join (chaining); the mean cosine keeps it out at a threshold of 0.3.
    clusterer = Clusterer(threshold=0.3)
    vectors = {
        "a1": Vector({"a": 0.8, "s": 0.6}),
        "a2": Vector({"b": 0.8, "s": 0.6}),
        "probe": Vector({"s": 0.45, "c": (1 - 0.45**2) ** 0.5}),
    }
    placed = {}
    for name, vector in vectors.items():
        cluster, _ = clusterer.place(name, vector, 0.0, name, lambda name=name: f"c-{name}")
        placed[name] = cluster.id
    assert placed["a1"] == placed["a2"] != placed["probe"]
    centroid = {"a": 0.8, "b": 0.8, "s": 1.2}
    norm = sum(w * w for w in centroid.values()) ** 0.5
    assert vectors["probe"].dot(centroid) / norm > 0.3  # what the centroid cosine would say


def _roundups(path: Path, events: list[tuple[str, int]]) -> Path:
    lines = []
    for number, (event, day) in enumerate(events):
        items = [article(f"{event}{number}{i}", event, variant=i + number) for i in range(3)]
        lines.append(
            {
                "id": number,
                "date": (START + timedelta(days=day)).isoformat(),
                "articles": [
                    {
                        "outlet": a["outlet"],
                        "title": a["title"],
                        "url": f"https://r.example/{number}/{i}",
                        "text_excerpt": a["text"],
                    }
                    for i, a in enumerate(items)
                ],
            }
        )
    return write_jsonl(path, [json.loads(json.dumps(line)) for line in lines])


def test_cross_validation_tunes_on_one_half_and_scores_the_other(tmp_path: Path) -> None:
    events = [("ferry", 0), ("summit", 1), ("budget", 2), ("ferry", 20), ("summit", 21)]
    events += [("budget", 22), ("ferry", 40), ("summit", 41)]
    path = _roundups(tmp_path / "r.jsonl", events)
    folds = cross_validate(path, densities=(1.0, 2.0), thresholds=(0.1, 0.3))
    assert [(f.tuned_on, f.scored_on) for f in folds] == [("A", "B"), ("B", "A")]
    for fold in folds:
        assert fold.threshold in (0.1, 0.3)
        assert set(fold.ari) == {1.0, 2.0}
        assert all(-1.0 <= value <= 1.0 for value in fold.ari.values())
