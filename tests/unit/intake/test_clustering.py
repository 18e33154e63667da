"""Clustering into the store: incremental, editable, deduplicated; blindspots; related stories."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.checks.meter import blindspot_side
from agent.errors import InputError
from agent.intake.clustering import Clusterer
from agent.intake.editing import merge_clusters, split_cluster
from agent.intake.features import Analyzer, vectorize
from agent.intake.pipeline import ingest, run_clustering
from agent.settings import Settings
from agent.store.store import ARTICLES, CLUSTERS, Store
from tests.unit.store.helpers import article, write_jsonl


def _clusters_by_article(store: Store) -> dict[str, str]:
    with store.engine.connect() as connection:
        return dict(connection.execute(select(ARTICLES.c.id, ARTICLES.c.cluster_id)).all())


def _load(store: Store, tmp_path: Path, name: str, records: list[dict[str, object]]) -> None:
    report = ingest(store, [str(write_jsonl(tmp_path / name, records))])
    assert not report.problems


def test_terms_and_stems() -> None:
    counts = Analyzer().counts(
        "Koizumi meets Hegseth", "Defense chiefs met in Tokyo. They discussed NATO drills."
    )
    assert "they" not in counts and "defens" in counts and "drill" in counts
    # British and American spellings of one word meet.
    assert Analyzer().counts("Defence talks", "") == Analyzer().counts("Defense talks", "")
    assert counts["koizumi"] == 2.0  # a title word weighs double


def test_clusterer_separates_events_and_respects_the_window() -> None:
    analyzer = Analyzer()
    records = [article(f"f{i}", "ferry", variant=i, hours=i) for i in range(3)]
    records += [article(f"s{i}", "summit", variant=i, hours=i) for i in range(3)]
    records += [article("late", "ferry", variant=5, hours=24 * 10)]
    counted = [analyzer.counts(r["title"], r["text"]) for r in records]
    df: dict[str, int] = {}
    for counts in counted:
        for term in counts:
            df[term] = df.get(term, 0) + 1
    clusterer = Clusterer()
    placed = {}
    for index, (record, counts) in enumerate(zip(records, counted, strict=True)):
        vector = vectorize(counts, df, len(records))
        at = float(index * 3600) if record["id"] != "late" else 10 * 86400.0
        cluster, _ = clusterer.place(
            str(record["id"]), vector, at, str(record["title"]), lambda i=index: f"c{i}"
        )
        placed[record["id"]] = cluster.id
    assert placed["f0"] == placed["f1"] == placed["f2"]
    assert placed["s0"] == placed["s1"] == placed["s2"]
    assert placed["f0"] != placed["s0"]
    assert placed["late"] != placed["f0"]


def test_incremental_runs_keep_earlier_placements(store: Store, tmp_path: Path) -> None:
    _load(
        store,
        tmp_path,
        "one.jsonl",
        [article(f"f{i}", "ferry", variant=i, hours=i) for i in range(3)]
        + [article(f"s{i}", "summit", variant=i, hours=i) for i in range(3)],
    )
    first = run_clustering(store)
    assert (first.articles, first.created) == (6, 2)
    before = _clusters_by_article(store)
    _load(
        store,
        tmp_path,
        "two.jsonl",
        [article("f9", "ferry", variant=9, hours=5), article("b1", "budget", hours=5)],
    )
    second = run_clustering(store)
    after = _clusters_by_article(store)
    assert (second.articles, second.created, second.extended) == (2, 1, 1)
    assert all(after[key] == value for key, value in before.items())
    assert after["f9"] == after["f0"] and after["b1"] not in before.values()
    assert run_clustering(store).articles == 0
    cluster = store.get_cluster(after["f0"])
    assert [a.id for a in cluster.articles] == ["f0", "f1", "f2", "f9"]


def test_syndicated_copies_counted_once_and_still_listed(store: Store, tmp_path: Path) -> None:
    wire = article("w1", "ferry", outlet="Associated Press")
    copy = dict(wire, id="w2", outlet="Washington Post", url="https://washingtonpost.example/w2")
    _load(
        store,
        tmp_path,
        "a.jsonl",
        [wire, copy, article("f2", "ferry", variant=3, outlet="Fox News")],
    )
    run_clustering(store)
    summary = store.list_clusters()[0]
    assert (summary.size, summary.unique_size) == (3, 2)
    duplicates = {a.id: a.duplicate_of for a in summary.articles}
    assert duplicates == {"w1": None, "w2": "w1", "f2": None}


def test_split_and_merge(store: Store, tmp_path: Path) -> None:
    _load(
        store,
        tmp_path,
        "a.jsonl",
        [article(f"f{i}", "ferry", variant=i, hours=i) for i in range(4)],
    )
    run_clustering(store)
    original = store.list_clusters()[0].id
    new = split_cluster(store, original, ["f2", "f3"])
    placed = _clusters_by_article(store)
    assert placed["f2"] == placed["f3"] == new and placed["f0"] == original
    assert {c.id: c.size for c in store.list_clusters()} == {original: 2, new: 2}
    assert all(c.edited for c in store.list_clusters())
    with pytest.raises(InputError, match="has no article 'zz'"):
        split_cluster(store, original, ["zz"])
    with pytest.raises(InputError, match="leave at least one"):
        split_cluster(store, original, ["f0", "f1"])
    assert merge_clusters(store, original, [new]) == original
    assert {c.id: c.size for c in store.list_clusters()} == {original: 4}
    with pytest.raises(InputError, match=f"was merged into '{original}'"):
        store.get_cluster(new)
    # An editor's merge survives the next run: new articles join, nothing is re-clustered.
    _load(store, tmp_path, "b.jsonl", [article("f7", "ferry", variant=7, hours=4)])
    run_clustering(store)
    assert _clusters_by_article(store)["f7"] == original


def test_get_cluster_unknown_and_leans(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no cluster 'nope'.*storydesk clusters"):
        store.get_cluster("nope")
    _load(
        store,
        tmp_path,
        "a.jsonl",
        [
            article("l1", "ferry", outlet="MSNBC"),
            article("r1", "ferry", variant=2, outlet="Fox News (Online News)"),
            article("x1", "ferry", variant=4, outlet="Riverton Herald", lean="lean-right"),
        ],
    )
    run_clustering(store)
    cluster = store.get_cluster(store.list_clusters()[0].id)
    assert {a.id: a.lean for a in cluster.articles} == {
        "l1": "left",
        "r1": "right",
        "x1": "lean-right",
    }


def test_blindspot_side_rule() -> None:
    assert blindspot_side({"left": 5, "center": 2, "right": 0}) == "right"
    assert blindspot_side({"left": 0, "center": 1, "right": 4}) == "left"
    assert blindspot_side({"left": 3, "center": 2, "right": 3}) is None
    assert blindspot_side({"left": 2, "right": 0}) == "right"  # one side covered it alone
    assert blindspot_side({"left": 1, "center": 1}) is None  # too few rated, not one side alone
    assert blindspot_side({"left": 0, "center": 6, "right": 4}) == "left"
    assert blindspot_side({"center": 9}) is None


def test_blindspot_report_tells_missing_feeds_from_a_blindspot(
    store: Store, tmp_path: Path
) -> None:
    left = [
        article(f"l{i}", "ferry", variant=i, outlet=o)
        for i, o in enumerate(["MSNBC", "HuffPost", "CNN", "The Guardian"])
    ]
    _load(store, tmp_path, "a.jsonl", left)
    run_clustering(store)
    cluster_id = store.list_clusters()[0].id
    report = store.blindspot(cluster_id)
    assert (report.side, report.verdict) == ("right", "missing feeds")
    assert report.articles.left == 4 and report.outlets_active.right == 0
    assert "add right feeds" in report.note
    _load(
        store,
        tmp_path,
        "b.jsonl",
        [
            article("r1", "budget", outlet="Fox News"),
            article("r2", "budget", variant=3, outlet="Breitbart"),
        ],
    )
    run_clustering(store)
    report = store.blindspot(cluster_id)
    assert (report.side, report.verdict) == ("right", "blindspot")
    assert report.outlets_in_store.right == 2 and report.outlets_in_store.left == 4


def test_related_stories(store: Store, tmp_path: Path) -> None:
    _load(
        store,
        tmp_path,
        "a.jsonl",
        [
            article("f1", "ferry"),
            article("f2", "ferry", variant=2),
            # The same subject a week later: another cluster, related to the first.
            article("g1", "ferry", variant=5, hours=24 * 7),
            article("g2", "ferry", variant=7, hours=24 * 7),
            article("s1", "summit"),
        ],
    )
    run_clustering(store)
    placed = _clusters_by_article(store)
    assert placed["f1"] != placed["g1"]
    related = store.related(placed["f1"])
    assert related and related[0].id == placed["g1"]
    assert placed["s1"] not in [story.id for story in related]


def test_a_helper_process_gives_the_same_clusters(settings: Settings, tmp_path: Path) -> None:
    from agent.intake.pipeline import ClusterOptions
    from agent.store.db import open_store

    records = [article(f"f{i}", "ferry", variant=i, hours=i) for i in range(4)]
    records += [article(f"s{i}", "summit", variant=i, hours=i) for i in range(3)]
    wire = article("w1", "budget", outlet="Associated Press")
    records += [wire, dict(wire, id="w2", outlet="NPR", url="https://npr.example/w2")]
    results = []
    for workers in (0, 1):
        settings.data_dir = tmp_path / f"data{workers}"
        store = open_store(settings)
        _load(store, tmp_path, f"in{workers}.jsonl", records)
        options = ClusterOptions(workers=workers, parallel_from=0, batch=4)
        run_clustering(store, options)
        placed = _clusters_by_article(store)
        summary = store.cluster_summary(placed["w1"])
        results.append((placed, summary.unique_size))
        store.close()
    assert results[0] == results[1]
    assert results[1][1] == 1


def test_the_same_split_twice_after_a_merge(store: Store, tmp_path: Path) -> None:
    _load(store, tmp_path, "a.jsonl", [article(f"f{i}", "ferry", variant=i) for i in range(3)])
    run_clustering(store)
    original = store.list_clusters()[0].id
    first = split_cluster(store, original, ["f2"])
    merge_clusters(store, original, [first])
    second = split_cluster(store, original, ["f2"])
    assert second != first and _clusters_by_article(store)["f2"] == second


def _fake_encoder(texts: Sequence[str]) -> list[list[float]]:
    # A stand-in for a sentence model: hashed bag of words in 32 dimensions.
    vectors = []
    for text in texts:
        vector = [0.0] * 32
        for word in text.lower().split():
            vector[zlib.crc32(word.strip(".,").encode()) % 32] += 1.0
        vectors.append(vector)
    return vectors


def test_clustering_with_sentence_embeddings(store: Store, tmp_path: Path) -> None:
    from agent.intake.pipeline import ClusterOptions

    options = ClusterOptions(encoder=_fake_encoder, threshold=0.35)
    _load(
        store,
        tmp_path,
        "a.jsonl",
        [article(f"f{i}", "ferry", variant=i, hours=i) for i in range(3)]
        + [article(f"s{i}", "summit", variant=i, hours=i) for i in range(3)],
    )
    run_clustering(store, options)
    placed = _clusters_by_article(store)
    assert len({placed[f"f{i}"] for i in range(3)}) == 1 != len(set(placed.values()))
    with store.engine.connect() as connection:
        embedding = connection.execute(
            select(CLUSTERS.c.embedding).where(CLUSTERS.c.id == placed["f0"])
        ).scalar_one()
    assert embedding is not None and len(embedding) == 32
    _load(store, tmp_path, "b.jsonl", [article("f9", "ferry", variant=9, hours=4)])
    run_clustering(store, options)
    assert _clusters_by_article(store)["f9"] == placed["f0"]


def test_embeddings_need_their_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from agent.errors import ConfigError
    from agent.intake.embeddings import load_encoder

    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ConfigError, match="pip install sentence-transformers"):
        load_encoder("sentence-transformers/all-MiniLM-L6-v2")


def test_one_clustering_run_at_a_time(store: Store, tmp_path: Path) -> None:
    from agent.intake.pipeline import exclusive_run

    _load(store, tmp_path, "a.jsonl", [article("f1", "ferry")])
    with exclusive_run(store.engine):
        with pytest.raises(InputError, match="another `storydesk cluster` run"):
            run_clustering(store)
    assert run_clustering(store).articles == 1
