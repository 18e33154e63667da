"""Turn a run's per-item rows into its summary metrics (definitions in evals/metrics/*)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from statistics import fmean
from typing import Any

from evals.datasets import STORY_DATASETS
from evals.metrics.factcheck import (
    balanced_accuracy,
    by_group,
    factcheck_scores,
    leave_documents_out,
)
from evals.metrics.loaded import accuracy

MEAN_KEYS = (
    "citation_validity",
    "cited_ids_valid",
    "quotes_verbatim",
    "rouge1",
    "rouge2",
    "rougeL",
    "rouge1_first_article",
    "rouge1_first_two",
    "date_precision",
    "date_recall",
    "date_f1",
    "date_text_rouge1",
    "baseline_date_f1",
    "baseline_date_f1_gold_k",
    "loaded_rate_summary",
    "loaded_rate_sources",
    "loaded_rate_delta",
    "side_balance_gap",
    "summary_share_left",
    "summary_share_center",
    "summary_share_right",
    "cluster_share_left",
    "cluster_share_center",
    "cluster_share_right",
    "category_ok",
    "parties_filled",
    "party_named",
    "max_sentence_overlap",
    "title_model",
    "title_composed",
    "title_source",
    "sentiment_model_agrees",
)
"""Per-story metrics whose run value is the mean over the stories that have one."""


def _mean(values: Iterable[Any]) -> float | None:
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return fmean(numbers) if numbers else None


def _story_metrics(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ok = [row for row in rows if row.get("status") == "ok"]
    refused = sum(1 for row in rows if row.get("status") == "refused")
    metrics = [row.get("metrics", {}) for row in ok]
    attempted = len(rows) - refused
    valid = sum(1 for m in metrics if m.get("schema_valid"))
    claims = sum(int(m.get("claims", 0)) for m in metrics)
    supported = sum(int(m.get("supported", 0)) for m in metrics)
    unsupported = sum(int(m.get("unsupported", 0)) for m in metrics)
    contradicted = sum(int(m.get("contradicted", 0)) for m in metrics)
    summary: dict[str, Any] = {
        "refused": refused,
        "schema_validity": valid / attempted if attempted else None,
        "support_rate": supported / claims if claims else None,
        "claims_per_story": claims / len(ok) if ok else None,
        "unsupported": unsupported,
        "contradicted": contradicted,
        "unsupported_per_story": unsupported / len(ok) if ok else None,
        "contradicted_per_story": contradicted / len(ok) if ok else None,
        "seconds_per_story": _mean(m.get("seconds") for m in metrics),
        "model_seconds_per_story": _mean(m.get("model_seconds") for m in metrics),
        "tokens_per_story": _mean(m.get("tokens") for m in metrics),
    }
    # Failed and refused rows carry only their no-output scores (ROUGE and dates at 0, the
    # baselines), so reference metrics are means over every item and the rest over stories.
    every = [row.get("metrics", {}) for row in rows]
    for key in MEAN_KEYS:
        value = _mean(m.get(key) for m in every)
        if value is not None:
            summary[key] = value
    return summary


def _factcheck_metrics(rows: Sequence[dict[str, Any]], folds: bool = True) -> dict[str, Any]:
    ok = [row for row in rows if row.get("status") == "ok"]
    summary: dict[str, Any] = {
        "seconds_per_item": _mean(row.get("seconds") for row in ok),
        "tokens_per_item": _mean(row.get("metrics", {}).get("tokens") for row in ok),
    }
    if ok:
        summary.update(
            factcheck_scores(
                [int(row["label"]) for row in ok],
                [int(row["predicted"]) for row in ok],
                [row.get("edit_types") or [] for row in ok],
            )
        )
        if folds:
            summary.update(_calibration_metrics(ok))
    return summary


def _calibration_metrics(ok: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-domain and per-document scores of the shipped calibration, and the cross-validation.

    `factcheck_bacc` above scores the shipped calibration; on documents it was fitted on that
    is in-sample, so the figure to quote there is the cross-validated one (`cv_bacc_mean`).
    """
    from agent.checks.consistency import SHIPPED

    summary: dict[str, Any] = {
        "by_domain": by_group(ok, "domain"),
        "by_document": by_group(ok, "document"),
    }
    seen = {str(row.get("document")) for row in ok}
    summary["shipped_calibration"] = {
        "fitted_on": SHIPPED.fitted_on,
        "documents_in_sample": len(seen & SHIPPED.documents),
        "documents": len(seen),
    }
    cv = leave_documents_out(ok)
    if cv is not None:
        summary["cross_validation"] = cv
        summary["cv_bacc_mean"] = cv["bacc_mean"]
        summary["cv_bacc_pooled"] = cv["pooled"]["bacc"]
        summary["cv_consistent_recall"] = cv["pooled"]["consistent_recall"]
        summary["cv_inconsistent_recall"] = cv["pooled"]["inconsistent_recall"]
    return summary


def _babe_metrics(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ok = [row for row in rows if row.get("status") == "ok"]
    if not ok:
        return {}
    labels = [int(row["label"]) for row in ok]
    predictions = [int(row["predicted"]) for row in ok]
    return {
        "loaded_classifier_accuracy": accuracy(labels, predictions),
        "loaded_classifier_bacc": balanced_accuracy(labels, predictions),
    }


def aggregate(
    dataset: str, rows: Sequence[dict[str, Any]], *, folds: bool = True
) -> dict[str, Any]:
    """Summarise rows (one per finished item, the last row of an id winning) into run metrics.

    `folds=False` leaves out the per-document cross-validation (the progress bar's running
    figure does not need it, and it grows with every item)."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        latest[str(row["id"])] = row
    final = list(latest.values())
    errors = sum(1 for row in final if row.get("status") == "error")
    summary: dict[str, Any] = {
        "items": len(final),
        "errors": errors,
        "error_rate": errors / len(final) if final else None,
        "seconds_total": sum(float(row.get("seconds") or 0.0) for row in final),
    }
    if dataset in STORY_DATASETS:
        summary.update(_story_metrics(final))
    elif dataset == "summedits":
        summary.update(_factcheck_metrics(final, folds))
    elif dataset == "babe":
        summary.update(_babe_metrics(final))
    return summary
