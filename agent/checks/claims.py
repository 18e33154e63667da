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
from typing import Any

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
from agent.checks.text import content_words, normalize, not_reporting, numbers, words
from agent.schemas import Claim, FactCheck, Section

DRAFT_SECTIONS: tuple[Section, ...] = ("summary", "timeline", "who_benefited", "who_impacted")


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


def claim_text(section: str, item: dict[str, Any]) -> str:
    if section == "summary":
        return str(item["text"])
    if section == "timeline":
        return str(item["event"])
    return f"{item['party']}: {item['explanation']}"


def collect_claims(state: Mapping[str, Any]) -> list[tuple[Section, int, dict[str, Any]]]:
    claims: list[tuple[Section, int, dict[str, Any]]] = []
    if state.get("classification"):
        claims.append(("title", 0, {"title": state["classification"]["title"]}))
    for section in DRAFT_SECTIONS:
        for index, item in enumerate(state.get(section) or []):
            claims.append((section, index, item))
    return claims


def _check_item(
    section: Section,
    item: dict[str, Any],
    sources: dict[str, Source],
    pool: list[Source],
    known_names: str,
    verifier: Verifier | None,
    headlines: Mapping[str, Source],
) -> tuple[str, ClaimResult]:
    if section == "title":
        text = item["title"]
        loaded = loaded_words(text)
        if loaded:
            # A headline speaks for the story, not for one outlet: no loaded words, even quoted.
            cited = best_matches(text, pool, k=3)
            return text, ClaimResult(
                "unsupported", [f"a headline must be neutral; it says {', '.join(loaded)}"], cited
            )
        headline = headlines.get(normalize(text).lower())
        if headline is not None:
            # A source's own headline, word for word: true to that source by construction.
            return text, ClaimResult("supported", ["a source's own headline"], [headline])
        cited = best_matches(text, pool, k=3)
        return text, check_claim(
            text, cited, pool, known_names=known_names, min_overlap=0.5, support=TITLE_SUPPORT
        )
    text = claim_text(section, item)
    cited = [sources[s] for s in item.get("sentences", []) if s in sources]
    date = item.get("date") if section == "timeline" else None
    check_text = item["explanation"] if section in ("who_benefited", "who_impacted") else text
    result = check_claim(
        check_text, cited, pool, claim_date=date, known_names=known_names, verifier=verifier
    )
    if section in ("who_benefited", "who_impacted") and result.verdict == "supported":
        # The party itself must be named in the evidence it cites.
        if not any(_names_party(item["party"], s.text) for s in result.evidence):
            result = ClaimResult(
                "unsupported", [f"the evidence does not name {item['party']!r}"], result.evidence
            )
    return text, result


