"""Check a claim against its evidence: rules first, then (optionally) the model's verdict.

The rules carry most of the weight: every number, date, name and quoted phrase of a claim must
occur in the evidence it cites, and most of its words must too. A claim that passes the rules
but rephrases its evidence goes to the model. A free-standing summary checked against a whole
document (the SummEdits evaluation, `check_summary`) is aligned by agent/checks/consistency.py
instead, which shares the name, antonym and sentence-matching code here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from typing import Literal

from agent.checks.dates import find_dates
from agent.checks.neutrality import loaded_words
from agent.checks.text import (
    NUMBER_WORDS,
    contains_phrase,
    content_words,
    jaccard,
    names,
    normalize,
    numbers,
    overlap,
    quotes,
    stem,
    words,
)
from agent.schemas import Conflict, Evidence, Verdict

VerdictName = Verdict
"""The Story's verdict type (agent.schemas.Verdict): one definition."""

SUPPORTED_OVERLAP = 0.7
"""At or above this share of its words in the evidence (and no rule broken) a claim is supported."""
UNSUPPORTED_OVERLAP = 0.3
"""Below this share a claim is unsupported: it says mostly what the evidence does not."""
SAME_SENTENCE_OVERLAP = 0.5
"""A claim this close to one evidence sentence is about the same fact, so a changed number,
name or negation there is a contradiction rather than a gap."""

_NEGATION = re.compile(
    r"\b(not|no|never|none|nobody|nothing|neither|nor|without|cannot)\b|n't\b", re.I
)


@dataclass(frozen=True)
class Source:
    """One evidence sentence."""

    article_id: str
    sentence_id: str
    text: str
    published_at: datetime


@dataclass
class ClaimResult:
    verdict: VerdictName
    reasons: list[str]
    evidence: list[Source]
    method: Literal["rules", "model"] = "rules"
    recited: bool = False

    @property
    def note(self) -> str:
        return "; ".join(self.reasons)

    def evidence_models(self) -> list[Evidence]:
        return [Evidence(article_id=s.article_id, quote=s.text) for s in self.evidence]


Verifier = Callable[[str, list[Source]], tuple[VerdictName, str]]
"""Judge a claim against evidence: (verdict, reason)."""


_ANTONYM_PAIRS = [
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("increases", "decreases"),
    ("rise", "fall"),
    ("rose", "fell"),
    ("rising", "falling"),
    ("rises", "falls"),
    ("gain", "loss"),
    ("gains", "losses"),
    ("gained", "lost"),
    ("win", "lose"),
    ("won", "lost"),
    ("higher", "lower"),
    ("more", "fewer"),
    ("more", "less"),
    ("most", "least"),
    ("largest", "smallest"),
    ("biggest", "smallest"),
    ("highest", "lowest"),
    ("approve", "reject"),
    ("approved", "rejected"),
    ("accept", "reject"),
    ("accepted", "rejected"),
    ("support", "oppose"),
    ("supported", "opposed"),
    ("supports", "opposes"),
    ("allow", "ban"),
    ("allowed", "banned"),
    ("legal", "illegal"),
    ("before", "after"),
    ("first", "last"),
    ("open", "closed"),
    ("opened", "closed"),
    ("start", "end"),
    ("started", "ended"),
    ("began", "ended"),
    ("expand", "shrink"),
    ("strong", "weak"),
    ("stronger", "weaker"),
    ("positive", "negative"),
    ("guilty", "innocent"),
    ("up", "down"),
    ("above", "below"),
    ("over", "under"),
    ("early", "late"),
    ("earlier", "later"),
    ("increase", "cut"),
    ("raised", "lowered"),
    ("raise", "lower"),
    ("boost", "cut"),
    ("boosted", "cut"),
    ("surge", "plunge"),
    ("surged", "plunged"),
    ("hired", "fired"),
    ("arrived", "left"),
    ("entered", "exited"),
    ("won", "lost"),
    ("majority", "minority"),
    ("inside", "outside"),
    ("north", "south"),
    ("east", "west"),
]
_ANTONYMS: dict[str, set[str]] = {}
for _a, _b in _ANTONYM_PAIRS:
    _ANTONYMS.setdefault(_a, set()).add(_b)
    _ANTONYMS.setdefault(_b, set()).add(_a)


