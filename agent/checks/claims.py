"""A story's claims against its evidence: collect, check, settle what fails, flag.

Pure functions of the drafts and the evidence. The fact_check node reports what they find; the
settle node, chosen by the router once the revise bound is reached, replaces what still fails
by its evidence sentence (true by construction) or removes it, and flags each change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import JsonValue

from agent.checks.drafts import (
    DraftEvent,
    DraftItem,
    DraftParty,
    Drafts,
    DraftSection,
    DraftSentence,
    FlagData,
    ItemNote,
    PartySection,
    flag,
    note_flag,
)
from agent.checks.evidence import Evidence
from agent.checks.extractive import composed_headline
from agent.checks.factcheck import (
    ClaimResult,
    Source,
    VerdictName,
    Verifier,
    best_matches,
    check_claim,
    find_conflicts,
    rule_check,
)
from agent.checks.neutrality import loaded_words
from agent.checks.parties import names_party
from agent.checks.text import normalize, not_reporting, numbers, words
from agent.schemas import Claim, Conflict, FactCheck, Section

DRAFT_SECTIONS: tuple[DraftSection, ...] = ("summary", "timeline", "who_benefited", "who_impacted")


TITLE_SUPPORT = 0.6
"""A headline compresses: it must carry 60% of its words into the evidence (a draft's
sentences 70%), with its names, figures, dates and quotes exact."""


def fallback_title(evidence: Evidence) -> str:
    """A headline composed from the shared facts; a neutral source headline only if none."""
    composed = composed_headline(evidence)
    if composed is not None and not loaded_words(composed):
        return composed
    originals = evidence.originals()
    ranked = sorted(originals, key=lambda a: (bool(loaded_words(a.title)), a.side != "center"))
    return ranked[0].title


def title_problems(title: str, evidence: Evidence) -> list[str]:
    """Why a headline cannot stand: loaded, repeated, not reporting, or not in the evidence."""
    problems = [f"loaded word {w!r}" for w in loaded_words(title)]
    parts = [w for w in words(title) if len(w) > 2]
    if len(parts) < 3:
        problems.append("too short to say what happened")
    if len(parts) != len(set(parts)) and len(parts) - len(set(parts)) >= 2:
        problems.append("repeats itself")
    if not_reporting(title):
        problems.append("not a headline")
    if any(normalize(title).lower() == normalize(a.title).lower() for a in evidence.originals()):
        problems.append("one outlet's own headline")
    pool = [
        Source(a.id, s.id, s.text, a.published_at)
        for a in evidence.originals()
        for s in a.sentences
    ]
    known = " ".join(f"{a.outlet} {a.title}" for a in evidence.articles)
    found, _, share = rule_check(title, best_matches(title, pool, k=3), known_names=known)
    problems += found
    if share < TITLE_SUPPORT:
        problems.append(f"only {share:.0%} of its words are in the evidence")
    return problems


def sources_of(evidence: Evidence) -> dict[str, Source]:
    """Every sentence of the original articles, by id (claims are checked against all of them,
    not only those that fit the prompt's budget)."""
    return {
        s.id: Source(a.id, s.id, s.text, a.published_at)
        for a in evidence.originals()
        for s in a.sentences
    }


@dataclass(frozen=True)
class Target:
    """One claim of the drafts: where it sits, what it says and what it cites."""

    section: Section
    index: int
    text: str
    """The claim as the fact-check lists it (a party's is `party: explanation`)."""
    citations: list[str] = field(default_factory=list)
    """Evidence sentence ids (none for the headline)."""
    date: str | None = None
    """A timeline event's date."""
    party: str | None = None
    explanation: str | None = None
    """A party's name and how it benefited or is impacted (what the evidence must bear out)."""


Checked = tuple[Target, ClaimResult]

PARTY_SECTIONS: tuple[PartySection, ...] = ("who_benefited", "who_impacted")


def collect_claims(drafts: Drafts) -> list[Target]:
    """The headline, then every item of every section, in order."""
    claims: list[Target] = []
    classification = drafts.get("classification")
    if classification:
        claims.append(Target("title", 0, classification["title"]))
    for index, sentence in enumerate(drafts.get("summary") or []):
        claims.append(Target("summary", index, sentence["text"], sentence["citations"]))
    for index, event in enumerate(drafts.get("timeline") or []):
        claims.append(
            Target("timeline", index, event["event"], event["citations"], date=event["date"])
        )
    for section in PARTY_SECTIONS:
        for index, party in enumerate(drafts.get(section) or []):
            claims.append(
                Target(
                    section,
                    index,
                    f"{party['party']}: {party['explanation']}",
                    party["citations"],
                    party=party["party"],
                    explanation=party["explanation"],
                )
            )
    return claims


def _check_item(
    target: Target,
    sources: dict[str, Source],
    pool: list[Source],
    known_names: str,
    verifier: Verifier | None,
    headlines: Mapping[str, Source],
) -> ClaimResult:
    text = target.text
    if target.section == "title":
        loaded = loaded_words(text)
        if loaded:
            # A headline speaks for the story, not for one outlet: no loaded words, even quoted.
            cited = best_matches(text, pool, k=3)
            return ClaimResult(
                "unsupported", [f"a headline must be neutral; it says {', '.join(loaded)}"], cited
            )
        headline = headlines.get(normalize(text).lower())
        if headline is not None:
            # A source's own headline, word for word: true to that source by construction.
            return ClaimResult("supported", ["a source's own headline"], [headline])
        cited = best_matches(text, pool, k=3)
        return check_claim(
            text, cited, pool, known_names=known_names, min_overlap=0.5, support=TITLE_SUPPORT
        )
    cited = [sources[s] for s in target.citations if s in sources]
    check_text = target.explanation if target.explanation is not None else text
    result = check_claim(
        check_text,
        cited,
        pool,
        claim_date=target.date,
        known_names=known_names,
        verifier=verifier,
    )
    if target.party is not None and result.verdict == "supported":
        # The party itself must be named in the evidence it cites.
        if not any(names_party(target.party, s.text) for s in result.evidence):
            result = ClaimResult(
                "unsupported", [f"the evidence does not name {target.party!r}"], result.evidence
            )
    return result


def run_checks(
    drafts: Drafts, evidence: Evidence, verifier: Verifier | None
) -> tuple[list[Checked], list[Conflict]]:
    """Every claim of the drafts with its result, and the conflicts between the sources.

    A claim is checked once per change: the rules' verdict on a claim the model was not asked
    about is remembered per evidence (see `_RuleMemo`), so settling after a fact-check, or a
    revise round that rewrote two claims, re-checks only what changed.
    """
    sources = sources_of(evidence)
    pool = list(sources.values())
    known_names = " ".join(f"{a.outlet} {a.title}" for a in evidence.articles)
    headlines = {
        normalize(a.title).lower(): Source(a.id, f"{a.id}.title", a.title, a.published_at)
        for a in evidence.originals()
    }
    memo = _MEMO.for_evidence(pool, known_names, headlines)
    checked: list[Checked] = []
    for target in collect_claims(drafts):
        key = (_target_key(target), verifier is None)
        found = memo.get(key)
        if found is None:
            asked = _Asked(verifier)
            found = _check_item(target, sources, pool, known_names, asked.verifier, headlines)
            if not asked.called:  # a rules-only verdict is a pure function of claim and evidence
                memo.put(key, found)
        checked.append((target, _copy(found)))
    if memo.conflicts is None:
        memo.conflicts = find_conflicts(pool)
    return checked, list(memo.conflicts)


class _Asked:
    """Wraps a verifier to tell whether a check consulted it."""

    def __init__(self, verifier: Verifier | None) -> None:
        self.called = False
        self.verifier: Verifier | None = None if verifier is None else self._ask
        self._inner = verifier

    def _ask(self, claim: str, evidence: list[Source]) -> tuple[VerdictName, str]:
        self.called = True
        assert self._inner is not None
        return self._inner(claim, evidence)


_Key = tuple[Section, str, tuple[str, ...], str | None, str | None, str | None]


def _target_key(target: Target) -> _Key:
    # Every field _check_item reads (not the index: a claim that moves is the same claim).
    return (
        target.section,
        target.text,
        tuple(target.citations),
        target.date,
        target.party,
        target.explanation,
    )


def _copy(result: ClaimResult) -> ClaimResult:
    return dataclasses.replace(result, reasons=list(result.reasons), evidence=list(result.evidence))


class _EvidenceMemo:
    """The remembered checks against one evidence: rules-only verdicts and the conflicts."""

    LIMIT = 1024

    def __init__(self) -> None:
        self.items: dict[tuple[_Key, bool], ClaimResult] = {}
        self.conflicts: list[Conflict] | None = None

    def get(self, key: tuple[_Key, bool]) -> ClaimResult | None:
        return self.items.get(key)

    def put(self, key: tuple[_Key, bool], value: ClaimResult) -> None:
        if len(self.items) < self.LIMIT:
            self.items[key] = value


class _RuleMemo:
    """Checks remembered for the last few evidences (a story's fact-check, revise rounds and
    settling share one evidence); keyed by a digest of every sentence and name they read."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._by_evidence: OrderedDict[str, _EvidenceMemo] = OrderedDict()
        self._lock = threading.Lock()

    def for_evidence(
        self, pool: list[Source], known_names: str, headlines: Mapping[str, Source]
    ) -> _EvidenceMemo:
        digest = hashlib.sha256()
        for source in pool:
            digest.update(
                f"{source.article_id}\x1f{source.sentence_id}\x1f{source.published_at.isoformat()}"
                f"\x1f{source.text}\x1e".encode()
            )
        digest.update(known_names.encode())
        for headline in headlines.values():
            digest.update(f"\x1e{headline.sentence_id}\x1f{headline.text}".encode())
        key = digest.hexdigest()
        with self._lock:
            memo = self._by_evidence.get(key)
            if memo is None:
                memo = self._by_evidence[key] = _EvidenceMemo()
                while len(self._by_evidence) > self.size:
                    self._by_evidence.popitem(last=False)
            else:
                self._by_evidence.move_to_end(key)
            return memo

    def clear(self) -> None:
        with self._lock:
            self._by_evidence.clear()


_MEMO = _RuleMemo()


def forget_checks() -> None:
    """Drop everything the checks remember (a benchmark measuring a story cold calls this)."""
    from agent.checks import consistency, dates, text

    _MEMO.clear()
    text.forget()
    dates.forget()
    consistency.forget()


def to_fact_check(checked: list[Checked], conflicts: list[Conflict]) -> FactCheck:
    claims = [
        Claim(
            claim=target.text,
            section=target.section,
            index=target.index,
            verdict=result.verdict,
            evidence=result.evidence_models(),
            note=result.note,
        )
        for target, result in checked
    ]
    return FactCheck(
        claims=claims,
        supported=sum(c.verdict == "supported" for c in claims),
        unsupported=sum(c.verdict == "unsupported" for c in claims),
        contradicted=sum(c.verdict == "contradicted" for c in claims),
        conflicts=conflicts,
    )


def failing(fact_check: FactCheck) -> list[Claim]:
    """The claims that are not supported."""
    return [c for c in fact_check.claims if c.verdict != "supported"]


def items_of(drafts: Drafts, section: DraftSection) -> list[DraftItem]:
    """A section's items as one list of the union type (the items themselves, not copies)."""
    items: list[DraftItem] = []
    if section == "summary":
        items += drafts.get("summary") or []
    elif section == "timeline":
        items += drafts.get("timeline") or []
    else:
        items += drafts.get(section) or []
    return items


def _without(drafts: Drafts, section: DraftSection, gone: set[int]) -> None:
    """Drop the items at these positions from a section, in place."""
    if section == "summary":
        drafts["summary"] = [i for n, i in enumerate(drafts.get("summary") or []) if n not in gone]
    elif section == "timeline":
        drafts["timeline"] = [
            i for n, i in enumerate(drafts.get("timeline") or []) if n not in gone
        ]
    else:
        drafts[section] = [i for n, i in enumerate(drafts.get(section) or []) if n not in gone]


_Item = TypeVar("_Item", DraftSentence, DraftEvent, DraftParty)


def _noted(item: _Item, kind: str, message: str) -> None:
    """Add a note to an item (a new list: the state's own item stays as it was)."""
    notes: list[ItemNote] = list(item["notes"]) if "notes" in item else []
    notes.append(ItemNote(kind=kind, message=message))
    item["notes"] = notes


def _fallback_note(reason: str) -> str:
    return f"the drafted text was {reason}; its evidence sentence stands in, verbatim"


def fallback(
    drafts: Drafts, checked: list[Checked], evidence: Evidence
) -> tuple[Drafts, list[FlagData]]:
    """Replace failing claims by their evidence sentence, or remove them; flag each."""
    sources = sources_of(evidence)
    pool = list(sources.values())
    fixes = Drafts(
        summary=[i.copy() for i in drafts.get("summary") or []],
        timeline=[i.copy() for i in drafts.get("timeline") or []],
        who_benefited=[i.copy() for i in drafts.get("who_benefited") or []],
        who_impacted=[i.copy() for i in drafts.get("who_impacted") or []],
    )
    remove: dict[DraftSection, set[int]] = {s: set() for s in DRAFT_SECTIONS}
    flags: list[FlagData] = []
    for target, result in checked:
        section, index, text = target.section, target.index, target.text
        if result.verdict == "supported":
            if result.recited and section != "title":
                items_of(fixes, section)[index]["citations"] = [
                    s.sentence_id for s in result.evidence
                ]
            continue
        reason = f"{result.verdict}: {result.note}"
        if section == "title":
            fixes["classification"] = {
                **drafts["classification"],
                "title": fallback_title(evidence),
            }
            flags.append(
                flag(
                    "fallback",
                    "title",
                    f"headline {_clip(text)!r} was {reason}; a headline composed from the "
                    "shared facts (else a neutral source headline) stands in",
                )
            )
            continue
        if section in PARTY_SECTIONS:
            # Keep the party only if a sentence it cites names it: that sentence explains it.
            party = target.party or ""
            naming = [
                sources[s]
                for s in target.citations
                if s in sources and names_party(party, sources[s].text)
            ]
            if naming:
                parties = fixes[section]
                parties[index]["explanation"] = naming[0].text
                parties[index]["citations"] = [naming[0].sentence_id]
                _noted(parties[index], "fallback", _fallback_note(reason))
            else:
                remove[section].add(index)
                flags.append(_removed(section, text, reason))
            continue
        candidates = [sources[s] for s in target.citations if s in sources] or best_matches(
            text, pool, 1
        )
        if target.date is not None:
            # Only a sentence that gives this date may stand in for the event.
            candidates = [s for s in candidates if target.date in _dates(s)]
        if not candidates:
            remove[section].add(index)
            flags.append(_removed(section, text, reason))
            continue
        best = max(
            candidates,
            key=lambda s: len(set(normalize(text).lower().split()) & set(s.text.lower().split())),
        )
        if section == "summary":
            summary = fixes["summary"]
            taken = {
                normalize(i["text"]).lower()
                for n, i in enumerate(summary)
                if n != index and n not in remove[section]
            }
        else:
            timeline = fixes["timeline"]
            taken = {
                normalize(i["event"]).lower()
                for n, i in enumerate(timeline)
                if n != index and n not in remove[section]
            }
        if normalize(best.text).lower() in taken:
            remove[section].add(index)
            flags.append(
                flag(
                    "removed",
                    section,
                    f"removed {_clip(text)!r}: {reason} (its evidence is already in the story)",
                )
            )
            continue
        if section == "summary":
            fixes["summary"][index]["text"] = best.text
            fixes["summary"][index]["citations"] = [best.sentence_id]
            _noted(fixes["summary"][index], "fallback", _fallback_note(reason))
        else:
            fixes["timeline"][index]["event"] = best.text
            fixes["timeline"][index]["citations"] = [best.sentence_id]
            _noted(fixes["timeline"][index], "fallback", _fallback_note(reason))
    for section in DRAFT_SECTIONS:
        _without(fixes, section, remove[section])
    return fixes, flags


def item_flags(drafts: Drafts) -> list[FlagData]:
    """Flags beside the items they concern, at their final positions (after any removal)."""
    return [
        note_flag(note, section, index)
        for section in DRAFT_SECTIONS
        for index, item in enumerate(items_of(drafts, section))
        for note in item.get("notes", [])
    ]


def _removed(section: Section, text: str, reason: str) -> FlagData:
    return flag("removed", section, f"removed {_clip(text)!r}: {reason}")


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dates(source: Source) -> set[str]:
    from agent.checks.dates import find_dates

    return {d.date for d in find_dates(source.text, source.published_at)}


def conflict_flags(drafts: Drafts, conflicts: list[Conflict]) -> list[FlagData]:
    """Flag summary sentences that state one side of a conflict, or a source's loaded words."""
    flags: list[FlagData] = []
    summary = drafts.get("summary") or []
    for index, item in enumerate(summary):
        words = loaded_words(item["text"])
        if words:
            flags.append(
                flag(
                    "loaded",
                    "summary",
                    f"uses the sources' loaded wording ({', '.join(words)}); "
                    "attribute it or rephrase",
                    index,
                )
            )
    for conflict in conflicts:
        conflicting = {q.quote for q in conflict.values}
        values = set()
        for quote in conflicting:
            values.update(numbers(quote))
        for index, item in enumerate(summary):
            if set(numbers(item["text"])) & values:
                flags.append(
                    flag(
                        "conflict",
                        "summary",
                        f"sources disagree ({conflict.about}); say so or attribute the figure",
                        index,
                    )
                )
        flags.append(flag("conflict", "sources", f"sources disagree on {conflict.about}"))
    return flags


NOT_ENOUGH_EVIDENCE: dict[str, str] = {
    "who_benefited": "Not enough evidence in the sources to say who benefited.",
    "who_impacted": "Not enough evidence in the sources to say who is impacted.",
    "timeline": "Not enough evidence: the sources give no dates.",
}
"""What an empty section says instead of invented prose: one wording, wherever it is set."""


def remembered(fact_check: FactCheck | None, verifier: Verifier | None) -> Verifier | None:
    """A verifier that first reuses the verdicts a fact-check already reached, claim by claim.

    Settling re-checks every claim after the fallback; a claim the model already judged must
    not cost another model call (nor get another answer).
    """
    if verifier is None:
        return None
    known = {c.claim: (c.verdict, c.note) for c in (fact_check.claims if fact_check else [])}

    def verify(claim: str, evidence: list[Source]) -> tuple[VerdictName, str]:
        if claim in known:
            verdict, note = known[claim]
            return verdict, note
        return verifier(claim, evidence)

    return verify


class Settled(Drafts, total=False):
    """What settling changes: the drafts it fixed, the final fact-check, flags, notes."""

    fact_check: dict[str, JsonValue]
    flags: list[FlagData]
    section_notes: dict[str, str]


def settle(drafts: Drafts, evidence: Evidence, verifier: Verifier | None) -> Settled:
    """Return the state update that leaves nothing unsupported unmarked.

    Failing claims are replaced by their evidence sentence or removed, and flagged; whatever
    still fails after that (it should not) is removed. Every item's flags are placed at its
    final position, and sources that disagree are flagged as conflicts.
    """
    checked, conflicts = run_checks(drafts, evidence, verifier)
    if not any(result.verdict != "supported" for _, result in checked):
        return {"flags": item_flags(drafts) + conflict_flags(drafts, conflicts)}
    fixes, flags = fallback(drafts, checked, evidence)
    settled = drafts.copy()
    settled.update(fixes)
    checked, conflicts = run_checks(settled, evidence, verifier)
    leftovers = [t for t, r in checked if r.verdict != "supported" and t.section != "title"]
    for target in sorted(leftovers, key=lambda t: (t.section, t.index), reverse=True):
        flags.append(
            flag("removed", target.section, f"removed {_clip(target.text)!r}: still unsupported")
        )
        if target.section != "title":
            _without(settled, target.section, {target.index})
    if leftovers:
        checked, conflicts = run_checks(settled, evidence, verifier)
    notes: dict[str, str] = {
        section: NOT_ENOUGH_EVIDENCE[section]
        for section in PARTY_SECTIONS
        if not settled.get(section)
    }
    update = Settled(
        fact_check=to_fact_check(checked, conflicts).model_dump(mode="json"),
        flags=flags + item_flags(settled) + conflict_flags(settled, conflicts),
        section_notes=notes,
    )
    update["summary"] = settled.get("summary") or []
    update["timeline"] = settled.get("timeline") or []
    update["who_benefited"] = settled.get("who_benefited") or []
    update["who_impacted"] = settled.get("who_impacted") or []
    if "classification" in fixes:
        update["classification"] = settled["classification"]
    return update