def run_checks(
    state: Mapping[str, Any], evidence: Evidence, verifier: Verifier | None
) -> tuple[list[tuple[Section, int, dict[str, Any], str, ClaimResult]], list[Any]]:
    """Check every claim of the drafts against the evidence; find the sources' conflicts.

    A claim is checked once per change: the rules' verdict on an item the model was not asked
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
    checked = []
    for section, index, item in collect_claims(state):
        key = (_item_key(section, item), verifier is None)
        found = memo.get(key)
        if found is None:
            asked = _Asked(verifier)
            found = _check_item(
                section, item, sources, pool, known_names, asked.verifier, headlines
            )
            if not asked.called:  # a rules-only verdict is a pure function of item and evidence
                memo.put(key, found)
        text, result = found
        checked.append((section, index, item, text, _copy(result)))
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


def _item_key(section: Section, item: dict[str, Any]) -> tuple[Any, ...]:
    # Exactly the fields _check_item reads.
    if section == "title":
        return (section, item["title"])
    return (
        section,
        claim_text(section, item),
        item.get("explanation"),
        item.get("date") if section == "timeline" else None,
        tuple(item.get("sentences", [])),
    )


def _copy(result: ClaimResult) -> ClaimResult:
    return dataclasses.replace(result, reasons=list(result.reasons), evidence=list(result.evidence))


class _EvidenceMemo:
    """The remembered checks against one evidence: rules-only verdicts and the conflicts."""

    LIMIT = 1024

    def __init__(self) -> None:
        self.items: dict[tuple[Any, ...], tuple[str, ClaimResult]] = {}
        self.conflicts: list[Any] | None = None

    def get(self, key: tuple[Any, ...]) -> tuple[str, ClaimResult] | None:
        return self.items.get(key)

    def put(self, key: tuple[Any, ...], value: tuple[str, ClaimResult]) -> None:
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


def to_fact_check(
    checked: list[tuple[Section, int, dict[str, Any], str, ClaimResult]], conflicts: list[Any]
) -> FactCheck:
    claims = [
        Claim(
            claim=text,
            section=section,
            index=index,
            verdict=result.verdict,
            evidence=result.evidence_models(),
            note=result.note,
        )
        for section, index, _, text, result in checked
    ]
    return FactCheck(
        claims=claims,
        supported=sum(c.verdict == "supported" for c in claims),
        unsupported=sum(c.verdict == "unsupported" for c in claims),
        contradicted=sum(c.verdict == "contradicted" for c in claims),
        conflicts=conflicts,
    )


def failing(fact_check: dict[str, Any]) -> list[dict[str, Any]]:
    """The claims that are not supported."""
    return [c for c in fact_check.get("claims", []) if c["verdict"] != "supported"]


def fallback(
    state: Mapping[str, Any],
    checked: list[tuple[Section, int, dict[str, Any], str, ClaimResult]],
    evidence: Evidence,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Replace failing claims by their evidence sentence, or remove them; flag each."""
    sources = sources_of(evidence)
    pool = list(sources.values())
    updates: dict[str, Any] = {s: [dict(i) for i in state.get(s) or []] for s in DRAFT_SECTIONS}
    remove: dict[str, set[int]] = {s: set() for s in DRAFT_SECTIONS}
    flags: list[dict[str, Any]] = []
    for section, index, item, text, result in checked:
        if result.verdict == "supported":
            if result.recited and section != "title":
                updates[section][index]["sentences"] = [s.sentence_id for s in result.evidence]
            continue
        reason = f"{result.verdict}: {result.note}"
        if section == "title":
            title = fallback_title(evidence)
            updates["classification"] = {**state["classification"], "title": title}
            flags.append(
                {
                    "kind": "fallback",
                    "section": "title",
                    "index": None,
                    "message": f"headline {_clip(text)!r} was {reason}; "
                    "a headline composed from the shared facts (else a neutral source "
                    "headline) stands in",
                }
            )
            continue
        if section in ("who_benefited", "who_impacted"):
            # Keep the party only if a sentence it cites names it: that sentence explains it.
            naming = [
                sources[s]
                for s in item.get("sentences", [])
                if s in sources and _names_party(item["party"], sources[s].text)
            ]
            if naming:
                updates[section][index]["explanation"] = naming[0].text
                updates[section][index]["sentences"] = [naming[0].sentence_id]
                updates[section][index]["fallback"] = reason
            else:
                remove[section].add(index)
                flags.append(_removed(section, text, reason))
            continue
        candidates = [
            sources[s] for s in item.get("sentences", []) if s in sources
        ] or best_matches(text, pool, 1)
        if section == "timeline":
            # Only a sentence that gives this date may stand in for the event.
            candidates = [s for s in candidates if item["date"] in {d for d in _dates(s)}]
        if not candidates:
            remove[section].add(index)
            flags.append(_removed(section, text, reason))
            continue
        best = max(
            candidates,
            key=lambda s: len(set(normalize(text).lower().split()) & set(s.text.lower().split())),
        )
        key = "text" if section == "summary" else "event"
        taken = {
            normalize(i[key]).lower()
            for n, i in enumerate(updates[section])
            if n != index and n not in remove[section]
        }
        if normalize(best.text).lower() in taken:
            remove[section].add(index)
            flags.append(
                {
                    "kind": "removed",
                    "section": section,
                    "index": None,
                    "message": f"removed {_clip(text)!r}: {reason} "
                    "(its evidence is already in the story)",
                }
            )
            continue
        updates[section][index][key] = best.text
        updates[section][index]["sentences"] = [best.sentence_id]
        updates[section][index]["fallback"] = reason
    for section in DRAFT_SECTIONS:
        updates[section] = [i for n, i in enumerate(updates[section]) if n not in remove[section]]
    return updates, flags


