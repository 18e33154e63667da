"""Loaded language: the share of sentences a small bias classifier trained on BABE calls biased.

Definition. `loaded_rate` of a text = (sentences classified "biased") ÷ (sentences). A story's
`loaded_rate_summary` is that rate over its summary sentences; `loaded_rate_sources` the same rate
over every sentence of the cluster's articles; `loaded_rate_delta` = summary − sources (below 0:
the summary is less loaded than what it summarises; lower is better).

The classifier is multinomial naive Bayes over lower-cased words with add-one
smoothing, trained on BABE's labelled sentences (SG1: 746 biased, 800 non-biased;
"No agreement" rows dropped). Its own accuracy is the k-fold cross-validated accuracy
(`loaded_classifier_accuracy`, stratified folds, fixed seed); BABE is political news from US
outlets, so on other topics the rate is a rough signal to compare runs, not a verdict on a
sentence. Pure Python: no model download, trains in well under a second.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.)+|\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Sgt|St|Jr|Sr|Inc|Corp|Co|No|vs)\.)$"
)
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences at line breaks and at . ! ? followed by a capital."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        start = 0
        for match in _SENTENCE_END.finditer(line):
            if _ABBREVIATION.search(line, 0, match.start() + 1):
                continue
            sentences.append(line[start : match.end()].strip())
            start = match.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if len(_WORD.findall(s.lower())) >= 3]


def features(sentence: str) -> list[str]:
    """Lower-cased words (bigrams were tried: no better under cross-validation on BABE)."""
    return _WORD.findall(sentence.lower())


@dataclass
class NaiveBayes:
    """Two-class multinomial naive Bayes (1 = biased, 0 = non-biased)."""

    alpha: float = 1.0
    log_prior: dict[int, float] = field(default_factory=dict)
    log_likelihood: dict[int, dict[str, float]] = field(default_factory=dict)
    log_unseen: dict[int, float] = field(default_factory=dict)

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> NaiveBayes:
        """Estimate priors and smoothed feature likelihoods from labelled sentences."""
        if len(texts) != len(labels) or not texts:
            raise ValueError("need as many labels as texts, and at least one of each")
        counts: dict[int, Counter[str]] = {0: Counter(), 1: Counter()}
        docs = Counter(labels)
        for text, label in zip(texts, labels, strict=True):
            counts[label].update(features(text))
        vocabulary = set(counts[0]) | set(counts[1])
        size = len(vocabulary) + 1
        for label in (0, 1):
            total = sum(counts[label].values()) + self.alpha * size
            self.log_prior[label] = math.log((docs[label] + 1) / (len(labels) + 2))
            self.log_likelihood[label] = {
                term: math.log((counts[label][term] + self.alpha) / total) for term in vocabulary
            }
            self.log_unseen[label] = math.log(self.alpha / total)
        return self

    def score(self, sentence: str) -> float:
        """Return log P(biased | sentence) − log P(non-biased | sentence)."""
        if not self.log_prior:
            raise RuntimeError("fit the classifier before using it")
        totals = {}
        for label in (0, 1):
            table, unseen = self.log_likelihood[label], self.log_unseen[label]
            totals[label] = self.log_prior[label] + sum(
                table.get(term, unseen) for term in features(sentence)
            )
        return totals[1] - totals[0]

    def predict(self, sentence: str) -> int:
        """Return 1 when the sentence is more likely biased than not."""
        return int(self.score(sentence) > 0)


def stratified_folds(labels: Sequence[int], k: int, seed: int = 13) -> list[list[int]]:
    """Split item indices into k folds with the label balance of the whole."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    for label in sorted(set(labels)):
        indices = [i for i, value in enumerate(labels) if value == label]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            folds[position % k].append(index)
    return [sorted(fold) for fold in folds]


def cross_validate(
    texts: Sequence[str], labels: Sequence[int], k: int = 5, seed: int = 13, alpha: float = 1.0
) -> list[int]:
    """Return each sentence's out-of-fold prediction under stratified k-fold cross-validation."""
    predictions = [0] * len(texts)
    for fold in stratified_folds(labels, k, seed):
        held_out = set(fold)
        train = [i for i in range(len(texts)) if i not in held_out]
        model = NaiveBayes(alpha).fit([texts[i] for i in train], [labels[i] for i in train])
        for i in fold:
            predictions[i] = model.predict(texts[i])
    return predictions


def accuracy(labels: Sequence[int], predictions: Sequence[int]) -> float:
    """Share of predictions equal to the label."""
    if not labels:
        raise ValueError("accuracy of no items")
    return sum(int(a == b) for a, b in zip(labels, predictions, strict=True)) / len(labels)


def loaded_rate(model: NaiveBayes, sentences: Iterable[str]) -> float | None:
    """Share of sentences the classifier calls biased (None for no sentences)."""
    flags = [model.predict(sentence) for sentence in sentences]
    return sum(flags) / len(flags) if flags else None
