"""Every metric a run's summary.json can hold: its direction and its compare tolerance.

`direction` is "higher" or "lower" (which way is better) or "info" (reported, never gated: counts
that depend on the number of items, baselines, the cluster's own make-up). A metric regresses when
it moves the wrong way by more than its tolerance: `abs` tolerances are in the metric's units,
`rel` ones a fraction of the earlier value (timings and token counts, which vary with the machine
and cache). evals/METRICS.md is the prose version of this table; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower", "info"]


@dataclass(frozen=True)
class MetricSpec:
    """How to read and gate one summary metric."""

    name: str
    direction: Direction
    tolerance: float = 0.0
    relative: bool = False
    family: str = ""

    def regressed(self, before: float, after: float) -> bool:
        """Whether moving from `before` to `after` is worse than the tolerance allows."""
        if self.direction == "info":
            return False
        allowed = self.tolerance * abs(before) if self.relative else self.tolerance
        change = after - before if self.direction == "higher" else before - after
        return change < -allowed - 1e-12

    def improved(self, before: float, after: float) -> bool:
        """Whether the change is an improvement beyond the tolerance."""
        if self.direction == "info":
            return False
        allowed = self.tolerance * abs(before) if self.relative else self.tolerance
        change = after - before if self.direction == "higher" else before - after
        return change > allowed + 1e-12


def _family(family: str, *specs: MetricSpec) -> list[MetricSpec]:
    return [MetricSpec(s.name, s.direction, s.tolerance, s.relative, family) for s in specs]


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in [
        *_family(
            "run",
            MetricSpec("items", "info"),
            MetricSpec("errors", "info"),
            MetricSpec("error_rate", "lower", 0.02),
            MetricSpec("seconds_total", "info"),
        ),
        *_family(
            "support",
            MetricSpec("support_rate", "higher", 0.02),
            MetricSpec("claims_per_story", "info"),
            MetricSpec("unsupported", "info"),
            MetricSpec("contradicted", "info"),
            MetricSpec("unsupported_per_story", "lower", 0.25),
            MetricSpec("contradicted_per_story", "lower", 0.1),
            MetricSpec("citation_validity", "higher", 0.005),
            MetricSpec("cited_ids_valid", "higher"),
            MetricSpec("quotes_verbatim", "higher", 0.005),
        ),
        *_family(
            "rouge",
            MetricSpec("rouge1", "higher", 0.01),
            MetricSpec("rouge2", "higher", 0.01),
            MetricSpec("rougeL", "higher", 0.01),
            MetricSpec("rouge1_first_article", "info"),
            MetricSpec("rouge1_first_two", "info"),
        ),
        *_family(
            "timeline",
            MetricSpec("date_precision", "higher", 0.03),
            MetricSpec("date_recall", "higher", 0.03),
            MetricSpec("date_f1", "higher", 0.03),
            MetricSpec("date_text_rouge1", "higher", 0.02),
            MetricSpec("baseline_date_f1", "info"),
            MetricSpec("baseline_date_f1_gold_k", "info"),
        ),
        *_family(
            "factcheck",
            MetricSpec("factcheck_bacc", "higher", 0.02),
            MetricSpec("factcheck_accuracy", "higher", 0.02),
            MetricSpec("consistent_recall", "higher", 0.05),
            MetricSpec("inconsistent_recall", "higher", 0.05),
            MetricSpec("cv_bacc_mean", "higher", 0.02),
            MetricSpec("cv_bacc_pooled", "higher", 0.02),
            MetricSpec("cv_consistent_recall", "higher", 0.05),
            MetricSpec("cv_inconsistent_recall", "higher", 0.05),
        ),
        *_family(
            "loaded",
            MetricSpec("loaded_classifier_accuracy", "higher", 0.01),
            MetricSpec("loaded_classifier_bacc", "higher", 0.01),
            MetricSpec("loaded_rate_summary", "lower", 0.03),
            MetricSpec("loaded_rate_sources", "info"),
            MetricSpec("loaded_rate_delta", "lower", 0.03),
        ),
        *_family(
            "balance",
            MetricSpec("side_balance_gap", "lower", 0.05),
            MetricSpec("summary_share_left", "info"),
            MetricSpec("summary_share_center", "info"),
            MetricSpec("summary_share_right", "info"),
            MetricSpec("cluster_share_left", "info"),
            MetricSpec("cluster_share_center", "info"),
            MetricSpec("cluster_share_right", "info"),
        ),
        *_family(
            "page",
            MetricSpec("category_ok", "higher", 0.03),
            MetricSpec("parties_filled", "higher", 0.05),
            MetricSpec("party_named", "higher", 0.01),
            MetricSpec("max_sentence_overlap", "lower", 0.05),
            MetricSpec("title_model", "info"),
            MetricSpec("title_composed", "info"),
            MetricSpec("title_source", "info"),
            MetricSpec("sentiment_model_agrees", "info"),
        ),
        *_family(
            "story",
            MetricSpec("schema_validity", "higher"),
            MetricSpec("refused", "info"),
            MetricSpec("seconds_per_story", "lower", 0.5, relative=True),
            MetricSpec("model_seconds_per_story", "info"),
            MetricSpec("tokens_per_story", "lower", 0.2, relative=True),
            MetricSpec("seconds_per_item", "lower", 0.5, relative=True),
            MetricSpec("tokens_per_item", "lower", 0.2, relative=True),
        ),
    ]
}
"""Every summary metric by name."""
