"""Reports, run comparison and the `eval` command line, over fake-agent runs."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

import agent
from agent.errors import InputError, ModelOutputError
from agent.schemas import Cluster, Story
from agent.settings import Settings
from evals.__main__ import main as evals_main
from evals.cli import register
from evals.compare import compare_runs, compare_summaries, format_deltas, parse_tolerances
from evals.report import write_report
from evals.runner import RunOptions, run_eval
from tests.unit.evals.evalfakes import FakeAgent, make_story


def _run(
    dataset: str, path: Path, out: Path, drafter: object = FakeAgent, **kwargs: object
) -> dict:
    options = RunOptions(dataset=dataset, path=path, out=out, progress=False, **kwargs)  # type: ignore[arg-type]
    return run_eval(options, make_drafter=drafter)  # type: ignore[arg-type]


def test_report_writes_markdown_and_self_contained_html(
    allsides_file: Path, babe_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    agent_ = FakeAgent(fail={"allsides-5": ModelOutputError("invalid output")})
    run_eval(
        RunOptions("allsides", allsides_file, out, babe_path=babe_file, progress=False),
        make_drafter=lambda: agent_,
    )
    md_path, html_path = write_report(out)
    md, html = md_path.read_text(), html_path.read_text()
    assert "# storydesk eval: allsides" in md
    assert "| support_rate |" in md.replace("| support |", "|")
    assert "(charts/side-balance.svg)" in md and (out / "charts" / "side-balance.svg").is_file()
    assert (out / "charts" / "dist-rouge1.svg").is_file()
    assert "ModelOutputError" in md  # failures listed
    assert html.count("<svg") >= 3
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no network assets
    assert "side balance" in html
    for chart in (out / "charts").glob("*.svg"):
        root = ElementTree.fromstring(chart.read_text())  # well-formed SVG
        assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_report_needs_a_run_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no summary.json"):
        write_report(tmp_path)


def test_report_for_summedits_shows_the_confusion(summedits_file: Path, tmp_path: Path) -> None:
    from tests.unit.evals.evalfakes import FakeChecker

    out = tmp_path / "se"
    run_eval(
        RunOptions("summedits", summedits_file, out, progress=False),
        make_checker=lambda now: FakeChecker(),
    )
    md_path, _ = write_report(out)
    md = md_path.read_text()
    assert "Fact-checker on SummEdits" in md and "SummaC-Conv 0.619" in md
    assert "| negation_insertion_removal | 1 | 1.00 |" in md


def _worse_story(cluster: Cluster) -> Story:
    return make_story(cluster, verdicts=(1, 2, 1), summary=[("Unrelated words entirely.", ["a1"])])


def test_compare_flags_regressions_beyond_tolerance(allsides_file: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _run("allsides", allsides_file, a)
    _run("allsides", allsides_file, b, drafter=lambda: FakeAgent(build=_worse_story))
    deltas, notes = compare_runs(a, b)
    by_name = {d.name: d for d in deltas}
    assert by_name["support_rate"].regressed and by_name["rouge1"].regressed
    assert by_name["items"].status == "info"
    table = format_deltas(deltas, notes, "a", "b")
    assert "REGRESSED: " in table and "support_rate" in table.splitlines()[-1]
    same, _ = compare_runs(a, a)
    assert not any(d.regressed for d in same)
    loose, _ = compare_runs(
        a,
        b,
        parse_tolerances(
            [
                "support_rate=1",
                "rouge1=1",
                "rouge2=1",
                "rougeL=1",
                "unsupported_per_story=9",
                "contradicted_per_story=9",
                "loaded_rate_summary=1",
                "loaded_rate_delta=1",
                "seconds_per_story=1e9",
            ]
        ),
    )  # fake drafts take microseconds: timing noise is huge
    assert not any(d.regressed for d in loose), [d.name for d in loose if d.regressed]


def test_compare_resummarises_over_shared_items(allsides_file: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _run("allsides", allsides_file, a)
    _run("allsides", allsides_file, b, limit=2)
    deltas, notes = compare_runs(a, b)
    assert any("re-summarised over the 2" in n for n in notes)
    assert {d.name: d for d in deltas}["items"].before == 2


def test_compare_rules_and_bad_input(tmp_path: Path) -> None:
    deltas = {
        d.name: d
        for d in compare_summaries(
            {"rouge1": 0.40, "date_f1": 0.5, "seconds_per_story": 10.0},
            {"rouge1": 0.395, "seconds_per_story": 30.0, "support_rate": 0.9},
        )
    }
    assert deltas["rouge1"].status == "worse (within tolerance)"
    assert deltas["date_f1"].status == "REGRESSED (missing)"
    assert deltas["seconds_per_story"].regressed
    assert deltas["support_rate"].status == "new"
    with pytest.raises(InputError, match="NAME=VALUE"):
        parse_tolerances(["nonsense"])
    (tmp_path / "x.json").write_text(json.dumps({"dataset": "allsides"}))
    (tmp_path / "y.json").write_text(json.dumps({"dataset": "summedits"}))
    with pytest.raises(InputError, match="compare runs of one dataset"):
        compare_runs(tmp_path / "x.json", tmp_path / "y.json")
    with pytest.raises(InputError, match="no such run"):
        compare_runs(tmp_path / "missing", tmp_path / "x.json")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="storydesk")
    register(parser.add_subparsers(dest="command"))
    return parser


def _settings(tmp_path: Path) -> Settings:
    return Settings(llm="local", data_dir=tmp_path / "data", cache=False)


def test_cli_run_report_compare(
    allsides_file: Path,
    babe_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    built: list[object] = []

    class FakeStoryAgent(FakeAgent):
        def __init__(self, settings: Settings | None = None, **kwargs: object) -> None:
            super().__init__()
            built.append(settings)
            self.threads: list[str] = []
            self.checkpointer = kwargs["checkpointer"]

        def draft(self, cluster: Cluster, *, thread_id: str | None = None) -> Story:
            assert thread_id and thread_id.startswith("eval:")
            self.threads.append(thread_id)
            return super().draft(cluster)

    monkeypatch.setattr(agent, "StoryAgent", FakeStoryAgent, raising=False)
    parser, settings = _parser(), _settings(tmp_path)
    out = tmp_path / "cli-run"
    args = parser.parse_args(
        [
            "eval",
            "run",
            "allsides",
            str(allsides_file),
            "--limit",
            "3",
            "--out",
            str(out),
            "--babe",
            str(babe_file),
            "--no-progress",
        ]
    )
    assert args.func(args, settings) == 0
    assert len(built) == 1  # one agent for the whole run
    printed = capsys.readouterr().out
    assert "allsides: complete" in printed and '"items": 3' in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["limit"] == 3
    args = parser.parse_args(["eval", "report", str(out)])
    assert args.func(args, settings) == 0
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    args = parser.parse_args(["eval", "compare", str(out), str(out)])
    assert args.func(args, settings) == 0
    assert "no metric regressed" in capsys.readouterr().out


def test_cli_compare_exits_1_on_regression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"dataset": "summedits", "factcheck_bacc": 0.7}))
    (tmp_path / "b.json").write_text(json.dumps({"dataset": "summedits", "factcheck_bacc": 0.6}))
    args = _parser().parse_args(
        ["eval", "compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    )
    assert args.func(args, _settings(tmp_path)) == 1
    assert "REGRESSED: factcheck_bacc" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "run", "nope", "."], "unknown dataset 'nope'; choose one of examples, allsides"),
        (["eval", "run", "allsides", "/no/such/file.jsonl"], "no such file or directory"),
        (["eval", "run", "babe", ".", "--babe", "/no/babe.csv"], "--babe /no/babe.csv: no such"),
        (["eval", "report", "/no/such/dir"], "no such directory"),
    ],
)
def test_cli_bad_input_raises_input_error(argv: list[str], message: str, tmp_path: Path) -> None:
    args = _parser().parse_args(argv)
    with pytest.raises(InputError, match=re.escape(message)):
        args.func(args, _settings(tmp_path))


def test_python_m_evals_runs_babe_and_prints_errors_as_one_line(
    babe_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORYDESK_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "babe-run"
    assert evals_main(["run", "babe", str(babe_file), "--out", str(out), "--no-progress"]) == 0
    assert "loaded_classifier_accuracy" in capsys.readouterr().out
    assert evals_main(["report", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_cli_summedits_runs_the_graphs_own_fact_check_rules(
    summedits_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # On the local backend STORYDESK_MODEL_VERDICTS=auto leaves the verdicts to the rules, as the
    # graph does, so the real check_summary runs here without any model.
    out = tmp_path / "se"
    args = _parser().parse_args(
        ["eval", "run", "summedits", str(summedits_file), "--out", str(out), "--no-progress"]
    )
    assert args.func(args, _settings(tmp_path)) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["items"] == 4 and summary["errors"] == 0
    # Balanced accuracy is the mean of the per-class recalls of the confusion it reports.
    c = summary["confusion"]
    recall_consistent = c["consistent_called_consistent"] / (
        c["consistent_called_consistent"] + c["consistent_called_inconsistent"]
    )
    recall_inconsistent = c["inconsistent_called_inconsistent"] / (
        c["inconsistent_called_inconsistent"] + c["inconsistent_called_consistent"]
    )
    assert summary["factcheck_bacc"] == pytest.approx((recall_consistent + recall_inconsistent) / 2)
    assert summary["factcheck_bacc"] == pytest.approx(0.75)  # 2/2 and 1/2 on the fixture
    assert any("rules alone decide" in note for note in summary["notes"])
    assert summary["run"]["backend"] == "none (fact-check rules only)"
    args = _parser().parse_args(["eval", "run", "allsides", ".", "--deterministic"])
    with pytest.raises(InputError, match="summedits only"):
        args.func(args, _settings(tmp_path))
