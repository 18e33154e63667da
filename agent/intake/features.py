"""Article features for clustering: stemmed terms, a title boost, TF-IDF.

No model download: terms are words folded by a small suffix stemmer, weighed by sublinear term
frequency and inverse document frequency, so the rare terms of a story (its people, places and
particulars) weigh most.

Measured and dropped (`storydesk cluster eval`, cross-validated over the halves of the AllSides
dev stories, mean ARI at 1x-4x density): a 1.6x boost for words written as names (capitalised
inside a sentence) cost 0.02 (0.898 against 0.918): in political news the most frequent names
(Biden, Senate, COVID) are topic words, and boosting them merges the stories of a topic. A
boost that shrinks with a name's document frequency gained 0.003, within the noise. Leaving
out terms no other article has gained 0.009 there, but only because the eval clusters its
stream in one batch: in a live feed the first article of a new story has only such terms, and
its vector would be left with its common words, which match any cluster.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter, mul
from typing import cast

STOPWORDS = frozenset(
    """a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyone anything anyway anywhere are
    around as at back be became because become becomes been before beforehand behind being
    below beside besides between beyond both but by can cannot could did do does doing done
    down during each either else elsewhere enough etc even ever every everyone everything
    everywhere except few for former formerly from further had has have having he hence her
    here hereafter hereby herein hers herself him himself his how however i if in indeed into
    is it its itself just last least less many may me meanwhile might mine more moreover most
    mostly much must my myself namely neither never nevertheless next no nobody none nor not
    nothing now nowhere of off often on once one only onto or other others otherwise our ours
    ourselves out over own per perhaps please rather re same seem seemed seeming seems several
    she should since so some somehow someone something sometime sometimes somewhere still such
    than that the their theirs them themselves then thence there thereafter thereby therefore
    therein thereupon these they this those though through throughout thru thus to together too
    toward towards under until up upon us very via was we well were what whatever when whence
    whenever where whereafter whereas whereby wherein whereupon wherever whether which while
    whither who whoever whole whom whose why will with within without would yet you your yours
    yourself yourselves
    said says say saying told tell according reported report reports reporting added asked
    new news monday tuesday wednesday thursday friday saturday sunday week weeks today
    yesterday tomorrow year years month months day days time times percent mr mrs ms dr
    people thing things way make made like get got going go goes want wants including
    first second third two three four five six seven eight nine ten many much lot""".split()
)

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# For ASCII text (most of it), translate()+split() finds the words far faster than a regex.
# An apostrophe separates there ("Biden's" -> "Biden", "s"); the one-letter rest is dropped.
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


# Not agent/checks/text.words and .stem, on purpose: see the note above checks.text.stem for
# why clustering and the fact-check each keep their own tokenizer and stemmer, with the figures.
def split_words(text: str) -> list[str]:
    """Return the words of a text, case kept."""
    if text.isascii():
        return text.translate(_ASCII_SEPARATORS).split()
    return _TOKEN.findall(text)


TITLE_WEIGHT = 2
"""A title word counts as this many body occurrences."""
MAX_TEXT_CHARACTERS = 6000
"""Text analysed per article (about 1,000 words): what an event is shows in the first part,
and a long read costs no more than a news item."""
MAX_TERMS = 40
"""Terms kept per article vector (the strongest); the rest add noise and cost."""


_ENSE = frozenset({"def", "off", "lic", "pret"})
"""Stems of -ence nouns that American English spells -ense (defence, offence, licence): outlets
of both spellings cover the same events."""


def _stem(word: str) -> str:
    # A light suffix stemmer: enough to meet "vaccine/vaccines", "strike/striking", "ban/banned".
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith(("ence", "ences")) and word[: word.rindex("ence")] in _ENSE:
        word = word.replace("ence", "ense")
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 6:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 5:
        word = word[:-2]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


class _TermCache(dict[str, str | None]):
    """Term of each token seen (None: not a term); a dict subclass, so hits stay in C."""

    def __init__(self, make: Callable[[str], str | None]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, token: str) -> str | None:
        return self.make(token)  # which stores it


class Analyzer:
    """Turn title and text into term counts; caches stems, so reuse one per run."""

    def __init__(self) -> None:
        self._terms = _TermCache(self._term)

    def _term(self, token: str) -> str | None:
        lower = token.lower()
        if "'" in lower or "’" in lower:
            lower = re.split(r"['’]", lower, maxsplit=1)[0]
        if lower in STOPWORDS or len(lower) < 2 or (lower.isdigit() and len(lower) < 4):
            term = None
        else:
            term = _stem(lower)[:64]
        self._terms[token] = term
        return term

    def _terms_of(self, tokens: list[str]) -> Iterator[str | None]:
        # map() over the cache's own lookup stays in C; new tokens go through __missing__.
        return map(self._terms.__getitem__, tokens)

    def counts(self, title: str, text: str) -> dict[str, float]:
        """Return the weighted term counts of an article (title words count double)."""
        text = text[:MAX_TEXT_CHARACTERS]
        title_tokens = split_words(title)
        text_tokens = split_words(text)
        counted = Counter(self._terms_of(text_tokens))
        for term, number in Counter(self._terms_of(title_tokens)).items():
            counted[term] += TITLE_WEIGHT * number
        counted.pop(None, None)
        return cast(dict[str, float], counted)


@dataclass
class Vector:
    """A sparse, L2-normalised TF-IDF vector, with an optional dense sentence embedding."""

    weights: dict[str, float]
    dense: list[float] | None = None
    """A unit-length sentence embedding, when clustering runs with an embedding model."""

    def dot(self, other: Mapping[str, float]) -> float:
        """Return the dot product with another sparse vector."""
        weights = self.weights
        return float(sum(map(mul, weights.values(), map(other.get, weights, repeat(0.0)))))


class _Idf(dict[str, float]):
    """Smoothed IDF per term, log((N + 1) / (df + 1)) + 1, computed on first use (a dict
    subclass, so hits stay in C)."""

    def __init__(self, df: Mapping[str, int], extra_df: Mapping[str, int], documents: int) -> None:
        super().__init__()
        self.df = df
        self.extra_df = extra_df
        self.base = math.log(documents + 1) + 1.0

    def __missing__(self, term: str) -> float:
        value = self.base - math.log(self.df.get(term, 0) + self.extra_df.get(term, 0) + 1)
        self[term] = value
        return value


class _Tf(dict[float, float]):
    """Sublinear term frequency 1 + log(count), computed once per count value."""

    def __missing__(self, count: float) -> float:
        value = 1.0 + math.log(count)
        self[count] = value
        return value


_TF = _Tf()


class Weigher:
    """TF-IDF weighting against fixed document frequencies (one per batch: IDF is cached)."""

    def __init__(
        self,
        df: Mapping[str, int],
        documents: int,
        max_terms: int = MAX_TERMS,
        extra_df: Mapping[str, int] | None = None,
    ) -> None:
        self.max_terms = max_terms
        self._idf = _Idf(df, extra_df or {}, documents)

    def vector(self, counts: Mapping[str, float]) -> Vector:
        """Weight term counts by sublinear TF and IDF; keep the strongest."""
        # All in C but for first sightings: IDF per term times sublinear TF per count.
        weights = dict(
            zip(
                counts,
                map(mul, map(self._idf.__getitem__, counts), map(_TF.__getitem__, counts.values())),
                strict=True,
            )
        )
        if len(weights) > self.max_terms:
            ranked = sorted(weights.items(), key=itemgetter(1), reverse=True)
            weights = dict(ranked[: self.max_terms])
        values = weights.values()
        scale = 1.0 / (math.sqrt(sum(map(mul, values, values))) or 1.0)
        return Vector({term: weight * scale for term, weight in weights.items()})


class BatchWeigher:
    """Weigh a run's articles batch by batch, each against the document frequencies of the
    store plus every batch so far (this one included): a batch's counts are all in before any
    of its articles is weighed."""

    def __init__(self, df: Mapping[str, int], documents: int) -> None:
        self.df = df
        self.documents = documents
        self.delta: Counter[str] = Counter()
        """Document frequencies of the batches weighed so far."""

    def weigh(self, analyzed: list[dict[str, float]]) -> list[Vector]:
        """Count a batch into the document frequencies; return its articles' vectors."""
        delta = self.delta
        for counts in analyzed:
            delta.update(iter(counts))
        self.documents += len(analyzed)
        weigher = Weigher(self.df, self.documents, extra_df=delta)
        return [weigher.vector(counts) for counts in analyzed]


def vectorize(
    counts: Mapping[str, float],
    df: Mapping[str, int],
    documents: int,
    max_terms: int = MAX_TERMS,
) -> Vector:
    """Weight one article's term counts (see Weigher, which is faster for many)."""
    return Weigher(df, documents, max_terms).vector(counts)
