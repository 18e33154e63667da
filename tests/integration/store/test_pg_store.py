"""The article store against the PostgreSQL server: the same code as on SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from agent.errors import ConfigError, InputError
from agent.intake.editing import merge_clusters, split_cluster
from agent.intake.pipeline import ingest, run_clustering
from agent.settings import Settings
from agent.store.db import make_engine, migrate, open_store
from agent.store.models import metadata
from agent.store.sources import SourceRecord
from agent.store.store import ARTICLES, Store
from evals.clustering import default_stream, evaluate
from tests.unit.store.helpers import article, make_story, write_jsonl

pytestmark = pytest.mark.postgres


def _placed(store: Store) -> dict[str, str]:
    with store.engine.connect() as connection:
        return dict(connection.execute(select(ARTICLES.c.id, ARTICLES.c.cluster_id)).all())


def test_migrations_match_models_and_reopen(pg_settings: Settings, pg_store: Store) -> None:
    assert pg_store.engine.dialect.name == "postgresql"
    with pg_store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    pg_store.save_story(make_story())
    again = open_store(pg_settings)
    assert again.get_story("s-1").revision == 1
    again.close()


def test_concurrent_first_migrations_do_not_collide(pg_url: str) -> None:
    errors: list[BaseException] = []

    def first_use() -> None:
        try:
            migrate(make_engine(pg_url))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=first_use) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_ingest_cluster_edit_and_report(pg_store: Store, tmp_path: Path) -> None:
    records = [
        article(f"f{i}", "ferry", variant=i, hours=i, outlet=o)
        for i, o in enumerate(["MSNBC", "HuffPost", "CNN", "The Guardian"])
    ]
    records += [
        article("s1", "summit", outlet="Mainichi", published_at="2026-01-16T09:00:00+09:00"),
        article("s2", "summit", variant=3, outlet="Fox News"),
        article("b1", "budget", outlet="Breitbart"),
    ]
    wire = article("w1", "ferry", variant=1, outlet="Associated Press", hours=2)
    records += [wire, dict(wire, id="w2", outlet="NPR", url="https://npr.example/w2")]
    path = write_jsonl(tmp_path / "in.jsonl", records + ["{oops"])
    report = ingest(pg_store, [str(path)])
    assert report.stored == len(records) and len(report.problems) == 1
    assert ingest(pg_store, [str(path)]).already == len(records)
    first = run_clustering(pg_store)
    assert first.articles == len(records)
    placed = _placed(pg_store)
    ferry = placed["f0"]
    assert {placed[f"f{i}"] for i in range(4)} | {placed["w1"], placed["w2"]} == {ferry}
    assert placed["s1"] == placed["s2"] != ferry
    summary = pg_store.cluster_summary(ferry)
    assert (summary.size, summary.unique_size) == (6, 5)
    cluster = pg_store.get_cluster(placed["s1"])
    assert cluster.article("s1").published_at.isoformat() == "2026-01-16T09:00:00+09:00"
    assert cluster.article("s1").lean == "left"
    blind = pg_store.blindspot(ferry)
    # Fox News and Breitbart publish in the same days, so the right had feeds: a blindspot.
    assert (blind.side, blind.verdict) == ("right", "blindspot")
    assert blind.outlets_active.right == 2
    assert (blind.articles.left, blind.articles.center) == (4, 1)  # the NPR copy counts once
    # Incremental: a new ferry article joins, nothing else moves.
    ingest(
        pg_store,
        [str(write_jsonl(tmp_path / "more.jsonl", [article("f9", "ferry", variant=9, hours=3)]))],
    )
    second = run_clustering(pg_store)
    assert (second.articles, second.created) == (1, 0)
    after = _placed(pg_store)
    assert after["f9"] == ferry and all(after[k] == v for k, v in placed.items())
    # Editors split and merge.
    new = split_cluster(pg_store, ferry, ["f2", "f3"])
    assert _placed(pg_store)["f2"] == new
    merge_clusters(pg_store, ferry, [new])
    with pytest.raises(InputError, match="was merged into"):
        pg_store.get_cluster(new)
    assert pg_store.cluster_summary(ferry).size == 7
    assert isinstance(pg_store.related(ferry), list)


def test_sources_and_stories(pg_store: Store) -> None:
    added, updated = pg_store.import_sources(
        [
            SourceRecord(
                name="Riverton Herald",
                lean="lean-right",
                domains=("riverton-herald.example",),
                rating_source="test",
            ),
            SourceRecord(name="CNN (Web News)", lean="left", rating_source="test"),
        ]
    )
    assert (added, updated) == (1, 1)
    assert pg_store.import_sources(
        [SourceRecord(name="Riverton Herald", lean="right", rating_source="test")]
    ) == (0, 1)
    fresh = Store(pg_store.engine)
    assert fresh.registry().lean_of(None, "https://riverton-herald.example/x") == "right"
    assert fresh.registry().lean_of("CNN", None) == "left"
    pg_store.save_story(make_story("s-1", 1))
    pg_store.save_story(make_story("s-1", 2, title="Second"))
    with pytest.raises(InputError, match="never overwritten"):
        pg_store.save_story(make_story("s-1", 2, title="Other"))
    assert [s.title for s in pg_store.list_stories()] == ["Second"]
    assert pg_store.story_revisions("s-1") == [1, 2]


def test_clustering_quality_is_the_same_on_postgresql(pg_url: str) -> None:
    try:
        stream = default_stream()
    except ConfigError as error:
        pytest.skip(str(error))
    on_postgres = evaluate(stream, database_url=pg_url)
    on_sqlite = evaluate(stream)
    assert on_postgres.ari == pytest.approx(on_sqlite.ari)
    assert on_postgres.ari >= 0.90


def test_one_clustering_run_at_a_time_on_postgresql(pg_store: Store, tmp_path: Path) -> None:
    from agent.intake.pipeline import exclusive_run

    ingest(pg_store, [str(write_jsonl(tmp_path / "a.jsonl", [article("f1", "ferry")]))])
    other = make_engine(str(pg_store.engine.url.render_as_string(hide_password=False)))
    with exclusive_run(other):
        with pytest.raises(InputError, match="another `storydesk cluster` run"):
            run_clustering(pg_store)
    other.dispose()
    assert run_clustering(pg_store).articles == 1
