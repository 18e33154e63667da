"""Dataset loaders on tiny synthetic files (and on the real dev splits when they are there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.errors import InputError
from agent.schemas import Cluster
from evals.datasets import (
    load_allsides,
    load_babe,
    load_examples,
    load_summedits,
    load_timeline17,
)
from evals.datasets.allsides import map_lean
from evals.datasets.timeline17 import detokenize
from tests.unit.evals.evalfakes import allsides_row, make_cluster, write_allsides

EVALDATA = Path(__file__).resolve().parents[4] / "shared" / "evaldata"
needs_evaldata = pytest.mark.skipif(
    not EVALDATA.is_dir(), reason=f"evaluation data not found at {EVALDATA} (../shared/evaldata)"
)


def test_allsides_builds_clusters_and_skips_empty_roundups(allsides_file: Path) -> None:
    items = load_allsides(allsides_file)
    assert [i.id for i in items] == ["1", "2", "4", "5"]
    assert any("skipped roundup 3" in note and "no articles" in note for note in items.notes)
    first = items[0]
    assert isinstance(first.cluster, Cluster)
    assert first.cluster.id == "allsides-1"
    assert [a.id for a in first.cluster.articles] == ["a1", "a2", "a3"]
    assert [a.lean for a in first.cluster.articles] == ["lean-left", "center", "right"]
    article = first.cluster.articles[0]
    assert article.text.startswith("The council approved")
    assert article.published_at.isoformat() == "2021-10-18T11:00:00-07:00"
    assert article.url == "https://example.org/1/0"
    assert first.reference and first.reference.startswith("The council approved")
    assert len(items[1].cluster.articles) == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("stance", "lean"),
    [
        ("lean left", "lean-left"),
        ("Lean Right", "lean-right"),
        ("left", "left"),
        ("center", "center"),
        ("right", "right"),
        ("mixed", "mixed"),
        ("", None),
        ("odd", None),
    ],
)
def test_allsides_lean_mapping(stance: str, lean: str | None) -> None:
    assert map_lean(stance) == lean


def test_allsides_falls_back_to_side_when_rating_is_missing(tmp_path: Path) -> None:
    row = allsides_row(9)
    row["articles"][0]["stance_specific"] = None
    items = load_allsides(write_allsides(tmp_path / "r.jsonl", [row]))
    assert items[0].cluster.articles[0].lean == "left"  # type: ignore[union-attr]


def test_allsides_reports_bad_lines_and_paths(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(allsides_row(1)) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:2: not valid JSON"):
        load_allsides(path)
    with pytest.raises(InputError, match="no such file"):
        load_allsides(tmp_path / "missing.jsonl")
    bad_date = allsides_row(2, date="yesterday")
    with pytest.raises(InputError, match="ISO 8601"):
        load_allsides(write_allsides(tmp_path / "d.jsonl", [bad_date]))


def test_examples_loads_a_folder_sorted_and_rejects_duplicate_ids(examples_dir: Path) -> None:
    items = load_examples(examples_dir)
    assert [i.id for i in items] == ["c-one", "c-two"]
    assert items[0].reference is None
    wrapped = {"cluster": make_cluster("c-three").model_dump(mode="json"), "reference": "Ref."}
    (examples_dir / "c-three.json").write_text(json.dumps(wrapped), encoding="utf-8")
    by_id = {item.id: item for item in load_examples(examples_dir)}
    assert by_id["c-three"].reference == "Ref."
    (examples_dir / "dup.json").write_text(
        json.dumps(make_cluster("c-one").model_dump(mode="json")), encoding="utf-8"
    )
    with pytest.raises(InputError, match="also used by"):
        load_examples(examples_dir)


def test_examples_names_the_faulty_field(tmp_path: Path) -> None:
    data = make_cluster().model_dump(mode="json")
    data["articles"][1]["text"] = " "
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match=r"article #2 \(id 'a2'\): field 'text'"):
        load_examples(tmp_path)
    with pytest.raises(InputError, match="no such file or directory"):
        load_examples(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no \\*.json"):
        load_examples(tmp_path / "empty")


def test_detokenize_undoes_ptb_tokens() -> None:
    text = "WASHINGTON -LRB- Reuters -RRB- - He said `` it 's fine '' , but they do n't agree"
    text += " 1\\/2 ."
    assert detokenize(text) == (
        "WASHINGTON (Reuters) - He said \"it's fine\", but they don't agree 1/2."
    )


def test_timeline17_samples_deterministically_and_keeps_all_pub_dates(t17_dir: Path) -> None:
    items = load_timeline17(t17_dir, max_articles=3, max_words=5)
    (item,) = items
    assert item.id == "egypt"
    assert item.cluster is not None and len(item.cluster.articles) == 3
    days = [a.published_at.date().isoformat() for a in item.cluster.articles]
    assert days == ["2011-01-25", "2011-01-27", "2011-01-30"]  # evenly spaced, ends included
    assert all(a.published_at.hour == 12 for a in item.cluster.articles)
    assert item.cluster.articles[0].text == "Protesters (thousands) marched on 2011-01-25. …"
    assert len(item.meta["pub_dates"]) == 8
    assert [g.date for g in item.gold_timeline] == ["2011-01-25", "2011-01-27", "2011-02-11"]
    assert "3 of 8 articles" in items.notes[0]
    assert load_timeline17(t17_dir, max_articles=3, max_words=5)[0].cluster == item.cluster


def test_summedits_labels_and_edit_types(summedits_file: Path) -> None:
    items = load_summedits(summedits_file)
    assert [i.label for i in items] == [1, 0, 0, 1]
    assert items[1].meta["edit_types"] == ["negation_insertion_removal"]
    assert items[3].meta["edit_types"] == []
    assert items[0].document == "The council approved the budget."


def test_summedits_rejects_bad_labels(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps([{"id": "x", "doc": "d", "summary": "s", "label": 3}]))
    with pytest.raises(InputError, match="label must be 0 or 1"):
        load_summedits(path)


def test_babe_skips_rows_without_agreement(babe_file: Path) -> None:
    items = load_babe(babe_file)
    assert len(items) == 12
    assert sum(i.label or 0 for i in items) == 6
    assert "No agreement" in items.notes[0]


@needs_evaldata
def test_real_dev_splits_load() -> None:
    allsides = load_allsides(EVALDATA / "allsides" / "roundups_dev.jsonl")
    assert len(allsides) == 119 and len(allsides.notes) == 1
    assert all(item.reference for item in allsides)
    t17 = load_timeline17(EVALDATA / "timeline17")
    assert [i.id for i in t17] == ["egypt", "h1n1", "mj"]
    assert len(load_summedits(EVALDATA / "summedits" / "summedits_news_dev.json")) == 303
    assert len(load_babe(EVALDATA / "babe" / "babe_final_labels_SG1.csv")) == 1546


def test_the_cli_names_every_dataset_the_loaders_know() -> None:
    from evals.cli import DATASETS
    from evals.datasets import LOADERS

    assert DATASETS == tuple(LOADERS)
