"""Opt-in: the embedded model, in-process (SmolLM2-135M via llama.cpp; a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli import main
from agent.schemas import parse_cluster
from agent.settings import Settings
from tests.helpers import NOW, example

pytestmark = pytest.mark.model


def test_check_command_calls_the_model_then_the_cache(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    first, second = out.strip().splitlines()[-2:]
    assert first.startswith("model call: local/SmolLM2-135M-Instruct") and "cached" not in first
    assert " 0 prompt + 0 completion tokens" not in first
    assert (
        second.startswith("repeat: served from the cache")
        and "0 prompt + 0 completion tokens" in second
    )


def test_draft_with_the_embedded_model(data_dir: Path) -> None:
    from agent import StoryAgent

    cluster = parse_cluster(example("koizumi-hegseth"))
    agent = StoryAgent(Settings(data_dir=data_dir, cache=False), now=NOW)
    story = agent.draft(cluster)
    ids = {a.id for a in cluster.articles}
    texts = {a.id: f"{a.title}\n{a.text}" for a in cluster.articles}
    assert story.provenance.backend == "local" and story.provenance.tokens.completion > 0
    assert len(story.summary) >= 3 and story.timeline
    for item in [*story.summary, *story.timeline, *story.who_benefited, *story.who_impacted]:
        assert set(item.citations) <= ids
    for claim in story.fact_check.claims:
        assert claim.verdict == "supported"
        assert all(e.quote in texts[e.article_id] for e in claim.evidence)


def test_a_small_eval_produces_its_report(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What CI runs of the evaluation suite: one example drafted, scored and reported."""
    out = tmp_path / "eval"
    examples = Path(__file__).resolve().parents[2] / "examples"
    assert (
        main(
            [
                "eval",
                "run",
                "examples",
                str(examples),
                "--limit",
                "1",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    assert main(["eval", "report", str(out)]) == 0
    summary = __import__("json").loads((out / "summary.json").read_text())
    assert summary["items"] == 1 and summary["schema_validity"] == 1.0
    assert summary["support_rate"] is not None and summary["tokens_per_story"] > 0
    assert (out / "report.html").stat().st_size > 1000 and (out / "report.md").exists()
    html = (out / "report.html").read_text()
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")


def test_the_readmes_draft_command(tmp_path: Path) -> None:
    """The README's first command, as a user runs it: the console script, the embedded model."""
    import os
    import subprocess
    import sys

    from agent.schemas import Story

    root = Path(__file__).resolve().parents[2]
    story, html = tmp_path / "story.json", tmp_path / "story.html"
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("storydesk")),
            "draft",
            "examples/koizumi-hegseth.json",
            "--out",
            str(story),
            "--html",
            str(html),
        ],
        cwd=root,
        env={**os.environ, "STORYDESK_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    drafted = Story.model_validate_json(story.read_text())
    assert drafted.review.status == "needs_review" and drafted.provenance.backend == "local"
    assert drafted.provenance.tokens.completion > 0
    assert html.read_text().startswith("<!doctype html>")
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"drafted {drafted.id} rev 1 (needs_review)")
    assert (tmp_path / "data" / "model-probe.json").is_file()  # the CPU probe ran and was kept
