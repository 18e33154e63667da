"""Deterministic drafting from the evidence: summary, parties and headline, true by construction.

The embedded model cannot write faithful prose, so every section has a candidate built here from
the sources' own sentences: the model's text replaces it only where the fact-check accepts it.
All functions are pure (evidence in, plain data out), so they are scored without a model.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from agent.checks.evidence import Evidence
from agent.checks.factcheck import SUPPORTED_OVERLAP, Source, best_matches, quantities, rule_check
from agent.checks.parties import names_party, parties_in
from agent.checks.text import (
    content_words,
    normalize,
    not_reporting,
    numbers,
    shared_words,
    words,
)

SUMMARY_WORDS = 180
"""About the length of a human editor's roundup (AllSides neutral summaries: 167 words)."""
REDUNDANT = 0.5
"""Two sentences sharing this much of the shorter one's content words say the same thing; the
story's limit is 60%, this keeps a margin for the sentences composed from two sources."""
SAME_FIGURES = 0.25
"""Two sentences giving the same figures and sharing this much of the shorter one's words and
figures tell one fact (see `redundant`)."""
COMPRESS = True
STORY_OVERLAP = 0.6
"""No two summary sentences share more than this of the shorter one's content words."""
SHARED = 0.2
"""A sentence whose content words other articles carry at this rate reports a shared fact."""
SHARED_BUDGET = 0.5
"""The share of the summary's words the shared facts may fill before the sides take turns."""


@dataclass
class Candidate:
    """One evidence sentence, scored for the summary."""

    id: str
    article: str
    outlet: str
    side: str | None
    text: str
    position: int
    shared: float = 0.0
    """How much of it the other articles also say (0..1)."""
    terms: set[str] = field(default_factory=set)

    @property
    def truncated(self) -> bool:
        return cut_off(self.text)


_TRAILING_ATTRIBUTION = re.compile(
    r",\s+(?:the\s+|a\s+|an\s+)?[^,\"“”]{2,60}?\s+(?:said|says|reported|reports|announced|"
    r"told [^,]{2,30})(?:\s+(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday))?\s*(?=[.!?]$)"
    r"|,?\s+according to [^,\"“”]{2,60}(?=[.!?]$)",
    re.I,
)
_PARENTHESIS = re.compile(r"\s*\([^()]{1,80}\)")
_DASH_ASIDE = re.compile(r"\s+[—–]\s+[^—–]{1,80}\s+[—–]\s+")
_CUT_TAIL = re.compile(r"(?:\.\.\.|…)\s*$")


def cut_off(text: str) -> bool:
    """True when the text is an excerpt cut mid-sentence ("…linked to the...")."""
    return bool(_CUT_TAIL.search(text))


MIN_WORDS = 5
"""Words a summary candidate needs, before and after compression."""


def compressed(text: str) -> str:
    """The sentence without what a summary can spare: who said it, asides, a cut-off tail.

    Only words are removed, never changed, so the result stays true to its sentence (the
    rules check it again before it is used).
    """
    out = " ".join(text.split())
    if _CUT_TAIL.search(out):
        # An excerpt cut mid-sentence: keep what ends at its last full clause.
        head = _CUT_TAIL.sub("", out)
        cut = max(head.rfind(", "), head.rfind("; "))
        if cut < 40:
            return out
        out = head[:cut] + "."
    whole = out
    out = _DASH_ASIDE.sub(" ", out)
    out = _PARENTHESIS.sub("", out)
    if len(out.split()) < MIN_WORDS:
        # The aside was the sentence (a whole sentence in brackets): keep it as it stands.
        return whole
    shorter = _TRAILING_ATTRIBUTION.sub("", out)
    if len(shorter.split()) >= 8:
        out = shorter
    return out


def candidates(evidence: Evidence) -> list[Candidate]:
    """Every prose sentence of the original articles, with how much of it others corroborate."""
    originals = evidence.originals()
    found: list[Candidate] = []
    for article in originals:
        for sentence in article.sentences:
            if len([w for w in words(sentence.text) if len(w) > 1]) < MIN_WORDS:
                continue
            found.append(
                Candidate(
                    id=sentence.id,
                    article=article.id,
                    outlet=article.outlet,
                    side=article.side,
                    text=compressed(sentence.text) if COMPRESS else " ".join(sentence.text.split()),
                    position=sentence.position,
                    terms=set(content_words(sentence.text)),
                )
            )
    articles_with: Counter[str] = Counter()
    for article in originals:
        articles_with.update({w for s in article.sentences for w in content_words(s.text)})
    others = max(1, len(originals) - 1)
    for candidate in found:
        if candidate.terms:
            candidate.shared = sum(
                min(articles_with[w] - 1, others) / others for w in candidate.terms
            ) / len(candidate.terms)
    return found


