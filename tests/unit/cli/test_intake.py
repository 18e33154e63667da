"""The store's CLI commands, through the parser `register` builds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from agent.cli.intake import register
from agent.errors import ConfigError, InputError
from agent.settings import Settings
from tests.unit.store.helpers import article, write_jsonl


def run(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="storydesk")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(args, settings))


def test_ingest_cluster_and_list_json(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            article("f1", "ferry", outlet="CNN (Online News)"),
            article("f2", "ferry", variant=2, outlet="Fox News"),
            "{broken",
            article("s1", "summit", outlet="Mainichi", hours=2),
        ],
    )
    assert run(settings, "ingest", str(path), "--quiet") == 1
    captured = capsys.readouterr()
    assert "stored 3 new article(s), 0 already stored, 1 skipped" in captured.out
    assert f"{path}: line 3: not valid JSON" in captured.err
    assert run(settings, "cluster", "--quiet") == 0
    assert "clustered 3 article(s)" in capsys.readouterr().out
    assert run(settings, "clusters", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 2
    for cluster in listed:
        assert set(cluster) == {"id", "title", "articles"}
        for item in cluster["articles"]:
            assert set(item) == {"id", "outlet", "title", "url", "lean"}
    ferry = next(c for c in listed if len(c["articles"]) == 2)
    assert {a["id"]: a["lean"] for a in ferry["articles"]} == {"f1": "lean-left", "f2": "right"}
    assert run(settings, "cluster", "show", ferry["id"], "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["based_on"] == 2 and shown["blindspot"]["verdict"] == "too few articles"
    assert run(settings, "cluster", "split", ferry["id"], "f2") == 0
    assert "moved 1 article(s)" in capsys.readouterr().out
    assert run(settings, "clusters") == 0
    assert "f2" in capsys.readouterr().out


def test_sources_commands(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ratings = tmp_path / "ratings.csv"
    ratings.write_text(
        "name,lean,domains\nRiverton Herald,lean-right,riverton-herald.example\n"
        "Bad Row,upside-down,\n",
        encoding="utf-8",
    )
    assert run(settings, "sources", "import", str(ratings)) == 1
    captured = capsys.readouterr()
    assert "1 new, 0 updated, 1 skipped" in captured.out and "line 3" in captured.err
    assert (
        run(settings, "sources", "lookup", "https://news.riverton-herald.example/a", "--json") == 0
    )
    assert json.loads(capsys.readouterr().out)["lean"] == "lean-right"
    assert run(settings, "sources", "lookup", "CNN (Online News)") == 0
    assert "lean-left" in capsys.readouterr().out
    with pytest.raises(InputError, match="no outlet matches"):
        run(settings, "sources", "lookup", "Nobody Weekly")
    assert run(settings, "sources", "list", "--lean", "lean-right") == 0
    assert "Riverton Herald" in capsys.readouterr().out


def test_cluster_eval_on_a_small_roundup_file(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roundups = tmp_path / "roundups.jsonl"
    lines = []
    for number, (event, date) in enumerate(
        [("ferry", "2021-05-01"), ("summit", "2021-05-01"), ("budget", "2021-05-09")]
    ):
        items = [article(f"{event}{i}", event, variant=i) for i in range(3)]
        lines.append(
            {
                "id": number,
                "date": f"{date}T11:00:00-07:00",
                "articles": [
                    {
                        "outlet": a["outlet"],
                        "title": a["title"],
                        "url": a["url"],
                        "text_excerpt": a["text"],
                    }
                    for a in items
                ],
            }
        )
    write_jsonl(roundups, lines)
    argv = ("cluster", "eval", str(roundups), "--seeds", "1", "--no-cv")
    assert run(settings, *argv, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    full = [row for row in result["rows"] if row["stream"] == "full"]
    assert [row["density"] for row in full] == [1.0, 2.0, 3.0, 4.0]
    assert (full[0]["articles"], full[0]["stories"]) == (9, 3)
    assert full[0]["ari"] == 1.0 and full[0]["purity"] == 1.0
    assert run(settings, *argv, "--density", "3") == 0
    text = capsys.readouterr().out
    assert "3x ARI / purity" in text and "compress the time axis" in text
    with pytest.raises(InputError, match="no such file"):
        run(settings, "cluster", "eval", str(tmp_path / "missing.jsonl"))
    # Without a path, the dev stream is looked up in STORYDESK_EVALDATA.
    elsewhere = settings.model_copy(update={"evaldata_dir": tmp_path / "evaldata"})
    with pytest.raises(ConfigError, match="STORYDESK_EVALDATA"):
        run(elsewhere, "cluster", "eval", "--no-cv")


def test_bench_cluster_is_a_benchmark_of_the_bench_group() -> None:
    from agent.cli import build_parser

    args = build_parser().parse_args(["bench", "cluster", "--n", "1000", "--n", "10,000"])
    assert args.n == [1000, 10000]
