"""The source registry: default outlets, tolerant lookup, CSV import of several shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import InputError
from agent.store.sources import (
    SourceRecord,
    SourceRegistry,
    load_sources_file,
    normalize_domain,
    parse_lean,
)

REQUIRED = {
    "Mainichi": "left",
    "Jiji Press": "center",
    "jen.jiji.com": "center",
    "Bernama": "center",
    "Adnkronos": "center",
    "Reuters": "center",
    "Associated Press": "center",
    "BBC News": "center",
    "The Guardian": "lean-left",
    "CNN": "lean-left",
    "New York Times": "lean-left",
    "Washington Post": "lean-left",
    "MSNBC": "left",
    "HuffPost": "left",
    "Fox News": "right",
    "Breitbart": "right",
    "New York Post": "lean-right",
    "Wall Street Journal": "center",
    "Washington Examiner": "lean-right",
    "The Hill": "center",
    "NPR": "lean-left",
    "Yomiuri Shimbun": "center",
    "Nikkei Asia": "center",
    "Japan Times": "center",
    "Sankei Shimbun": "lean-right",
    "Asahi Shimbun": "lean-left",
    "Kyodo News": "center",
    "Al Jazeera": "lean-left",
    "Xinhua": "unrated",
}


def test_default_registry_covers_the_example_outlets() -> None:
    registry = SourceRegistry.default()
    for outlet, lean in REQUIRED.items():
        record = registry.lookup(outlet, None)
        assert record is not None, outlet
        assert record.lean == lean, outlet
        assert record.rating_source == "storydesk default"


@pytest.mark.parametrize(
    ("outlet", "url", "name"),
    [
        ("CNN (Online News)", None, "CNN"),
        ("cnn.com", None, "CNN"),
        ("edition.cnn.com", None, "CNN"),
        (None, "https://edition.cnn.com/2026/01/15/asia/x.html", "CNN"),
        ("Some Blog", "https://www.nytimes.com/2026/a.html", "New York Times"),
        ("New York Times (News)", None, "New York Times"),
        ("the guardian", None, "The Guardian"),
        ("Fox News (Online News)", None, "Fox News"),
        ("Breitbart News", None, "Breitbart"),
        ("AP Politics & Fact Check", None, "Associated Press"),
        (None, "https://jen.jiji.com/jc/eng?g=eco", "Jiji Press"),
        ("The Mainichi", None, "Mainichi Shimbun"),
    ],
)
def test_lookup_tolerates_variants(outlet: str | None, url: str | None, name: str) -> None:
    record = SourceRegistry.default().lookup(outlet, url)
    assert record is not None and record.name == name


def test_unknown_outlet_is_unrated() -> None:
    registry = SourceRegistry.default()
    assert registry.lookup("Riverton Herald", "https://riverton-herald.example/x") is None
    assert registry.lean_of("Riverton Herald", None) == "unrated"
    assert registry.lean_of(None, None) == "unrated"


def test_opinion_desks_are_their_own_outlets() -> None:
    registry = SourceRegistry.default()
    registry.add(SourceRecord(name="CNN (Online News)", lean="lean-left", rating_source="AllSides"))
    registry.add(SourceRecord(name="CNN - Editorial", lean="left", rating_source="AllSides"))
    assert registry.lookup("CNN - Editorial", None).lean == "left"  # type: ignore[union-attr]
    assert registry.lookup("CNN", None).lean == "lean-left"  # type: ignore[union-attr]
    assert registry.lookup("CNN (Opinion)", None).lean == "left"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("label", "lean"),
    [
        ("left-center", "lean-left"),
        ("Lean Right", "lean-right"),
        ("extreme-right", "right"),
        ("allsides", "mixed"),
        ("3", "center"),
        ("least biased", "center"),
        ("bogus", None),
    ],
)
def test_parse_lean(label: str, lean: str | None) -> None:
    assert parse_lean(label) == lean


def test_normalize_domain() -> None:
    assert normalize_domain("https://WWW.Example.com:443/a?b") == "example.com"
    assert normalize_domain("example") is None
    assert normalize_domain("") is None


def test_import_allsides_shape(tmp_path: Path) -> None:
    path = tmp_path / "allsides.csv"
    path.write_text(
        "news_source,rating,rating_num,type,agree,disagree,perc_agree,url,editorial_review,"
        "blind_survey,third_party_analysis,independent_research,confidence_level,twitter,wiki,"
        "facebook,screen_name\n"
        "Riverton Herald,left-center,2,News Media,10,5,0.6,https://www.allsides.com/news-source/"
        "riverton-herald,1,0,0,1,High,NA,NA,NA,RivHerald\n"
        "Calder Courier (Opinion),right,5,News Media,1,1,0.5,https://www.allsides.com/news-source/"
        "calder,0,0,0,1,Low,NA,NA,NA,NA\n"
        "Broken Row,sideways,NA,News Media,1,1,0.5,NA,0,0,0,0,NA,NA,NA,NA,NA\n",
        encoding="utf-8",
    )
    report = load_sources_file(path)
    assert report.shape == "allsides"
    assert [(r.name, r.lean, r.rating_source) for r in report.records] == [
        ("Riverton Herald", "lean-left", "AllSides"),
        ("Calder Courier (Opinion)", "right", "AllSides"),
    ]
    assert report.records[0].rating_url == "https://www.allsides.com/news-source/riverton-herald"
    assert (
        len(report.skipped) == 1
        and "line 4" in report.skipped[0]
        and "sideways" in report.skipped[0]
    )


def test_import_mbfc_shape(tmp_path: Path) -> None:
    path = tmp_path / "corpus.tsv"
    path.write_text(
        "source_url\tsource_url_normalized\tref\tfact\tbias\n"
        "http://www.riverton-herald.example/\triverton-herald.example\t"
        "http://mediabiasfactcheck.com/the-riverton-herald/\thigh\tleft-center\n",
        encoding="utf-8",
    )
    report = load_sources_file(path)
    assert report.shape == "mbfc"
    record = report.records[0]
    assert (record.name, record.lean, record.factuality) == (
        "The Riverton Herald",
        "lean-left",
        "high",
    )
    assert record.domains == ("riverton-herald.example",)
    registry = SourceRegistry.default()
    registry.add(record)
    assert (
        registry.lookup(None, "https://news.riverton-herald.example/x").name
        == "The Riverton Herald"
    )  # type: ignore[union-attr]


def test_import_rejects_files_without_a_lean_column(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,color\nA,blue\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: no column with the lean"):
        load_sources_file(path)
    with pytest.raises(InputError, match="no such file"):
        load_sources_file(tmp_path / "missing.csv")


def test_newer_rating_updates_and_keeps_domains() -> None:
    registry = SourceRegistry.default()
    updated = registry.add(
        SourceRecord(name="CNN (Web News)", lean="left", rating_source="AllSides")
    )
    assert updated.name == "CNN" and updated.lean == "left" and "cnn.com" in updated.domains
    assert registry.lookup(None, "https://cnn.com/x").rating_source == "AllSides"  # type: ignore[union-attr]
