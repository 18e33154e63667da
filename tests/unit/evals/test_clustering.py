"""Clustering metrics and the labelled stream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.errors import InputError
from evals.bench_cluster import BenchResult, growth, synthetic_stream
from evals.clustering import adjusted_rand_index, build_stream, purity


def test_adjusted_rand_index_known_values() -> None:
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 1]) == 1.0
    assert adjusted_rand_index([0, 0, 1, 1], [5, 5, 3, 3]) == 1.0
    # sklearn's documented example: adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) = 0.5714...
    assert adjusted_rand_index([0, 0, 1, 2], [0, 0, 1, 1]) == pytest.approx(0.571428571)
    assert adjusted_rand_index([0, 0, 0, 0], [0, 1, 2, 3]) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        adjusted_rand_index([0], [0, 1])


def test_purity() -> None:
    assert purity(["a", "a", "b", "b"], [1, 1, 1, 2]) == 0.75
    assert purity([], []) == 1.0


def test_build_stream_shuffles_and_hides_the_story(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    rows = [
        {
            "id": n,
            "date": f"2021-05-0{n + 1}T11:00:00-07:00",
            "articles": [
                {
                    "outlet": "Reuters",
                    "title": f"T{n}{i}",
                    "url": f"https://r.example/{n}/{i}",
                    "text_excerpt": "x",
                }
                for i in range(3)
            ],
        }
        for n in range(3)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    stream = build_stream(path, seed=1)
    assert len(stream) == 9
    assert [a["id"] for a in stream] == [f"as{i:05d}" for i in range(1, 10)]
    assert [a["story"] for a in stream] != sorted(a["story"] for a in stream)
    assert {a["published_at"][:10] for a in stream if a["story"] == "0"} == {"2021-05-01"}
    path.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(InputError, match="line 1: not a roundup"):
        build_stream(path)


def test_synthetic_stream_is_deterministic() -> None:
    first = list(synthetic_stream(300, seed=3))
    assert len(first) == 300 and first == list(synthetic_stream(300, seed=3))
    assert len({event for _, event in first}) > 20
    assert len({a["id"] for a, _ in first}) == 300


def test_growth_summary() -> None:
    small = BenchResult(10_000, 2.0, 3.0, 200.0, 1000, 0.99)
    large = BenchResult(100_000, 20.0, 32.0, 600.0, 10000, 0.99)
    text = growth([small, large])
    assert "10x the articles took 10.4x the time" in text
