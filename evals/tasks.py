"""What evaluating one item means for each kind of dataset: draft and score, check, or classify.

A task turns an EvalItem into a JSON-able row (`id`, `status`, `metrics`, …) that the runner
appends to items.jsonl; `evals.aggregate` turns rows into the run's summary. Model failures on
one item (invalid output, a refused cluster) are recorded in its row; failures of the setup
(the model cannot be reached, a bad setting or prompt file) stop the run, since every later item
would fail the same way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

from pydantic import ValidationError

from agent.checks.consistency import document_key
from agent.errors import (
    ClusterRefused,
    ConfigError,
    ModelUnavailableError,
    PromptError,
    StorydeskError,
)
from agent.schemas import Cluster, FactCheck, Story
from evals.datasets.base import EvalItem
from evals.metrics.balance import side_balance
from evals.metrics.factcheck import predicted_label
from evals.metrics.loaded import NaiveBayes, cross_validate, loaded_rate, split_sentences
from evals.metrics.page import page_scores
from evals.metrics.rouge import lead_baselines, rouge
from evals.metrics.story import cost, schema_valid
from evals.metrics.support import citation_validity, claim_support
from evals.metrics.timeline import timeline_scores

FATAL: tuple[type[StorydeskError], ...] = (ModelUnavailableError, ConfigError, PromptError)
"""Errors that stop a run instead of failing one item."""


class Drafter(Protocol):
    """What the runner needs of a StoryAgent."""

    def draft(self, cluster: Cluster) -> Story: ...


class Checker(Protocol):
    """What the runner needs of the fact-checker: check a summary against a document."""

    def check(self, document: str, summary: str) -> FactCheck: ...

    def features(self, document: str, summary: str) -> dict[str, int] | None:
        """Finding counts the calibration weighs (None: a checker without a calibration)."""
        ...

    def tokens_used(self) -> int: ...


def _error(item: EvalItem, status: str, error: BaseException, started: float) -> dict[str, Any]:
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    metrics: dict[str, Any] = {"schema_valid": False} if status == "error" else {}
    metrics.update(no_output_scores(item))
    return {
        "id": item.id,
        "status": status,
        "error": {"type": type(error).__name__, "message": message[:500]},
        "seconds": time.perf_counter() - started,
        "metrics": metrics,
    }


def no_output_scores(item: EvalItem) -> dict[str, Any]:
    """Reference-based scores of a draft that produced nothing (refused or failed).

    Against a reference, no story is an empty summary and an empty timeline: ROUGE and date
    scores are 0, so a run's means are over every item and refusing cannot raise them. The
    baselines do not depend on the story and are scored as for any item.
    """
    scores: dict[str, Any] = {}
    if item.reference and item.cluster is not None:
        scores.update(dict.fromkeys(("rouge1", "rouge2", "rougeL"), 0.0))
        scores.update(lead_baselines([a.text for a in item.cluster.articles], item.reference))
    if item.gold_timeline:
        scores.update(timeline_scores([], item.gold_timeline, item.meta.get("pub_dates", [])))
    return scores


def story_row(
    item: EvalItem, drafter: Drafter, classifier: NaiveBayes | None = None
) -> dict[str, Any]:
    """Draft a story from the item's cluster and score it."""
    if item.cluster is None:
        raise ValueError(f"item {item.id} has no cluster to draft from")
    started = time.perf_counter()
    try:
        story = drafter.draft(item.cluster)
    except FATAL:
        raise
    except ClusterRefused as error:
        return _error(item, "refused", error, started)
    except (StorydeskError, ValidationError) as error:
        return _error(item, "error", error, started)
    seconds = time.perf_counter() - started
    return {
        "id": item.id,
        "status": "ok",
        "seconds": seconds,
        "metrics": score_story(story, item, seconds, classifier),
        "provenance": {
            "backend": story.provenance.backend,
            "model": story.provenance.model,
            "prompts": story.provenance.prompts,
        },
        "story": story.model_dump(mode="json"),
    }


