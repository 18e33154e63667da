"""Timeline dates against a gold timeline (Timeline17), and the publication-date baseline.

- Predicted dates: the distinct dates of the story's timeline events. Day-precision dates
  (YYYY-MM-DD) can match a gold date; a month- or year-precision event (YYYY-MM, YYYY) still
  counts as a predicted date but matches none (the gold timelines are at day precision, and a
  month is not a day), so vague timelines pay in precision.
- `date_precision` = matched ÷ predicted; `date_recall` = matched ÷ gold dates;
  `date_f1` = their harmonic mean (0 when nothing matches or nothing is predicted).
- `date_text_rouge1`: for each matched date, ROUGE-1 F (rouge-score, stemmed) of the story's
  events on that date (joined) against the gold sentences of that date, averaged over matched
  dates (None when no date matches): is the right thing said on the right day?
- Baseline "the most frequent publication dates": the k dates on which the topic's articles
  (all of them, not only those sampled for the draft) were most often published, ties broken by
  the earlier date. `baseline_date_f1` uses the story's own k (its number of predicted dates),
  the fair comparison at equal budget; `baseline_date_f1_gold_k` uses k = the number of gold
  dates, the convention of the Timeline17 literature and of evaldata's SOURCE.md (mean ≈ 0.52).
Run values are means over topics; a topic the agent refused or failed on counts as an empty
timeline (all date scores 0), its baselines as usual.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from agent.schemas import TimelineEvent
from evals.datasets.base import GoldDate
from evals.metrics.rouge import rouge


def prf(predicted: Iterable[str], gold: Iterable[str]) -> dict[str, float | int]:
    """Precision, recall and F1 of a set of predicted dates against gold dates (exact match)."""
    predicted_set, gold_set = set(predicted), set(gold)
    matched = len(predicted_set & gold_set)
    precision = matched / len(predicted_set) if predicted_set else 0.0
    recall = matched / len(gold_set) if gold_set else 0.0
    f1 = 2 * precision * recall / (precision + recall) if matched else 0.0
    return {
        "date_precision": precision,
        "date_recall": recall,
        "date_f1": f1,
        "dates_predicted": len(predicted_set),
        "dates_gold": len(gold_set),
        "dates_matched": matched,
    }


def most_frequent_dates(pub_dates: Sequence[str], k: int) -> list[str]:
    """The k most frequent publication dates, the earlier first among equals."""
    counts = Counter(pub_dates)
    ranked = sorted(counts, key=lambda day: (-counts[day], day))
    return ranked[: max(k, 0)]


def timeline_scores(
    events: Sequence[TimelineEvent], gold: Sequence[GoldDate], pub_dates: Sequence[str]
) -> dict[str, Any]:
    """Score a story's timeline dates and texts against the gold timeline, with the baselines."""
    gold_days = [entry.date for entry in gold if len(entry.date) == 10]
    predicted = {event.date for event in events}
    scores: dict[str, Any] = dict(prf(predicted, gold_days))
    scores["dates_coarse"] = sum(1 for day in predicted if len(day) != 10)
    gold_text: dict[str, list[str]] = {}
    for entry in gold:
        gold_text.setdefault(entry.date, []).extend(entry.sentences)
    overlaps = []
    for day in sorted(predicted & set(gold_days)):
        said = " ".join(event.event for event in events if event.date == day)
        reference = " ".join(gold_text.get(day, []))
        if said.strip() and reference.strip():
            overlaps.append(rouge(said, reference)["rouge1"])
    scores["date_text_rouge1"] = sum(overlaps) / len(overlaps) if overlaps else None
    k = len(predicted)
    scores["baseline_date_f1"] = prf(most_frequent_dates(pub_dates, k), gold_days)["date_f1"]
    scores["baseline_date_f1_gold_k"] = prf(
        most_frequent_dates(pub_dates, len(set(gold_days))), gold_days
    )["date_f1"]
    return scores
