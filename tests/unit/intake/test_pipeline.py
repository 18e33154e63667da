"""Ingestion: JSONL, JSON clusters, RSS/Atom, HTML; idempotent; bad records reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from agent.errors import InputError
from agent.intake.ingest import normalize_url
from agent.intake.pipeline import ingest, run_clustering
from agent.store.store import ARTICLES, Store
from tests.unit.store.helpers import article, write_jsonl

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>The Guardian</title><link>https://www.theguardian.com</link>
<item><title>Ferry capsizes near Riverton</title><link>https://www.theguardian.com/world/ferry</link>
<pubDate>Thu, 15 Jan 2026 10:00:00 +0900</pubDate>
<description>&lt;p&gt;A ferry capsized in the &lt;b&gt;Calder&lt;/b&gt; estuary; 40 rescued.
&lt;/p&gt;</description></item>
<item><title>Undated item</title><link>https://www.theguardian.com/world/undated</link>
<description>No date here.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Riverton Herald</title>
<entry><title>Storm hits coast</title><link href="https://riverton-herald.example/storm"/>
<updated>2026-01-15T08:00:00Z</updated><summary>A storm hit the coast overnight.</summary></entry>
</feed>"""

HTML = """<html><head><title>Senate passes Harlow budget - Example Times</title>
<meta property="og:site_name" content="Example Times">
<meta property="article:published_time" content="2026-01-15T10:00:00+09:00"></head>
<body><nav>Home | World</nav><article><h1>Senate passes Harlow budget</h1>
<p>The Senate on Thursday passed the Harlow budget after an all-night session, sending the
appropriations bill to the House with a narrow majority of senators in favour.</p>
<p>Treasury officials said the deficit would narrow next year under the plan, which cuts
spending on several programmes and raises some fees.</p></article>
<footer>(c)</footer></body></html>"""


def _rows(store: Store) -> list[dict[str, object]]:
    with store.engine.connect() as connection:
        return [
            dict(row)
            for row in connection.execute(select(ARTICLES).order_by(ARTICLES.c.id)).mappings()
        ]


def test_jsonl_bad_records_are_reported_and_the_rest_stored(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            article("a1", "ferry"),
            "{not json",
            {"id": "a2", "outlet": "Reuters", "title": "No date", "text": "Body."},
            article("a3", "ferry", lean="sideways"),
            "",
            article("a4", "summit", outlet="Mainichi"),
        ],
    )
    report = ingest(store, [str(path)])
    assert report.stored == 2 and sorted(report.stored_ids) == ["a1", "a4"]
    assert len(report.problems) == 3
    assert report.problems[0].startswith(f"{path}: line 2: not valid JSON")
    assert report.problems[1].startswith(f"{path}: line 3: no publication time")
    assert report.problems[2].startswith(f"{path}: line 4: field 'lean'")


def test_ingest_is_idempotent_by_url_then_content(store: Store, tmp_path: Path) -> None:
    first = article("a1", "ferry", url="https://www.reuters.com/world/ferry?utm_source=x#top")
    no_url = article("a2", "summit", url=None)
    ingest(store, [str(write_jsonl(tmp_path / "one.jsonl", [first, no_url]))])
    again = dict(first, id="other-id", url="https://reuters.com/world/ferry/")
    same_text = dict(no_url, id="a2-copy")
    report = ingest(store, [str(write_jsonl(tmp_path / "two.jsonl", [again, same_text, first]))])
    assert (report.stored, report.already, report.problems) == (0, 3, [])
    assert store.count_articles() == 2


def test_ids_are_kept_or_assigned_and_collisions_reported(store: Store, tmp_path: Path) -> None:
    ingest(store, [str(write_jsonl(tmp_path / "a.jsonl", [article("a1", "ferry")]))])
    clash = article("a1", "summit", outlet="Mainichi")
    path = write_jsonl(tmp_path / "b.jsonl", [clash])
    report = ingest(store, [str(path)])
    assert report.stored == 0
    assert "id 'a1' already belongs to another article" in report.problems[0]
    assert "--assign-ids" in report.problems[0]
    report = ingest(store, [str(path)], assign_ids=True)
    assert report.stored == 1 and report.stored_ids[0].startswith("a-")


def test_cluster_json_file_and_offsets_survive(store: Store, tmp_path: Path) -> None:
    cluster = {
        "id": "c-x",
        "articles": [
            article("k1", "summit", outlet="Mainichi", published_at="2026-01-16T09:00:00+09:00"),
            article("k2", "summit", outlet="Jiji Press"),
        ],
    }
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps(cluster, indent=2), encoding="utf-8")
    assert ingest(store, [str(path)]).stored == 2
    run_clustering(store)
    got = store.get_cluster(store.list_clusters()[0].id)
    k1 = got.article("k1")
    assert k1.published_at.isoformat() == "2026-01-16T09:00:00+09:00"
    assert k1.lean == "left" and got.article("k2").lean == "center"


def test_rss_atom_and_html_files(store: Store, tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(RSS, encoding="utf-8")
    (tmp_path / "atom.atom").write_text(ATOM, encoding="utf-8")
    (tmp_path / "page.html").write_text(HTML, encoding="utf-8")
    report = ingest(store, [str(tmp_path)])
    assert report.stored == 3
    assert len(report.problems) == 1 and "entry #2" in report.problems[0]
    assert "no publication time" in report.problems[0]
    by_title = {row["title"]: row for row in _rows(store)}
    rss = by_title["Ferry capsizes near Riverton"]
    assert rss["outlet"] == "The Guardian" and "Calder estuary" in str(rss["text"])
    assert "<b>" not in str(rss["text"])
    atom = by_title["Storm hits coast"]
    assert atom["outlet"] == "Riverton Herald"
    page = by_title["Senate passes Harlow budget"]
    assert page["outlet"] == "Example Times"
    assert str(page["text"]).startswith("The Senate on Thursday")
    assert page["utc_offset"] == 540


def test_default_published_at_and_missing_paths(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "x.jsonl", [{"outlet": "Reuters", "title": "T", "text": "Body text."}]
    )
    when = datetime(2026, 1, 15, tzinfo=UTC)
    assert ingest(store, [str(path)], published_at=when).stored == 1
    with pytest.raises(InputError, match="no such file or directory"):
        ingest(store, [str(tmp_path / "missing.jsonl")])
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    report = ingest(store, [str(tmp_path / "notes.txt")])
    assert "cannot tell what this is" in report.problems[0]


def test_outlet_from_url_when_missing(store: Store, tmp_path: Path) -> None:
    record = article("u1", "ferry", url="https://edition.cnn.com/2026/01/15/ferry")
    del record["outlet"]
    ingest(store, [str(write_jsonl(tmp_path / "x.jsonl", [record]))])
    assert _rows(store)[0]["outlet"] == "CNN"


def test_normalize_url() -> None:
    assert (
        normalize_url("http://WWW.Example.com/a/b/?utm_source=x&id=3#frag")
        == "https://example.com/a/b?id=3"
    )
