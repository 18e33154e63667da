"""SummEdits cross-validation: folds are documents, and no fold is fitted on its own document."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

import agent.checks.consistency
from agent.errors import ConfigError
from agent.settings import Settings
from evals.aggregate import aggregate
from evals.cli import register
from evals.datasets.summedits import load_summedits
from evals.metrics.factcheck import leave_documents_out


def _rows(document: str, pattern: list[tuple[int, int]], domain: str = "news") -> list[Any]:
    """Rows of one document: (names findings, label) pairs."""
    return [
        {
            "id": f"{document}-{n}",
            "status": "ok",
            "document": document,
            "domain": domain,
            "label": label,
            "predicted": int(names == 0),
            "features": {"names": names},
        }
        for n, (names, label) in enumerate(pattern)
    ]


def test_a_fold_is_scored_by_weights_fitted_without_its_document() -> None:
    # In documents a and b a missing name goes with inconsistency; in c, the largest, with
    # consistency. Fitted without c, the weights call c's summaries exactly wrong (0.0); a fit
    # that saw c would drop the names weight and score c at 0.5 or better.
    clean = [(1, 0)] * 5 + [(0, 1)] * 5
    rows = _rows("a", clean) + _rows("b", clean) + _rows("c", [(1, 1)] * 15 + [(0, 0)] * 15)
    cv = leave_documents_out(rows)
    assert cv is not None
    folds = {f["document"]: f for f in cv["folds"]}
    assert set(folds) == {"a", "b", "c"}
    assert folds["c"]["bacc"] == 0.0 and folds["c"]["items"] == 30
    assert folds["c"]["weights"]["names"] > 0
    assert cv["bacc_mean"] == pytest.approx(sum(f["bacc"] for f in folds.values()) / 3)
    assert cv["pooled"]["items"] == 50
    # Fitted on every document, c's reversal outweighs a and b: no names weight at all.
    assert "names" not in cv["calibration_all_folds"]


def test_each_fold_fits_on_exactly_the_other_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = agent.checks.consistency.fit_calibration

    def spy(rows: Any, **kwargs: Any) -> Any:
        seen.append(len(rows))
        return real(rows, **kwargs)

    monkeypatch.setattr(agent.checks.consistency, "fit_calibration", spy)
    pattern = [(1, 0), (0, 1), (0, 1)]
    rows = _rows("a", pattern) + _rows("b", pattern * 2) + _rows("c", pattern * 3)
    leave_documents_out(rows)
    # Folds a, b, c train on 18 - 3, 18 - 6, 18 - 9 rows; then one fit on all 18.
    assert seen == [15, 12, 9, 18]


def test_cross_validation_needs_two_documents() -> None:
    assert leave_documents_out(_rows("a", [(1, 0), (0, 1)])) is None
    assert leave_documents_out(_rows("a", [(0, 1)]) + _rows("b", [(0, 1)])) is None


def test_summary_reports_folds_domains_and_in_sample_documents() -> None:
    pattern = [(1, 0), (0, 1), (0, 1), (1, 0)]
    rows = _rows("a", pattern, "podcast") + _rows("b", pattern, "samsum")
    rows += _rows(sorted(agent.checks.consistency.SHIPPED.documents)[0], pattern, "news")
    summary = aggregate("summedits", rows)
    assert set(summary["by_domain"]) == {"podcast", "samsum", "news"}
    assert summary["by_domain"]["podcast"]["bacc"] == 1.0
    assert len(summary["by_document"]) == 3
    assert summary["shipped_calibration"]["documents_in_sample"] == 1
    assert [f["domain"] for f in summary["cross_validation"]["folds"]].count("samsum") == 1
    assert summary["cv_bacc_mean"] == 1.0 and summary["cv_consistent_recall"] == 1.0
    # The progress bar's running figure skips the folds.
    assert "cross_validation" not in aggregate("summedits", rows, folds=False)


def _write(path: Path, docs: dict[str, list[tuple[str, int]]], domain: str | None) -> Path:
    items = []
    for n, (doc, summaries) in enumerate(docs.items()):
        for m, (summary, label) in enumerate(summaries):
            row = {"id": f"d{n}s{m}", "doc": doc, "summary": summary, "label": label}
            if domain:
                row["domain"] = domain
            items.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


DOCS = {
    "The council of Riverton approved the budget on Monday. The mayor did not attend.": [
        ("Riverton's council approved the budget on Monday.", 1),
        ("Riverton's council rejected the budget on Monday.", 0),
        ("The council of Springfield approved the budget.", 0),
        ("The mayor was absent when the council passed the budget.", 1),
    ],
    "Three ferries sailed from Dover after the strike ended. Passengers waited for hours.": [
        ("After the strike, three ferries left Dover.", 1),
        ("Five ferries sailed from Dover after the strike ended.", 0),
        ("Passengers did not wait.", 0),
        ("Travellers waited for hours once the strike was over.", 1),
    ],
}


def test_loader_keeps_the_domain(tmp_path: Path) -> None:
    items = load_summedits(_write(tmp_path / "o.json", DOCS, "podcast"))
    assert {i.meta["domain"] for i in items} == {"podcast"}
    assert {i.meta["domain"] for i in load_summedits(_write(tmp_path / "n.json", DOCS, None))} == {
        "news"
    }


def test_cli_without_a_path_finds_the_news_split_and_prints_the_folds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaldata = tmp_path / "evaldata"
    _write(evaldata / "summedits" / "summedits_news_dev.json", DOCS, None)
    parser = argparse.ArgumentParser(prog="storydesk")
    register(parser.add_subparsers(dest="command"))
    out = tmp_path / "run"
    args = parser.parse_args(["eval", "run", "summedits", "--out", str(out), "--no-progress"])
    settings = Settings(llm="local", data_dir=tmp_path / "data", cache=False, evaldata_dir=evaldata)
    assert args.func(args, settings) == 0
    printed = capsys.readouterr().out
    assert "Leave-one-document-out cross-validation" in printed and "mean of folds" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["items"] == 8 and len(summary["cross_validation"]["folds"]) == 2
    assert summary["by_domain"]["news"]["items"] == 8
    # The checker catches the swapped verb, name, figure and negation of these summaries.
    assert summary["factcheck_bacc"] == 1.0
    report = (out / "report.md").read_text()
    assert "Shipped calibration, by domain" in report and "held-out score" in report
    args = parser.parse_args(["eval", "run", "allsides", "--out", str(out)])
    with pytest.raises(
        ConfigError, match="has no allsides/roundups_dev.jsonl; set STORYDESK_EVALDATA"
    ):
        args.func(args, settings)