def item_flags(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Flags beside the items they concern, at their final positions (after any removal)."""
    flags = []
    for section in DRAFT_SECTIONS:
        for index, item in enumerate(data.get(section) or []):
            if "origin" in item:
                kind, note = item["origin"]
                flags.append({"kind": kind, "section": section, "index": index, "message": note})
            if "fallback" in item:
                flags.append(
                    {
                        "kind": "fallback",
                        "section": section,
                        "index": index,
                        "message": f"the drafted text was {item['fallback']}; its evidence "
                        "sentence stands in, verbatim",
                    }
                )
    return flags


def _removed(section: str, text: str, reason: str) -> dict[str, Any]:
    return {
        "kind": "removed",
        "section": section,
        "index": None,
        "message": f"removed {_clip(text)!r}: {reason}",
    }


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names_party(party: str, text: str) -> bool:
    words_of_party = [w for w in content_words(party) if len(w) > 2]
    found = set(content_words(text))
    return bool(words_of_party) and all(w in found for w in words_of_party)


def _dates(source: Source) -> set[str]:
    from agent.checks.dates import find_dates

    return {d.date for d in find_dates(source.text, source.published_at)}


def conflict_flags(state: Mapping[str, Any], conflicts: list[Any]) -> list[dict[str, Any]]:
    """Flag summary sentences that state one side of a conflict, or a source's loaded words."""
    flags = []
    for index, item in enumerate(state.get("summary") or []):
        words = loaded_words(item["text"])
        if words:
            flags.append(
                {
                    "kind": "loaded",
                    "section": "summary",
                    "index": index,
                    "message": f"uses the sources' loaded wording ({', '.join(words)}); "
                    "attribute it or rephrase",
                }
            )
    for conflict in conflicts:
        conflicting = {q.quote for q in conflict.values}
        values = set()
        for quote in conflicting:
            values.update(numbers(quote))
        for index, item in enumerate(state.get("summary") or []):
            if set(numbers(item["text"])) & values:
                flags.append(
                    {
                        "kind": "conflict",
                        "section": "summary",
                        "index": index,
                        "message": f"sources disagree ({conflict.about}); "
                        "say so or attribute the figure",
                    }
                )
        flags.append(
            {
                "kind": "conflict",
                "section": "sources",
                "index": None,
                "message": f"sources disagree on {conflict.about}",
            }
        )
    return flags


NOT_ENOUGH_EVIDENCE: dict[str, str] = {
    "who_benefited": "Not enough evidence in the sources to say who benefited.",
    "who_impacted": "Not enough evidence in the sources to say who is impacted.",
    "timeline": "Not enough evidence: the sources give no dates.",
}
"""What an empty section says instead of invented prose: one wording, wherever it is set."""


def remembered(fact_check: Mapping[str, Any], verifier: Verifier | None) -> Verifier | None:
    """A verifier that first reuses the verdicts a fact-check already reached, claim by claim.

    Settling re-checks every claim after the fallback; a claim the model already judged must
    not cost another model call (nor get another answer).
    """
    if verifier is None:
        return None
    known = {c["claim"]: (c["verdict"], c.get("note", "")) for c in fact_check.get("claims", [])}

    def verify(claim: str, evidence: list[Source]) -> tuple[VerdictName, str]:
        if claim in known:
            verdict, note = known[claim]
            return verdict, note
        return verifier(claim, evidence)

    return verify


def settle(
    state: Mapping[str, Any], evidence: Evidence, verifier: Verifier | None
) -> dict[str, Any]:
    """Return the state update that leaves nothing unsupported unmarked.

    Failing claims are replaced by their evidence sentence or removed, and flagged; whatever
    still fails after that (it should not) is removed. Every item's flags are placed at its
    final position, and sources that disagree are flagged as conflicts.
    """
    checked, conflicts = run_checks(state, evidence, verifier)
    if not any(result.verdict != "supported" for *_, result in checked):
        return {"flags": item_flags(state) + conflict_flags(state, conflicts)}
    fixes, flags = fallback(state, checked, evidence)
    settled: dict[str, Any] = {**state, **fixes}
    checked, conflicts = run_checks(settled, evidence, verifier)
    leftovers = [(s, i) for s, i, _, _, r in checked if r.verdict != "supported" and s != "title"]
    for section, index in sorted(leftovers, reverse=True):
        flags.append(
            {
                "kind": "removed",
                "section": section,
                "index": None,
                "message": f"removed {_clip(claim_text(section, settled[section][index]))!r}: "
                "still unsupported",
            }
        )
        settled[section] = [i for n, i in enumerate(settled[section]) if n != index]
    if leftovers:
        checked, conflicts = run_checks(settled, evidence, verifier)
    notes = {
        section: NOT_ENOUGH_EVIDENCE[section]
        for section in ("who_benefited", "who_impacted")
        if not settled.get(section)
    }
    return {
        **{k: settled[k] for k in fixes},
        "fact_check": to_fact_check(checked, conflicts).model_dump(mode="json"),
        "flags": flags + item_flags(settled) + conflict_flags(settled, conflicts),
        "section_notes": notes,
    }