def _rank(candidate: Candidate) -> float:
    # Shared facts first; news puts its essentials early; a cut-off excerpt reads badly.
    return candidate.shared + 0.6 / (1 + candidate.position) - (0.5 if candidate.truncated else 0)


def _terms(text: str) -> set[str]:
    return set(content_words(text)) | {f"#{v:g}" for v in numbers(text)}


def same_share(a: str, b: str) -> float:
    """Share of the shorter text's words and figures the other also has."""
    ta, tb = _terms(a), _terms(b)
    return len(ta & tb) / min(len(ta), len(tb)) if ta and tb else 0.0


def redundant(text: str, chosen: list[str], limit: float = REDUNDANT) -> bool:
    """True when the text says mostly what one of the chosen sentences already says, or
    restates its counts ("was carrying 86 passengers", then "had 86 passengers on board"): it
    gives a count of something (people, money, a share, a duration), that sentence gives the
    same counts and every other figure of it, and they share at least SAME_FIGURES of their
    words and figures. A new figure (a count, a year) keeps a sentence."""
    counts = _counts(text)
    figures = set(numbers(text))
    return any(
        same_share(text, other) > limit
        or (
            bool(counts)
            and counts <= _counts(other)
            and figures <= set(numbers(other))
            and same_share(text, other) >= SAME_FIGURES
        )
        for other in chosen
    )


def _counts(text: str) -> set[tuple[str, float]]:
    """The counts a sentence gives, with their units (not years, not the 19 of COVID-19)."""
    return {(q.unit, q.value) for q in quantities(Source("", "", text, _EPOCH))}


def _core(text: str) -> str:
    return text.rstrip().rstrip(".!?…").rstrip()


_ATTRIBUTION = re.compile(r",\s*([^,]{3,60}?)\s+(said|says|reported|reports|according to)\b.*$")


# A clause that depends on the one before it: "…reached the ferry after about 50 minutes".
_DEPENDENT = re.compile(r"(?:when|after|as|while|because)\b")


def _figure_clause(text: str, figure: float) -> str:
    """The clause of a sentence that states the figure, with its attribution if it has one."""
    core = _core(text)
    attribution = _ATTRIBUTION.search(core)
    tail = attribution.group(0) if attribution else ""
    body = core[: attribution.start()] if attribution else core
    clauses = re.split(rf",\s+|\s+(?={_DEPENDENT.pattern})", body)
    for index, clause in enumerate(clauses):
        if figure in numbers(clause):
            if index and _DEPENDENT.match(clause):
                # "after about 50 minutes" depends on the clause before it: keep both.
                clause = f"{clauses[index - 1]} {clause}"
            return clause.strip() + tail
    return core


def conflict_sentence(first: Candidate, second: Candidate, figure: float) -> str:
    """Both sources' figures once, each with its outlet: 'A… (Outlet), while b… (Other).'"""
    clause = _figure_clause(second.text, figure)
    clause = clause[0].lower() + clause[1:] if clause[:2].istitle() else clause
    return f"{_core(first.text)} ({first.outlet}), while {clause} ({second.outlet})."


# Figures of people (dead, injured, people of some kind): the disagreements a reader must see.
CONFLICT_UNITS = ("deaths", "injuries", "people", "duration in minutes")


def _conflicting(a: Candidate, b: Candidate) -> float | None:
    """The figure of b that disagrees with a's on the same count of people, if they disagree."""
    if a.article == b.article or shared_words(a.text, b.text) < 0.3:
        return None
    source_a = Source(a.article, a.id, a.text, _EPOCH)
    source_b = Source(b.article, b.id, b.text, _EPOCH)
    values_a = {(q.unit, q.value) for q in quantities(source_a) if q.unit in CONFLICT_UNITS}
    values_b = {(q.unit, q.value) for q in quantities(source_b) if q.unit in CONFLICT_UNITS}
    for unit, value in sorted(values_b):
        mine = {v for u, v in values_a if u == unit}
        if mine and value not in mine:
            return value
    return None


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


