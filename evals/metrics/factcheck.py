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
