"""`storydesk eval run` prints each dataset's figures beside their baselines and targets."""

from __future__ import annotations

from evals.cli import beside_baselines


def test_allsides_rouge_is_printed_beside_both_lead_baselines() -> None:
    text = beside_baselines(
        {"rouge1": 0.4412, "rouge1_first_article": 0.352, "rouge1_first_two": 0.4171}, "allsides"
    )
    line = next(line for line in text.splitlines() if "ROUGE-1" in line)
    assert "0.441" in line and "first article 0.352" in line and "0.417" in line
    assert "parties filled" in text and "category accuracy" in text


def test_timeline_f1_is_printed_beside_the_same_k_baseline() -> None:
    text = beside_baselines(
        {"date_f1": 0.25, "baseline_date_f1": 0.3, "date_precision": 0.7}, "timeline17"
    )
    assert "0.250" in text and "same k 0.300" in text and "0.700" in text


def test_a_missing_figure_shows_as_a_dash_and_other_datasets_print_nothing() -> None:
    assert "first two sentences of every article -" in beside_baselines({}, "allsides")
    assert beside_baselines({"date_f1": 1.0}, "babe") == ""
