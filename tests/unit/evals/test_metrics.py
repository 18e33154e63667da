"""Metric definitions on hand-checked examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.schemas import FactCheck, TimelineEvent
from evals.datasets import load_babe
from evals.datasets.base import GoldDate
from evals.metrics.balance import side_balance
from evals.metrics.factcheck import balanced_accuracy, factcheck_scores, predicted_label
from evals.metrics.loaded import (
    NaiveBayes,
    accuracy,
    cross_validate,
    loaded_rate,
    split_sentences,
    stratified_folds,
)
from evals.metrics.registry import METRICS
from evals.metrics.rouge import rouge
from evals.metrics.story import cost, schema_valid
from evals.metrics.support import citation_validity, claim_support
from evals.metrics.timeline import most_frequent_dates, prf, timeline_scores
from tests.unit.evals.evalfakes import make_cluster, make_story


def test_rouge_matches_hand_computed_values() -> None:
    scores = rouge("the cat sat on the mat", "the cat was on the mat")
    assert scores["rouge1"] == pytest.approx(5 / 6)
    assert scores["rouge2"] == pytest.approx(3 / 5)
    assert scores["rougeL"] == pytest.approx(5 / 6)
    assert rouge("Budgets approved.", "budget approves")["rouge1"] == pytest.approx(1.0)  # stems
    assert rouge("x", "completely different")["rouge1"] == 0.0


def test_rouge_agrees_with_rouge_score_directly() -> None:
    from rouge_score import rouge_scorer

    prediction = "Italy requires workers to show a health pass, prompting protests in Trieste."
    reference = "Italy's vaccine mandate requires all workers to show a Green Pass; ports protest."
    expected = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True).score(
        reference, prediction
    )
    got = rouge(prediction, reference)
    for key in ("rouge1", "rouge2", "rougeL"):
        assert got[key] == pytest.approx(expected[key].fmeasure)


def _events(*dates: str) -> list[TimelineEvent]:
    precision = {4: "year", 7: "month", 10: "day"}
    return [
        TimelineEvent(
            date=d,
            precision=precision[len(d)],
            event=f"Protesters marched {d}",  # type: ignore[arg-type]
            citations=["a1"],
        )
        for d in dates
    ]


GOLD = (
    GoldDate("2011-01-25", ("Protesters marched in Cairo.",)),
    GoldDate("2011-01-27", ("ElBaradei returns to Egypt.",)),
    GoldDate("2011-02-11", ("Mubarak resigns.",)),
)
PUB = [
    "2011-01-25",
    "2011-01-25",
    "2011-01-26",
    "2011-01-27",
    "2011-01-27",
    "2011-01-27",
    "2011-01-28",
    "2011-01-30",
]


def test_timeline_date_scores_count_coarse_dates_as_misses() -> None:
    scores = timeline_scores(_events("2011-01-25", "2011-01-26", "2011-01"), GOLD, PUB)
    assert scores["dates_predicted"] == 3 and scores["dates_coarse"] == 1
    assert scores["date_precision"] == pytest.approx(1 / 3)
    assert scores["date_recall"] == pytest.approx(1 / 3)
    assert scores["date_f1"] == pytest.approx(1 / 3)
    assert scores["date_text_rouge1"] == pytest.approx(
        rouge("Protesters marched 2011-01-25", "Protesters marched in Cairo.")["rouge1"]
    )
    # baseline with the story's k = 3: 01-27 (3 articles), 01-25 (2), then 01-26 (earliest of ties)
    assert most_frequent_dates(PUB, 3) == ["2011-01-27", "2011-01-25", "2011-01-26"]
    assert scores["baseline_date_f1"] == pytest.approx(2 / 3)
    assert scores["baseline_date_f1_gold_k"] == pytest.approx(2 / 3)


def test_timeline_with_no_dates_scores_zero() -> None:
    scores = timeline_scores([], GOLD, PUB)
    assert scores["date_f1"] == 0.0 and scores["date_precision"] == 0.0
    assert scores["date_text_rouge1"] is None
    assert scores["baseline_date_f1"] == 0.0  # k = 0
    assert prf(["2011-01-25"], ["2011-01-25"])["date_f1"] == 1.0


def test_balanced_accuracy_and_factcheck_scores() -> None:
    labels = [1, 1, 0, 0, 0, 0]
    predictions = [1, 0, 0, 0, 0, 1]
    assert balanced_accuracy(labels, predictions) == pytest.approx((1 / 2 + 3 / 4) / 2)
    assert balanced_accuracy([0, 0], [0, 1]) == 0.5
    edits = [[], [], ["antonym_swap"], ["a", "b"], [], ["b"]]
    scores = factcheck_scores(labels, predictions, edits)
    assert scores["factcheck_accuracy"] == pytest.approx(4 / 6)
    assert scores["confusion"]["inconsistent_called_consistent"] == 1
    assert scores["inconsistent_recall_by_edit"]["b"] == {"items": 2, "recall": 0.5}
    assert predicted_label(FactCheck(supported=3)) == 1
    assert predicted_label(FactCheck(supported=3, unsupported=1)) == 0
    assert predicted_label(FactCheck(contradicted=1)) == 0


def test_side_balance_compares_summary_citations_with_cluster_shares() -> None:
    cluster = make_cluster(leans=("lean-left", "center", "right"))
    story = make_story(cluster, summary=[("One.", ["a1"]), ("Two.", ["a1", "a2"])])
    result = side_balance(story, cluster)
    assert result["summary_share_left"] == pytest.approx(2 / 3)
    assert result["summary_share_right"] == 0.0
    assert result["cluster_share_center"] == pytest.approx(1 / 3)
    assert result["side_balance_gap"] == pytest.approx(1 / 3)


def test_side_balance_uses_coverage_for_articles_without_lean_and_skips_unrated() -> None:
    cluster = make_cluster(leans=(None, "unrated", "right"))
    story = make_story(cluster, summary=[("One.", ["a1", "a2"])])
    # the fake story's coverage puts a lean-less article under "unrated": no side at all
    result = side_balance(story, cluster)
    assert result["summary_share_left"] is None and result["side_balance_gap"] is None
    assert result["cluster_share_right"] == 1.0


def test_claim_support_and_citation_validity() -> None:
    cluster = make_cluster()
    story = make_story(
        cluster,
        summary=[("One.", ["a1", "a9"])],
        verdicts=(3, 1, 1),
        evidence=[("a1", "The council  approved\nthe budget on Thursday."), ("a2", "Invented.")],
    )
    support = claim_support(story)
    assert support["support_rate"] == pytest.approx(3 / 5)
    assert (support["unsupported"], support["contradicted"]) == (1, 1)
    validity = citation_validity(story, cluster)
    assert validity["unknown_ids"] == ["a9"]
    assert validity["cited_ids_valid"] == pytest.approx(3 / 4)  # a1, a9, and both evidence ids
    assert validity["quotes_verbatim"] == pytest.approx(1 / 2)  # whitespace collapsed, no more
    assert validity["citation_validity"] == pytest.approx(4 / 6)
    assert validity["quotes_not_found"] == [{"article_id": "a2", "quote": "Invented."}]


def test_schema_validity_and_cost() -> None:
    cluster = make_cluster()
    story = make_story(cluster, tokens=(120, 30))
    assert schema_valid(story) == (True, None)
    assert cost(story, 2.5)["tokens"] == 150
    story.summary[0].citations = []
    valid, why = schema_valid(story)
    assert not valid and why and why.startswith("summary.0.citations")


def test_split_sentences_keeps_quotes_and_abbreviations() -> None:
    text = 'He said "It is fine." Then he left. The U.S. Senate met Mr. Smith today.\nA new line.'
    assert split_sentences(text) == [
        'He said "It is fine."',
        "Then he left.",
        "The U.S. Senate met Mr. Smith today.",
        "A new line.",
    ]


def test_naive_bayes_learns_loaded_words(babe_file: Path) -> None:
    items = load_babe(babe_file)
    texts, labels = [i.text or "" for i in items], [i.label or 0 for i in items]
    model = NaiveBayes().fit(texts, labels)
    assert model.predict("The corrupt radicals spread outrageous lies.") == 1
    assert model.predict("The committee will publish the report on Tuesday.") == 0
    assert loaded_rate(model, ["Outrageous shameless lies.", "The report was published."]) == 0.5
    assert loaded_rate(model, []) is None
    folds = stratified_folds(labels, 3)
    assert sorted(i for fold in folds for i in fold) == list(range(len(labels)))
    assert all(sum(labels[i] for i in fold) == 2 for fold in folds)  # balance kept
    predictions = cross_validate(texts, labels, k=3)
    assert cross_validate(texts, labels, k=3) == predictions  # deterministic
    assert accuracy(labels, predictions) >= 0.75


def test_registry_and_metrics_md_agree() -> None:
    text = (Path(__file__).resolve().parents[3] / "evals" / "METRICS.md").read_text("utf-8")
    rows = {
        m.group(1): (m.group(2), m.group(3))
        for m in re.finditer(r"^\| `(\w+)` \|.*\| (higher|lower|info) \| ([^|]+) \|$", text, re.M)
    }
    assert set(rows) == set(METRICS), set(rows) ^ set(METRICS)
    for name, spec in METRICS.items():
        direction, tolerance = rows[name]
        assert direction == spec.direction, name
        if spec.direction == "info":
            assert tolerance.strip() == "–", name
        elif spec.relative:
            assert tolerance.strip() == f"{spec.tolerance:.0%} rel", name
        else:
            assert float(tolerance) == spec.tolerance, name


def test_metric_spec_regression_rules() -> None:
    assert METRICS["rouge1"].regressed(0.40, 0.38)
    assert not METRICS["rouge1"].regressed(0.40, 0.395)
    assert METRICS["side_balance_gap"].regressed(0.10, 0.20)
    assert not METRICS["seconds_per_story"].regressed(10.0, 14.9)  # 50% relative
    assert METRICS["seconds_per_story"].regressed(10.0, 15.1)
    assert METRICS["schema_validity"].regressed(1.0, 0.99)
    assert not METRICS["items"].regressed(100, 1)