SHARED_FRAME: str | None = "In coverage across the spectrum, outlets reported that {text}"
"""How the lead shared fact is introduced: several sides' outlets report it."""
SIDE_FRAME: str | None = "In coverage rated {side}, {outlet} reported that {text}"
"""How what one side adds is attributed: to its outlet, with the outlet's rating."""


def attributed(candidate: Candidate, frame: str) -> str | None:
    """The sentence introduced by a frame naming who reports it ('In coverage rated left, …')."""
    if "{side}" in frame and candidate.side not in ("left", "center", "right"):
        return None
    text = _core(candidate.text) + candidate.text.rstrip()[len(_core(candidate.text)) :]
    first = text.split(" ", 1)[0]
    # Lower the first word only when it is not a name ("The", "A", "In"), never "Senate".
    if first.lower() in _NOT_NAME_STARTS:
        text = text[0].lower() + text[1:]
    return frame.format(side=candidate.side, outlet=candidate.outlet, text=text)


_NOT_NAME_STARTS = frozenset(
    "the a an in on at for but and or he she it they we this that these those his her their its "
    "after before when while as if there some many more most both also with from by to of "
    "meanwhile however last next earlier later since during about over under".split()
)


class Origin(NamedTuple):
    """What made a line other than one source's sentence: a flag's kind and message."""

    kind: str
    message: str


@dataclass
class SummaryLine:
    text: str
    sentences: list[str]
    origin: Origin | None = None


def rules_accept(evidence: Evidence) -> Callable[[str, list[str]], bool]:
    """A test that a line passes the fact-check rules against the sentences it cites.

    Even a verbatim sentence can trip a rule (a name the rules split oddly): such a line would
    be removed after drafting, so it is not chosen in the first place.
    """
    index = evidence.sentence_index()
    known = " ".join(f"{a.outlet} {a.title}" for a in evidence.articles)

    def accept(text: str, sentence_ids: list[str]) -> bool:
        cited = [
            Source(index[i][0].id, i, index[i][1].text, index[i][0].published_at)
            for i in sentence_ids
            if i in index
        ]
        problems, _, share = rule_check(text, cited, known_names=known)
        return not problems and share >= SUPPORTED_OVERLAP

    return accept