# Directions of change: a claim that goes up where its evidence goes down is contradicted.
_UP = {
    stem(w)
    for w in "increase increased rise rose risen rising grow grew grown growth gain gained "
    "climb climbed jump jumped surge surged soar soared higher more expand expanded boost "
    "boosted raise raised up".split()
}
_DOWN = {
    stem(w)
    for w in "decrease decreased fall fell fallen falling decline declined drop dropped "
    "shrink shrank cut cuts lose lost loss plunge plunged slump slumped sink sank lower "
    "lowered fewer less reduce reduced down".split()
}


def antonym_swaps(claim: str, evidence: str) -> list[tuple[str, str]]:
    """Words of the claim whose opposite stands in the evidence in their place."""
    claim_words = set(words(claim))
    evidence_words = set(words(evidence))
    swaps = []
    for word in claim_words - evidence_words:
        for opposite in _ANTONYMS.get(word, ()):
            if opposite in evidence_words and opposite not in claim_words:
                swaps.append((word, opposite))
    claim_stems = {stem(w): w for w in claim_words}
    evidence_stems = {stem(w): w for w in evidence_words}
    for group, other in ((_UP, _DOWN), (_DOWN, _UP)):
        said = [w for s, w in claim_stems.items() if s in group and s not in evidence_stems]
        instead = [w for s, w in evidence_stems.items() if s in other and s not in claim_stems]
        if said and instead:
            swaps.append((said[0], instead[0]))
    return sorted(set(swaps))


def _negated(text: str) -> bool:
    return bool(_NEGATION.search(normalize(text)))


def without_dates(text: str, published: datetime) -> str:
    """The text with its date expressions blanked out."""
    for found in sorted(find_dates(text, published), key=lambda f: -f.start):
        text = text[: found.start] + " " * (found.end - found.start) + text[found.end :]
    return text


def _date_set(sources: list[Source]) -> set[str]:
    dates: set[str] = set()
    for source in sources:
        for found in find_dates(source.text, source.published_at):
            dates.add(found.date)
            dates.add(found.date[:7])
            dates.add(found.date[:4])
    return dates


def _has_word(haystack_lower: str, word: str) -> bool:
    return (
        re.search(r"(?<![A-Za-z])" + re.escape(word.lower()) + r"(?![a-z])", haystack_lower)
        is not None
    )


def best_matches(claim: str, pool: list[Source], k: int = 3) -> list[Source]:
    """The pool sentences that together cover most of the claim's words (greedy cover).

    The first shares most words with the claim; each next one adds most of the words still
    uncovered, so a claim that joins two facts finds both sentences.
    """
    remaining = _terms(claim)
    candidates = [(source, _terms(source.text)) for source in pool]
    chosen: list[Source] = []
    while remaining and len(chosen) < k:
        best, gain = None, 0
        for source, found in candidates:
            if source in chosen:
                continue
            covered = len(remaining & found)
            if covered > gain or (
                covered == gain
                and best is not None
                and covered
                and len(source.text) < len(best.text)
            ):
                best, gain = source, covered
        if best is None or gain == 0:
            break
        chosen.append(best)
        remaining -= _terms(best.text)
    return chosen


def _terms(text: str) -> set[str]:
    # Figures count as words here, so the sentence that gives a claim's number is found.
    return set(content_words(text)) | {f"#{value:g}" for value in numbers(text)}


