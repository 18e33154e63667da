"""The no-model timeline eval: the rule's dates beside both publication-date baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import timeline_rules

EVENTS = {
    "2011-01-25": "Thousands of protesters marched through Cairo on {day}.",
    "2011-01-26": "Police fired tear gas at crowds in Suez on {day}.",
    "2011-01-27": "ElBaradei flew back to Egypt on {day}.",
    "2011-01-30": "Banks stayed shut across the country on {day}.",
}


def test_the_rule_dates_are_scored_beside_both_baselines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Eight articles; four are sampled (one per day above), and each tells its day's event.
    days = ["2011-01-25", "2011-01-25", "2011-01-26", "2011-01-27"]
    days += ["2011-01-27", "2011-01-27", "2011-01-28", "2011-01-30"]
    articles = [
        {"pub_date": day, "text": EVENTS.get(day, "Talks went on on {day}.").format(day=day)}
        for day in days
    ]
    gold = [{"date": day, "sentences": ["…"]} for day in ("2011-01-25", "2011-01-27", "2011-01-28")]
    (tmp_path / "t17_egypt.json").write_text(
        json.dumps({"topic": "egypt", "articles": articles, "gold_timeline": gold}),
        encoding="utf-8",
    )
    assert timeline_rules.main(["--data", str(tmp_path), "--articles", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = dict(zip(lines[0].split()[2:], map(float, lines[1].split()[2:]), strict=True))
    assert lines[1].split()[:2] == ["egypt", "held-out"]
    # The rule keeps the four dates the text gives; two are gold.
    assert row["dates_predicted"] == 4
    assert row["date_precision"] == pytest.approx(2 / 4, abs=1e-3)
    assert row["date_recall"] == pytest.approx(2 / 3, abs=1e-3)
    # Over all eight articles the four most published days are 01-27, 01-25, 01-26, 01-28
    # (three gold); over the four sampled, one each, the earliest four: the rule's own days.
    f1 = 2 * (1 / 2) * (2 / 3) / (1 / 2 + 2 / 3)
    printed = 1e-3  # the table has three decimals
    assert row["date_f1"] == pytest.approx(f1, abs=printed)
    assert row["baseline_date_f1"] == pytest.approx(2 * 0.75 / 1.75, abs=printed)
    assert row["sampled_baseline_f1"] == pytest.approx(f1, abs=printed)
