"""ROUGE-1, ROUGE-2 and ROUGE-L of a summary against a reference (AllSides neutral summary).

Each is the F-measure of Google's `rouge-score` package (the reference implementation behind
most published ROUGE numbers) with its default tokenizer (lower-case, alphanumeric tokens) and
the Porter stemmer on. ROUGE-L is sentence-agnostic LCS over the whole text (`rougeL`, not
`rougeLsum`). A story's summary is its sentences joined by spaces. Averaged over a run's items,
an item the agent refused or failed on counting 0 (an empty summary). The baseline
`rouge1_first_article` scores the cluster's first article text the same way (published anchor
on AllSides: ≈ 0.39); `rouge1_first_two`, the first two sentences of every article, joined
(the stronger lead baseline of the issue's targets: ≈ 0.42 on the dev split).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from agent.checks.text import split_sentences

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


@cache
def _scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)


def lead_baselines(articles: list[str], reference: str) -> dict[str, float]:
    """ROUGE-1 of the lead baselines: the first article, and each article's first two sentences."""
    first_two = " ".join(" ".join(split_sentences(text)[:2]) for text in articles)
    return {
        "rouge1_first_article": rouge(articles[0], reference)["rouge1"] if articles else 0.0,
        "rouge1_first_two": rouge(first_two, reference)["rouge1"],
    }


def rouge(prediction: str, reference: str) -> dict[str, float]:
    """Return ROUGE-1/2/L F-measures of the prediction against the reference."""
    scores = _scorer().score(reference, prediction)
    return {name: float(scores[name].fmeasure) for name in ROUGE_TYPES}