def extractive_summary(
    evidence: Evidence,
    budget_words: int = SUMMARY_WORDS,
    keep: list[SummaryLine] | None = None,
) -> list[SummaryLine]:
    """A multi-document summary: shared facts first, then what each side adds, no repeats.

    `keep` are lines already accepted (the model's, checked): they stand first and count
    against the budget. A figure the sources give differently is stated once with both values.
    """
    accept = rules_accept(evidence)
    pool = [c for c in candidates(evidence) if accept(c.text, [c.id])]
    lines: list[SummaryLine] = list(keep or [])
    chosen = [line.text for line in lines]
    used = sum(len(line.text.split()) for line in lines)
    taken = {sid for line in lines for sid in line.sentences}

    def add(candidate: Candidate, frame: str | None = None) -> None:
        nonlocal used
        conflict = next(
            (
                (other, figure)
                for other in pool
                if other.id not in taken
                for figure in [_conflicting(candidate, other)]
                if figure is not None
            ),
            None,
        )
        if conflict is not None and accept(
            conflict_sentence(candidate, *conflict), [candidate.id, conflict[0].id]
        ):
            other, figure = conflict
            text = conflict_sentence(candidate, other, figure)
            lines.append(
                SummaryLine(
                    text,
                    [candidate.id, other.id],
                    Origin("conflict", "the sources give different figures; both are stated"),
                )
            )
            taken.add(other.id)
        else:
            text = candidate.text
            framed = attributed(candidate, frame) if frame else None
            if framed is not None and accept(framed, [candidate.id]):
                text = framed
            lines.append(SummaryLine(text, [candidate.id]))
        taken.add(candidate.id)
        chosen.append(text)
        used += len(text.split())

    def fits(candidate: Candidate) -> bool:
        return (
            candidate.id not in taken
            and not redundant(candidate.text, chosen)
            and used + len(candidate.text.split()) <= budget_words * 1.1
        )

    ranked = sorted(pool, key=lambda c: (-_rank(c), c.article, c.position))
    # The shared facts: each time the sentence that adds most of the words the articles share,
    # per square root of its length (so neither a long sentence nor a fragment wins by size).
    weight = Counter(w for candidate in pool for w in candidate.terms)
    covered = {w for text in chosen for w in content_words(text)}
    shared = [c for c in ranked if c.shared >= SHARED]
    first_shared = len(lines)
    while used < budget_words * SHARED_BUDGET:
        best = max(
            (c for c in shared if fits(c)),
            key=lambda c: (
                sum(weight[w] - 1 for w in c.terms - covered) / len(c.text.split()) ** 0.5
            ),
            default=None,
        )
        if best is None:
            break
        add(best, SHARED_FRAME if not lines else None)
        covered |= best.terms
    shared_lines = lines[first_shared:]
    # What each side adds: the sides take turns, each its best sentence not yet said.
    order = [side for side in ("left", "center", "right", None)]
    by_side = {side: [c for c in ranked if c.side == side] for side in order}
    progress = True
    while used < budget_words and progress:
        progress = False
        for side in order:
            for candidate in by_side[side]:
                if fits(candidate):
                    add(candidate, SIDE_FRAME if candidate.shared < SHARED else None)
                    progress = True
                    break
    # A composed line can repeat another more than its parts did: the story's limit holds.
    # And of two lines that tell one fact, the fuller stands: "had 86 passengers on board",
    # chosen first for being short, gives way to "was carrying 86 passengers … two kilometres
    # from the harbour", which says it and more.
    final: list[SummaryLine] = []
    for index, line in enumerate(lines):
        fuller = [other.text for other in lines[index + 1 :]]
        if not any(shared_words(line.text, kept.text) > STORY_OVERLAP for kept in final) and not (
            index >= len(keep or []) and line.origin is None and redundant(line.text, fuller)
        ):
            final.append(line)
    # The shared facts read in news order: the most central first, the rest as their articles
    # tell them (lead before detail), before what each side adds.
    position = {c.id: c.position for c in pool}
    movable = {id(line) for line in shared_lines[1:]}
    facts = iter(
        sorted(
            (line for line in final if id(line) in movable),
            key=lambda line: position.get(line.sentences[0], 0),
        )
    )
    return [next(facts) if id(line) in movable else line for line in final]


# --------------------------------------------------------------------------- headline

_ATTRIBUTION_CUT = re.compile(
    r",\s+(?:the\s+|a\s+)?[^,]{0,50}\b(?:said|says|reported|according)\b[^,]*$"
    r"|,?\s+according to\b.*$"
)
_SUBORDINATE = re.compile(r",\s.*$|\s+(?:when|after|as|while|because|amid|before|which|who)\b.*$")
_AND = re.compile(r"\s+and\s+(?=[a-z])")
_WHEN = re.compile(
    r",?\s+(?:on|last|this|next)\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|week|month|year)\b|,?\s+(?:on\s+)?(?:yesterday|today|tonight)\b",
    re.I,
)
# A role before a name ("Japanese Defense Minister Shinjiro Koizumi"): the name suffices.
_ROLE = re.compile(
    r"\b(?:[A-Z][\w.'-]*\s+){0,3}(?:Minister|Secretary|President|Senator|Sen\.|Rep\.|Gov\.|"
    r"Governor|Mayor|Chief|Judge|Justice|Speaker|Leader|Chairman|Chairwoman|Director)\s+"
    r"(?=[A-Z][a-z]+\s+[A-Z])"
)
_APPOSITIVE = re.compile(r",\s+(?:the|a|an|who|which|whose|its|his|her|their)\b[^,]{1,90},")
HEADLINE_WORDS = 16
HEADLINE_SUPPORT = 0.6
"""As the fact-check holds a headline: 60% of its words in the evidence, names and figures exact."""


