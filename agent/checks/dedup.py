"""Find syndicated near-duplicates: the same wire copy published by several outlets.

Texts are compared as sets of word shingles (runs of `SHINGLE` words) by Jaccard similarity.
Small inputs (one cluster) are compared pair by pair; large ones first find candidate pairs
through a bottom-k sketch index (two texts with Jaccard J share their smallest shingle hash with
probability J, so near-duplicates nearly always share one of their few smallest) and then verify
each candidate exactly, so the cost stays close to linear in the number of texts.
"""

from __future__ import annotations

import heapq
import re
import zlib
from collections.abc import Sequence

SHINGLE = 3
"""Words per shingle: short enough that one edited word costs only three shingles."""

_SKETCH = 6
"""Smallest shingle hashes indexed per text on the large-input path."""

_PAIRWISE_LIMIT = 48
"""Up to this many texts every pair is compared; above it the sketch index finds candidates."""

_BUCKET_LIMIT = 64
"""Most recent texts compared per sketch bucket; a bucket this full is boilerplate, not copy."""

_WORD = re.compile(r"[^\W_]+")
# ASCII text splits into words an order of magnitude faster with translate() than with a regex.
_ASCII_PUNCTUATION = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def words(text: str) -> list[str]:
    """Return the lower-case words of a text (letters and digits; everything else separates)."""
    lower = text.lower()
    if lower.isascii():
        return lower.translate(_ASCII_PUNCTUATION).split()
    return _WORD.findall(lower)


_WORD_IDS: dict[str, int] = {}
"""crc32 of words seen, shared across calls (cleared when it grows past _WORD_IDS_LIMIT)."""
_WORD_IDS_LIMIT = 1_000_000


def _word_ids(words: list[str], cache: dict[str, int]) -> list[int]:
    try:
        return list(map(cache.__getitem__, words))
    except KeyError:
        for word in words:
            if word not in cache:
                # crc32 rather than hash(): str hashes change between processes; results must not.
                cache[word] = zlib.crc32(word.encode("utf-8"))
        return [cache[word] for word in words]


def shingles(text: str, size: int = SHINGLE, cache: dict[str, int] | None = None) -> frozenset[int]:
    """Return the hashed word shingles of a text (empty for a text without words)."""
    if cache is None:
        if len(_WORD_IDS) > _WORD_IDS_LIMIT:
            _WORD_IDS.clear()
        cache = _WORD_IDS
    ids = _word_ids(words(text), cache)
    if not ids:
        return frozenset()
    if len(ids) < size:
        return frozenset((hash(tuple(ids)),))
    # Tuples of ints hash the same in every process (unlike str), so results are reproducible.
    return frozenset(map(hash, zip(*(ids[offset:] for offset in range(size)), strict=False)))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """Return |a ∩ b| / |a ∪ b| (0 when both are empty)."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def _could_reach(a: frozenset[int], b: frozenset[int], threshold: float) -> bool:
    # Jaccard <= min/max of the sizes, so very different lengths cannot be near-duplicates.
    small, large = sorted((len(a), len(b)))
    return large > 0 and small / large >= threshold


def syndicated_duplicates(
    items: Sequence[tuple[str, str]], threshold: float = 0.8
) -> dict[str, str]:
    """Map each near-duplicate article id to the id of the first text it copies.

    `items` are (article_id, text) pairs; the canonical article of a group is the first of the
    group in input order, and every value of the result is such a canonical id (no chains).
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], not {threshold}")
    sets = [shingles(text) for _, text in items]
    canonical: list[int] = list(range(len(items)))

    def best_match(index: int, candidates: Sequence[int]) -> int | None:
        mine = sets[index]
        best, best_score = None, 0.0
        for other in candidates:
            theirs = sets[other]
            if not _could_reach(mine, theirs, threshold):
                continue
            score = jaccard(mine, theirs)
            if score >= threshold and (
                score > best_score
                or (score == best_score and best is not None and canonical[other] < canonical[best])
            ):
                best, best_score = other, score
        return best

    if len(items) <= _PAIRWISE_LIMIT:
        for index in range(len(items)):
            if sets[index]:
                match = best_match(index, range(index))
                if match is not None:
                    canonical[index] = canonical[match]
    else:
        buckets: dict[int, list[int]] = {}
        for index, mine in enumerate(sets):
            if not mine:
                continue
            sketch = heapq.nsmallest(_SKETCH, mine)
            seen: set[int] = set()
            candidates: list[int] = []
            for key in sketch:
                for other in buckets.get(key, ()):
                    if other not in seen:
                        seen.add(other)
                        candidates.append(other)
            match = best_match(index, candidates)
            if match is not None:
                canonical[index] = canonical[match]
            for key in sketch:
                bucket = buckets.setdefault(key, [])
                bucket.append(index)
                if len(bucket) > _BUCKET_LIMIT:
                    del bucket[0]

    result: dict[str, str] = {}
    for index, (article_id, _) in enumerate(items):
        first = items[canonical[index]][0]
        if canonical[index] != index and first != article_id:
            result[article_id] = first
    return result