def score_story(
    story: Story, item: EvalItem, seconds: float, classifier: NaiveBayes | None = None
) -> dict[str, Any]:
    """Every story metric that applies to this item."""
    assert item.cluster is not None
    valid, why = schema_valid(story)
    metrics: dict[str, Any] = {"schema_valid": valid}
    if why:
        metrics["schema_error"] = why
    metrics.update(cost(story, seconds))
    metrics.update(claim_support(story))
    metrics.update(citation_validity(story, item.cluster))
    metrics.update(side_balance(story, item.cluster))
    metrics.update(page_scores(story, item.meta.get("topic")))
    summary = " ".join(sentence.text for sentence in story.summary)
    if item.reference:
        metrics.update(rouge(summary, item.reference))
        metrics.update(lead_baselines([a.text for a in item.cluster.articles], item.reference))
    if item.gold_timeline:
        metrics.update(
            timeline_scores(story.timeline, item.gold_timeline, item.meta.get("pub_dates", []))
        )
    if classifier is not None:
        summary_rate = loaded_rate(classifier, [s.text for s in story.summary])
        source_rate = loaded_rate(
            classifier, [s for a in item.cluster.articles for s in split_sentences(a.text)]
        )
        metrics["loaded_rate_summary"] = summary_rate
        metrics["loaded_rate_sources"] = source_rate
        metrics["loaded_rate_delta"] = (
            summary_rate - source_rate
            if summary_rate is not None and source_rate is not None
            else None
        )
    return metrics


def factcheck_row(item: EvalItem, checker: Checker) -> dict[str, Any]:
    """Fact-check the item's summary against its document and compare with the label."""
    if item.document is None or item.summary is None or item.label is None:
        raise ValueError(f"item {item.id} needs a document, a summary and a label")
    started = time.perf_counter()
    tokens_before = checker.tokens_used()
    try:
        check = checker.check(item.document, item.summary)
    except FATAL:
        raise
    except (StorydeskError, ValidationError) as error:
        row = _error(item, "error", error, started)
        row["label"] = item.label
        return row
    # The document and domain are the folds of the cross-validation (evals/metrics/factcheck).
    return {
        "id": item.id,
        "status": "ok",
        "seconds": time.perf_counter() - started,
        "label": item.label,
        "predicted": predicted_label(check),
        "document": document_key(item.document),
        "domain": item.meta.get("domain"),
        "features": checker.features(item.document, item.summary),
        "edit_types": item.meta.get("edit_types", []),
        "metrics": {
            "supported": check.supported,
            "unsupported": check.unsupported,
            "contradicted": check.contradicted,
            "tokens": checker.tokens_used() - tokens_before,
        },
        "summary": item.summary,
        "claims": [{"claim": c.claim, "verdict": c.verdict, "note": c.note} for c in check.claims],
    }


def babe_rows(items: Sequence[EvalItem], folds: int = 5) -> list[dict[str, Any]]:
    """Cross-validate the loaded-language classifier; one row per sentence, out-of-fold."""
    texts = [item.text or "" for item in items]
    labels = [int(item.label or 0) for item in items]
    if len(set(labels)) < 2 or len(items) < folds:
        raise StorydeskError(
            f"babe: need both labels and at least {folds} sentences to cross-validate; "
            "raise --limit"
        )
    predictions = cross_validate(texts, labels, k=folds)
    return [
        {"id": item.id, "status": "ok", "label": label, "predicted": predicted, "text": item.text}
        for item, label, predicted in zip(items, labels, predictions, strict=True)
    ]


def train_classifier(items: Sequence[EvalItem]) -> NaiveBayes:
    """Fit the loaded-language classifier on labelled BABE sentences."""
    return NaiveBayes().fit([i.text or "" for i in items], [int(i.label or 0) for i in items])