def compress(sentence: str, limit: int = HEADLINE_WORDS, cut: bool = False) -> str | None:
    """A sentence's main clause as a headline: attribution, time and roles cut, <= limit words.

    None when what is left is too short to say what happened, or longer than the limit (unless
    `cut`, the last resort, which ends it at the limit on a content word).
    """
    text = _ATTRIBUTION_CUT.sub("", _core(sentence)).strip()
    # An aside between commas ("the linchpin of …,") goes before the clause is cut.
    text = _APPOSITIVE.sub("", text)
    main = _SUBORDINATE.sub("", text).strip()
    if len(main.split()) >= 5:
        text = main
    text = _WHEN.sub("", text)
    text = _ROLE.sub("", text)
    if len(text.split()) > limit:
        # Cut at the last "and" that leaves a clause of its own ("… met in Washington").
        for conjunction in reversed(list(_AND.finditer(text))):
            if len(text[: conjunction.start()].split()) >= 6:
                text = text[: conjunction.start()]
                break
    parts = text.split()
    if len(parts) > limit:
        if not cut:
            return None
        parts = parts[:limit]
        while parts and parts[-1].lower() in _WEAK_END:
            parts.pop()
    text = " ".join(parts).strip(" ,;:")
    plain = normalize(text)
    if len(text.split()) < 6 or plain.count('"') % 2 or text.count("(") != text.count(")"):
        return None
    return text[0].upper() + text[1:]


def composed_headline(evidence: Evidence, limit: int = HEADLINE_WORDS) -> str | None:
    """A headline from the shared facts: the most corroborated lead sentence, compressed."""
    pool = [c for c in candidates(evidence) if not c.truncated and c.position <= 3]
    # The most shared first; a figure the sources may dispute is not the headline's to settle.
    ranked = sorted(
        pool,
        key=lambda c: (-(c.shared - 0.15 * bool(numbers(c.text)) + 0.2 / c.position), c.article),
    )
    sources = [
        Source(a.id, s.id, s.text, a.published_at)
        for a in evidence.originals()
        for s in a.sentences
    ]
    known = " ".join(f"{a.outlet} {a.title}" for a in evidence.articles)

    def passes(headline: str) -> bool:
        # Held as the fact-check holds a headline, so the composed one is never replaced.
        problems, _, share = rule_check(
            headline, best_matches(headline, sources, k=3), known_names=known
        )
        return not problems and share >= HEADLINE_SUPPORT

    for cut in (False, True):
        for candidate in ranked:
            headline = compress(candidate.text, limit, cut)
            if headline is not None and passes(headline):
                return headline
    return None


_WEAK_END = frozenset(
    "a an the of to in on at for by with and or but from as that which who is are was were "
    "be been has have had its their his her".split()
)


# --------------------------------------------------------------------------- parties


@dataclass
class Party:
    party: str
    explanation: str
    sentence: str


def extract_parties(evidence: Evidence, limit: int = 3) -> tuple[list[Party], list[Party]]:
    """Who benefited and who is impacted, named in the evidence, each with its sentence.

    Each party is the subject or object of a gain or loss verb in its sentence
    (agent/checks/parties.py), a span of that sentence. Named and qualified parties come before
    a bare "people"; among equals, the sentences the articles share and put first.
    """
    pool = sorted(candidates(evidence), key=lambda c: (-_rank(c), c.article, c.position))
    index = evidence.sentence_index()
    found: dict[str, list[tuple[int, int, Party]]] = {"gain": [], "loss": []}
    for order, candidate in enumerate(pool):
        sentence = index[candidate.id][1].text
        if not_reporting(sentence):
            continue
        for named in parties_in(sentence):
            if not names_party(named.party, sentence):
                continue  # the party must be named in the sentence that explains it
            found[named.polarity].append(
                (
                    0 if named.specific else 1,
                    order,
                    Party(named.party[0].upper() + named.party[1:], candidate.text, candidate.id),
                )
            )
    chosen: dict[str, list[Party]] = {"gain": [], "loss": []}
    taken: list[set[str]] = []
    for polarity in ("loss", "gain"):
        for generic, _, party in sorted(found[polarity], key=lambda f: (f[0], f[1])):
            if len(chosen[polarity]) >= limit:
                break
            # A bare group is one party whatever its count: "At least 12 people" and "Nine
            # people" (two accounts of the dead) are named once.
            key = {party.party.split()[-1].lower()} if generic else set(content_words(party.party))
            if any(key == other for other in taken):
                continue
            taken.append(key)
            chosen[polarity].append(party)
    return chosen["gain"], chosen["loss"]
