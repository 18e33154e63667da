"""The fact-checker on SummEdits: does it tell consistent summaries from inconsistent ones?

A summary is predicted consistent (1) iff the fact-check of it against the document finds no
unsupported and no contradicted claim; the label is SummEdits' (1 consistent, 0 not).
`factcheck_bacc` = ½ (recall on consistent + recall on inconsistent), balanced accuracy, the
official SummEdits metric (anchors on the news domain: human 0.90, GPT-4 0.833, SummaC-Conv
0.619; always-one-class scores 0.5). Also reported: `factcheck_accuracy`, the two recalls
(`consistent_recall`, `inconsistent_recall`), the confusion counts, and
`inconsistent_recall_by_edit` (which kinds of edit the checker catches: entity_modification,
antonym_swap, negation_insertion_removal, hallucinated_fact_insertion).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from statistics import fmean
from typing import Any

from agent.schemas import FactCheck


def predicted_label(check: FactCheck) -> int:
    """1 (consistent) iff nothing is unsupported or contradicted."""
    return int(check.unsupported == 0 and check.contradicted == 0)


def balanced_accuracy(labels: Sequence[int], predictions: Sequence[int]) -> float:
    """Mean of the recalls of the two classes (a class absent from labels is left out)."""
    recalls = []
    for cls in (0, 1):
        members = [p for y, p in zip(labels, predictions, strict=True) if y == cls]
        if members:
            recalls.append(sum(int(p == cls) for p in members) / len(members))
    if not recalls:
        raise ValueError("balanced accuracy of no items")
    return sum(recalls) / len(recalls)


def factcheck_scores(
    labels: Sequence[int],
    predictions: Sequence[int],
    edit_types: Sequence[Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Balanced accuracy, accuracy, per-class recall, confusion and per-edit-type recall."""
    pairs = list(zip(labels, predictions, strict=True))
    tp = sum(1 for y, p in pairs if y == 1 and p == 1)
    tn = sum(1 for y, p in pairs if y == 0 and p == 0)
    fp = sum(1 for y, p in pairs if y == 0 and p == 1)
    fn = sum(1 for y, p in pairs if y == 1 and p == 0)
    scores: dict[str, Any] = {
        "factcheck_bacc": balanced_accuracy(labels, predictions),
        "factcheck_accuracy": (tp + tn) / len(pairs),
        "consistent_recall": tp / (tp + fn) if tp + fn else None,
        "inconsistent_recall": tn / (tn + fp) if tn + fp else None,
        "confusion": {
            "consistent_called_consistent": tp,
            "consistent_called_inconsistent": fn,
            "inconsistent_called_consistent": fp,
            "inconsistent_called_inconsistent": tn,
        },
    }
    if edit_types is not None:
        caught: dict[str, list[int]] = defaultdict(list)
        for (y, p), kinds in zip(pairs, edit_types, strict=True):
            if y == 0:
                for kind in kinds or ["(none)"]:
                    caught[kind].append(int(p == 0))
        scores["inconsistent_recall_by_edit"] = {
            kind: {"items": len(v), "recall": sum(v) / len(v)} for kind, v in sorted(caught.items())
        }
    return scores


def _recalls(pairs: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """Balanced accuracy and both recalls of (label, predicted) pairs."""
    labels = [y for y, _ in pairs]
    predictions = [p for _, p in pairs]
    consistent = [p for y, p in pairs if y == 1]
    inconsistent = [p for y, p in pairs if y == 0]
    return {
        "items": len(pairs),
        "bacc": balanced_accuracy(labels, predictions),
        "consistent_recall": sum(consistent) / len(consistent) if consistent else None,
        "inconsistent_recall": (
            sum(1 - p for p in inconsistent) / len(inconsistent) if inconsistent else None
        ),
    }


def leave_documents_out(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Cross-validate the calibration by document: each fold's is fitted on the other documents.

    Rows carry `document` (a key of the document's text), `label` and `features` (the finding
    counts). The summaries of one document share its text, so no fold ever sees its own
    document: the held-out rows are predicted by a calibration fitted without them. Returns
    per-fold figures, their mean, the pooled out-of-fold figures, and the calibration fitted on
    every fold (what `agent.checks.consistency.SHIPPED` holds when this is the news dev split); None
    when fewer than two documents or one label only.
    """
    from agent.checks.consistency import fit_calibration

    usable = [r for r in rows if r.get("features") is not None and r.get("document")]
    documents = sorted({str(r["document"]) for r in usable})
    if len(documents) < 2 or len({int(r["label"]) for r in usable}) < 2:
        return None
    folds = []
    pooled: list[tuple[int, int]] = []
    for document in documents:
        train = [(r["features"], int(r["label"])) for r in usable if r["document"] != document]
        held = [r for r in usable if r["document"] == document]
        if len({label for _, label in train}) < 2:
            continue
        calibration = fit_calibration(train)
        pairs = [(int(r["label"]), int(calibration.consistent(r["features"]))) for r in held]
        pooled.extend(pairs)
        fold = {"document": document, "domain": held[0].get("domain"), **_recalls(pairs)}
        fold["weights"] = {"bias": calibration.bias, **calibration.weights}
        folds.append(fold)
    everything = fit_calibration(
        [(r["features"], int(r["label"])) for r in usable], documents=documents
    )
    return {
        "folds": folds,
        "bacc_mean": fmean(f["bacc"] for f in folds),
        "pooled": _recalls(pooled),
        "calibration_all_folds": {"bias": everything.bias, **everything.weights},
    }


def by_group(rows: Sequence[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    """Balanced accuracy and recalls of the rows' own predictions, per value of `key`."""
    groups: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for row in rows:
        groups[str(row.get(key))].append((int(row["label"]), int(row["predicted"])))
    return {name: _recalls(pairs) for name, pairs in sorted(groups.items())}