def rule_check(
    claim: str,
    cited: list[Source],
    *,
    claim_date: str | None = None,
    known_names: str = "",
) -> tuple[list[str], bool, float]:
    """Apply the rules; return (problems, is_contradiction, word overlap)."""
    if not cited:
        return ["cites no evidence"], False, 0.0
    evidence_text = normalize(" ".join(s.text for s in cited))
    lower = evidence_text.lower()
    problems: list[str] = []
    contradiction = False
    closest = max(cited, key=lambda s: overlap(claim, s.text))
    close = overlap(claim, closest.text) >= SAME_SENTENCE_OVERLAP

    for quote in quotes(claim):
        if not contains_phrase(evidence_text, quote):
            problems.append(f'the quote "{quote}" is not verbatim in the evidence')

    # Figures are compared with the dates taken out ("Jan. 15" is a date, not 15 of anything);
    # dates are compared by the date rule below.
    published = cited[0].published_at
    evidence_numbers = [v for s in cited for v in numbers(without_dates(s.text, s.published_at))]
    closest_numbers = numbers(without_dates(closest.text, closest.published_at))
    for value in numbers(without_dates(claim, published)):
        if not any(abs(value - other) < 1e-9 for other in evidence_numbers):
            shown = f"{value:g}"
            problems.append(f"the number {shown} is not in the evidence")
            if close and closest_numbers:
                contradiction = True

    evidence_dates = _date_set(cited)
    claim_dates = [claim_date] if claim_date else []
    claim_dates += [d.date for d in find_dates(claim, published)]
    for stated in claim_dates:
        if stated not in evidence_dates:
            problems.append(f"the date {stated} is not what the evidence gives")
            if close and evidence_dates:
                contradiction = True

    # Imported here: agent.checks.consistency builds on this module.
    from agent.checks.consistency import index_evidence, name_in_evidence

    names_lower = lower + " " + known_names.lower()
    named = index_evidence([evidence_text, known_names])
    evidence_names = [
        {part.lower() for part in name.split()}
        for name in names(evidence_text + ". " + known_names)
    ]
    for name in names(claim):
        parts = [p for p in name.split() if len(p) > 2]
        # A demonym, acronym or short form of a name the evidence gives is that name
        # (Russian / Russia, U.K. / United Kingdom); any other name must be there as written.
        missing = [
            p for p in parts if not _has_word(names_lower, p) and not name_in_evidence(p, named)
        ]
        if missing:
            problems.append(f"the name {' '.join(missing)} is not in the evidence")
            if close:
                contradiction = True
        elif len(parts) > 1 and not any(
            {p.lower() for p in parts} <= known for known in evidence_names
        ):
            # Every part is there, but not in one name: "Pete Vance" from Pete Hegseth and
            # JD Vance. Parts that are whole names of their own ("the London Russian embassy"
            # from "the Russian embassy in London") join nothing.
            whole = [{p.lower()} in evidence_names for p in parts]
            if not all(whole):
                problems.append(f"the evidence names no one {name!r}")
                contradiction = True

    evidence_loaded = set(loaded_words(evidence_text))
    for word in loaded_words(claim):
        if word not in evidence_loaded:
            problems.append(f"the loaded word {word!r} is the draft's, not the sources'")

    swapped = antonym_swaps(claim, closest.text) if close else []
    if swapped:
        problems.append(
            "the claim says "
            + ", ".join(f"{a!r} where the evidence says {b!r}" for a, b in swapped)
        )
        contradiction = True

    if _negated(claim) != _negated(closest.text) and close:
        problems.append("the claim and its evidence differ in negation")
        contradiction = True

    return problems, contradiction, overlap(claim, evidence_text)


def check_claim(
    claim: str,
    cited: list[Source],
    pool: list[Source],
    *,
    claim_date: str | None = None,
    known_names: str = "",
    verifier: Verifier | None = None,
    min_overlap: float = UNSUPPORTED_OVERLAP,
    support: float = SUPPORTED_OVERLAP,
) -> ClaimResult:
    """Check one claim against the sentences it cites, falling back to the best in the pool."""
    result = _check(claim, cited, claim_date, known_names, verifier, min_overlap, support)
    if result.verdict == "supported" or not pool or result.method == "model":
        return result  # a model's verdict on its evidence is not shopped around for another
    # The claim may be true but mis-cited (weak models cite the wrong sentence): try the
    # sentences that share most of its words; keep the citation only if they pass the rules.
    alternatives = best_matches(claim, pool)
    retry: ClaimResult | None = None
    for count in (1, 2):  # the one best sentence, else the best two together
        if len(alternatives) < count or alternatives[:count] == cited:
            continue
        retry = _check(
            claim, alternatives[:count], claim_date, known_names, verifier, min_overlap, support
        )
        if retry.verdict == "supported":
            retry.recited = True
            retry.reasons = ["citation corrected to the sentences that support it"]
            return retry
    if retry is not None and result.verdict == "unsupported" and retry.verdict == "contradicted":
        return retry
    return result


def _check(
    claim: str,
    cited: list[Source],
    claim_date: str | None,
    known_names: str,
    verifier: Verifier | None,
    min_overlap: float,
    support: float = SUPPORTED_OVERLAP,
) -> ClaimResult:
    problems, contradiction, share = rule_check(
        claim, cited, claim_date=claim_date, known_names=known_names
    )
    if problems:
        return ClaimResult("contradicted" if contradiction else "unsupported", problems, cited)
    if share < min_overlap:
        return ClaimResult(
            "unsupported",
            [f"only {share:.0%} of its words are in the evidence"],
            cited,
        )
    if share >= support:
        return ClaimResult("supported", [], cited)
    if verifier is None:
        # Rephrased beyond what the rules can hold to its evidence, and no model to judge it.
        return ClaimResult(
            "unsupported",
            [f"only {share:.0%} of its words are in the evidence and no model verdict was asked"],
            cited,
        )
    verdict, reason = verifier(claim, cited)
    return ClaimResult(verdict, [reason] if reason else [], cited, method="model")


