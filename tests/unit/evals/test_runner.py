"""The runner with a fake agent and a fake fact-checker: resumable, summarised, recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.errors import ClusterRefused, InputError, ModelOutputError, ModelUnavailableError
from agent.schemas import Cluster, Story
from evals.runner import ITEMS_FILE, RUN_FILE, SUMMARY_FILE, ModelInfo, RunOptions, run_eval
from tests.unit.evals.evalfakes import FakeAgent, FakeChecker, make_story


def _options(dataset: str, path: Path, out: Path, **kwargs: object) -> RunOptions:
    return RunOptions(dataset=dataset, path=path, out=out, progress=False, **kwargs)  # type: ignore[arg-type]


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / ITEMS_FILE).read_text().splitlines()]


def test_allsides_run_writes_rows_summary_and_metadata(
    allsides_file: Path, babe_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    agent = FakeAgent()
    summary = run_eval(
        _options("allsides", allsides_file, out, babe_path=babe_file),
        make_drafter=lambda: agent,
        model=ModelInfo(backend="local", model="SmolLM2", prompts={"summary": "1+x"}),
    )
    assert agent.drafted == ["allsides-1", "allsides-2", "allsides-4", "allsides-5"]
    for key in (
        "items",
        "support_rate",
        "rouge1",
        "rouge2",
        "rougeL",
        "seconds_per_story",
        "tokens_per_story",
        "citation_validity",
        "schema_validity",
        "side_balance_gap",
        "loaded_rate_summary",
        "loaded_rate_delta",
        "loaded_classifier_accuracy",
    ):
        assert summary[key] is not None, key
    assert summary["items"] == 4 and summary["complete"] and summary["pending"] == 0
    assert summary["tokens_per_story"] == 120
    assert summary["schema_validity"] == 1.0
    # The fixture's drafts and references are fixed, so are their scores (a range would pass
    # a metric that returned any constant in it).
    assert summary["rouge1"] == pytest.approx(2 / 3)
    assert summary["rouge2"] == pytest.approx(8 / 13)
    assert summary["rougeL"] == pytest.approx(2 / 3)
    assert any("skipped roundup 3" in n for n in summary["notes"])
    run = summary["run"]
    assert run["backend"] == "fake" and run["model"] == "fake-model"  # from the stories
    assert run["prompts"] == {"summary": "1+abc"}
    assert {"git", "started_at", "finished_at", "dataset_path", "limit"} <= set(run)
    on_disk = json.loads((out / SUMMARY_FILE).read_text())
    assert on_disk["rouge1"] == summary["rouge1"]
    rows = _rows(out)
    assert [r["id"] for r in rows] == ["1", "2", "4", "5"]
    assert rows[0]["story"]["cluster_id"] == "allsides-1"
    assert json.loads((out / RUN_FILE).read_text())["finished_at"]


def test_a_crash_keeps_finished_items_and_a_rerun_skips_them(
    allsides_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    crashing = FakeAgent(fail={"allsides-4": RuntimeError("segfault-ish bug")})
    with pytest.raises(RuntimeError):
        run_eval(_options("allsides", allsides_file, out), make_drafter=lambda: crashing)
    assert [r["id"] for r in _rows(out)] == ["1", "2"]
    partial = json.loads((out / SUMMARY_FILE).read_text())
    assert partial["items"] == 2 and not partial["complete"] and partial["pending"] == 2
    assert "finished_at" not in json.loads((out / RUN_FILE).read_text())

    healthy = FakeAgent()
    summary = run_eval(_options("allsides", allsides_file, out), make_drafter=lambda: healthy)
    assert healthy.drafted == ["allsides-4", "allsides-5"]
    assert summary["items"] == 4 and summary["complete"]
    assert json.loads((out / RUN_FILE).read_text())["resumed_at"]

    built: list[int] = []
    again = run_eval(
        _options("allsides", allsides_file, out),
        make_drafter=lambda: built.append(1) or FakeAgent(),  # type: ignore[func-returns-value]
    )
    assert built == [] and again["items"] == 4  # nothing pending: no model is even built


def test_a_half_written_row_is_dropped_and_redone(allsides_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    run_eval(_options("allsides", allsides_file, out, limit=2), make_drafter=FakeAgent)
    with (out / ITEMS_FILE).open("a") as handle:
        handle.write('{"id": "4", "status": "o')  # the process died mid-write
    agent = FakeAgent()
    summary = run_eval(_options("allsides", allsides_file, out), make_drafter=lambda: agent)
    assert agent.drafted == ["allsides-4", "allsides-5"]
    assert [r["id"] for r in _rows(out)] == ["1", "2", "4", "5"]
    assert any("half-written" in n for n in summary["notes"])


def test_item_failures_are_recorded_and_can_be_retried(allsides_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    agent = FakeAgent(
        fail={
            "allsides-2": ModelOutputError("invalid output 3 times"),
            "allsides-4": ClusterRefused("the articles are about two events"),
        }
    )
    summary = run_eval(_options("allsides", allsides_file, out), make_drafter=lambda: agent)
    assert summary["errors"] == 1 and summary["refused"] == 1
    assert summary["schema_validity"] == pytest.approx(2 / 3)  # refused left out
    assert summary["error_rate"] == pytest.approx(1 / 4)
    rows = {r["id"]: r for r in _rows(out)}
    assert rows["2"]["error"] == {"type": "ModelOutputError", "message": "invalid output 3 times"}
    # no story scores as an empty summary against the reference; the baseline is still scored
    assert rows["4"]["metrics"]["rouge1"] == 0.0 and rows["2"]["metrics"]["rouge2"] == 0.0
    assert rows["4"]["metrics"]["rouge1_first_article"] > 0
    ok_rouge = [rows[i]["metrics"]["rouge1"] for i in ("1", "5")]
    assert summary["rouge1"] == pytest.approx(sum(ok_rouge) / 4)
    assert summary["support_rate"] == 1.0  # over the stories drafted

    retry = FakeAgent()
    summary = run_eval(
        _options("allsides", allsides_file, out, retry_errors=True), make_drafter=lambda: retry
    )
    assert retry.drafted == ["allsides-2"]
    assert summary["errors"] == 0 and summary["items"] == 4


def test_an_unreachable_model_stops_the_run(allsides_file: Path, tmp_path: Path) -> None:
    agent = FakeAgent(fail={"allsides-1": ModelUnavailableError("no server at localhost:8000")})
    with pytest.raises(ModelUnavailableError):
        run_eval(_options("allsides", allsides_file, tmp_path / "r"), make_drafter=lambda: agent)
    assert (tmp_path / "r" / ITEMS_FILE).exists() is False or _rows(tmp_path / "r") == []


def test_resuming_refuses_another_dataset_or_model(
    allsides_file: Path, summedits_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    run_eval(
        _options("allsides", allsides_file, out),
        make_drafter=FakeAgent,
        model=ModelInfo(backend="local", model="SmolLM2"),
    )
    with pytest.raises(InputError, match="holds a allsides run"):
        run_eval(_options("summedits", summedits_file, out), make_checker=lambda now: FakeChecker())
    with pytest.raises(InputError, match="--fresh"):
        run_eval(
            _options("allsides", allsides_file, out),
            make_drafter=FakeAgent,
            model=ModelInfo(backend="openai", model="gpt-4o-mini"),
        )
    fresh = run_eval(
        _options("allsides", allsides_file, out, fresh=True, limit=1),
        make_drafter=FakeAgent,
        model=ModelInfo(backend="openai", model="gpt"),
    )
    assert fresh["items"] == 1 and len(_rows(out)) == 1


def test_limit_and_unknown_dataset(allsides_file: Path, tmp_path: Path) -> None:
    summary = run_eval(
        _options("allsides", allsides_file, tmp_path / "r", limit=2), make_drafter=FakeAgent
    )
    assert summary["items"] == 2
    assert any("first 2 of 4" in n for n in summary["notes"])
    with pytest.raises(InputError, match="unknown dataset 'nope'; choose one of examples"):
        run_eval(_options("nope", allsides_file, tmp_path / "x"))


def test_summedits_balanced_accuracy_with_a_fake_checker(
    summedits_file: Path, tmp_path: Path
) -> None:
    checker = FakeChecker(marker="not", fail_on="mayor")
    seen: list[object] = []

    def make_checker(now: object) -> FakeChecker:
        seen.append(now)
        return checker

    summary = run_eval(
        _options("summedits", summedits_file, tmp_path / "r"), make_checker=make_checker
    )
    # s0 (1) -> 1, s1 (0) -> 0, s2 fails (error), s3 (1) -> 1
    assert summary["items"] == 4 and summary["errors"] == 1
    assert summary["factcheck_bacc"] == 1.0
    assert summary["tokens_per_item"] == 10
    assert seen and getattr(seen[0], "tzinfo", None) is not None
    assert summary["confusion"]["inconsistent_called_inconsistent"] == 1


def test_babe_run_reports_cross_validated_accuracy(babe_file: Path, tmp_path: Path) -> None:
    summary = run_eval(_options("babe", babe_file, tmp_path / "r"))
    assert summary["items"] == 12
    # 10 of the 12 fixture sentences classified right under cross-validation.
    assert summary["loaded_classifier_accuracy"] == pytest.approx(10 / 12)
    assert "loaded_classifier_bacc" in summary
    assert len(_rows(tmp_path / "r")) == 12


def test_timeline17_run_scores_dates_and_baseline(t17_dir: Path, tmp_path: Path) -> None:
    def build(cluster: Cluster) -> Story:
        return make_story(
            cluster,
            timeline=[
                ("2011-01-25", "Protesters marched in Cairo", ["a1"]),
                ("2011-01-28", "Curfew", ["a2"]),
            ],
        )

    summary = run_eval(
        _options("timeline17", t17_dir, tmp_path / "r", t17_articles=4),
        make_drafter=lambda: FakeAgent(build=build),
    )
    assert summary["date_precision"] == 0.5
    assert summary["date_recall"] == pytest.approx(1 / 3)
    assert summary["date_f1"] == pytest.approx(0.4)
    assert summary["baseline_date_f1"] == pytest.approx(0.8)  # k=2: 01-27, 01-25
    assert summary["date_text_rouge1"] == 1.0
    assert any("4 of 8 articles" in n for n in summary["notes"])
    assert "loaded-language metrics skipped" in " ".join(summary["notes"])


def test_examples_run(examples_dir: Path, tmp_path: Path) -> None:
    summary = run_eval(_options("examples", examples_dir, tmp_path / "r"), make_drafter=FakeAgent)
    assert summary["items"] == 2 and summary["support_rate"] == 1.0
    assert "rouge1" not in summary


def test_a_refused_timeline17_topic_scores_an_empty_timeline(t17_dir: Path, tmp_path: Path) -> None:
    agent = FakeAgent(fail={"t17-egypt": ClusterRefused("mixes 3 unrelated events")})
    summary = run_eval(_options("timeline17", t17_dir, tmp_path / "r"), make_drafter=lambda: agent)
    assert summary["refused"] == 1 and summary["date_f1"] == 0.0
    assert summary["baseline_date_f1"] == 0.0  # k = 0 dates
    assert summary["baseline_date_f1_gold_k"] == pytest.approx(2 / 3)


def test_git_state_names_a_commit_or_says_unknown() -> None:
    import subprocess

    from evals.runner import git_state

    state = git_state()
    assert set(state) == {"commit", "dirty"}
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent
    )
    if head.returncode != 0:
        pytest.skip("not run from a git checkout: git_state() has no commit to name")
    # In a checkout it must name the very commit, not fall back to None.
    assert state["commit"] == head.stdout.strip()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    )
    assert state["dirty"] is bool(status.stdout.strip())


def test_a_damaged_run_record_asks_for_fresh(allsides_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    run_eval(_options("allsides", allsides_file, out, limit=1), make_drafter=FakeAgent)
    (out / RUN_FILE).write_text("{not json")
    with pytest.raises(InputError, match="--fresh"):
        run_eval(_options("allsides", allsides_file, out), make_drafter=FakeAgent)
    assert (
        run_eval(_options("allsides", allsides_file, out, fresh=True), make_drafter=FakeAgent)[
            "items"
        ]
        == 4
    )