# --------------------------------------------------------------------------- conflicts

_UNITS: dict[str, tuple[str, ...]] = {
    "duration in minutes": ("minute", "minutes", "hour", "hours", "min"),
    "deaths": ("killed", "dead", "died", "deaths", "fatalities", "lives"),
    "injuries": ("injured", "wounded", "hurt", "injuries"),
    "percent": ("percent", "%", "per cent"),
    "people": (
        "people",
        "protesters",
        "demonstrators",
        "workers",
        "residents",
        "troops",
        "soldiers",
        "migrants",
        "students",
        "passengers",
        "votes",
        "members",
    ),
    "money": ("dollars", "euros", "yen", "pounds", "$", "€", "£"),
}
_HOUR_WORDS = re.compile(r"\b(half an hour|an hour and a half|an hour|one hour|hour-long)\b", re.I)
_HOUR_VALUES = {
    "half an hour": 30.0,
    "an hour and a half": 90.0,
    "an hour": 60.0,
    "one hour": 60.0,
    "hour-long": 60.0,
}


@dataclass
class Quantity:
    unit: str
    value: float
    source: Source
    words: set[str] = field(default_factory=set)


def quantities(source: Source) -> list[Quantity]:
    """Numbers with a unit in the sentence (durations in minutes)."""
    text = normalize(source.text)
    found: list[Quantity] = []
    context = set(content_words(text))
    for match in _HOUR_WORDS.finditer(text):
        found.append(
            Quantity("duration in minutes", _HOUR_VALUES[match.group(1).lower()], source, context)
        )
    pattern = (
        r"([$€£])?\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\b(?:"
        + "|".join(NUMBER_WORDS)
        + r")\b)\s*(%)?"
    )
    for match in re.finditer(pattern, text, re.I):
        before = text[max(0, match.start() - 1) : match.start() + 1]
        figure = match.group(2).lower()
        value = (
            float(NUMBER_WORDS[figure])
            if figure in NUMBER_WORDS
            else float(figure.replace(",", ""))
        )
        if 1900 <= value <= 2100 and not match.group(1) and not match.group(3):
            continue  # a year
        after = " ".join(words(text[match.end() : match.end() + 40])[:4])
        tail = text[match.end() : match.end() + 3]
        unit = None
        if match.group(1) or "$" in before:
            unit = "money"
        elif match.group(3) or tail.startswith("%"):
            unit = "percent"
        else:
            for name, keys in _UNITS.items():
                if any(re.search(r"\b" + re.escape(k) + r"\b", after) for k in keys if k.isalpha()):
                    unit = name
                    break
        if unit is None:
            continue
        if unit == "duration in minutes" and re.match(r"\s*hours?\b", text[match.end() :]):
            value *= 60
        if unit == "money" and re.match(r"\s*(million|billion)", text[match.end() :], re.I):
            value *= 1e6 if "million" in text[match.end() : match.end() + 10].lower() else 1e9
        found.append(Quantity(unit, value, source, context))
    return found


def find_conflicts(pool: list[Source]) -> list[Conflict]:
    """Figures that different articles give differently for the same thing."""
    by_unit: dict[str, list[Quantity]] = {}
    for source in pool:
        for quantity in quantities(source):
            by_unit.setdefault(quantity.unit, []).append(quantity)
    conflicts: list[Conflict] = []
    seen: set[tuple[str, str, str]] = set()
    for unit, items in by_unit.items():
        for a, b in combinations(items, 2):
            if a.source.article_id == b.source.article_id:
                continue
            if abs(a.value - b.value) <= 0.05 * max(a.value, b.value):
                continue
            if jaccard(a.words, b.words) < 0.15:
                continue
            first, second = sorted((a.source.sentence_id, b.source.sentence_id))
            key = (unit, first, second)
            if key in seen:
                continue
            # Two articles may agree elsewhere on one of the values: then it is no conflict.
            values_a = {q.value for q in items if q.source.article_id == a.source.article_id}
            values_b = {q.value for q in items if q.source.article_id == b.source.article_id}
            if values_a & values_b:
                continue
            seen.add(key)
            conflicts.append(
                Conflict(
                    about=f"{unit}: {a.value:g} ({a.source.article_id}) vs {b.value:g} "
                    f"({b.source.article_id})",
                    values=[
                        Evidence(article_id=a.source.article_id, quote=a.source.text),
                        Evidence(article_id=b.source.article_id, quote=b.source.text),
                    ],
                    note="the sources disagree; the story must not settle it silently",
                )
            )
    return conflicts
