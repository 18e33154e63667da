"""fact_check: every claim of every section against its evidence; conflicts between sources.

After the last allowed revise round, what still fails is replaced by its evidence sentence
(true by construction) or removed, and flagged: nothing unsupported reaches the story unmarked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from langgraph.runtime import Runtime
from pydantic import BaseModel

from agent.context import Context, context_of
from agent.errors import ModelOutputError
from agent.factcheck import (
    ClaimResult,
    Source,
    VerdictName,
    Verifier,
    best_matches,
    check_claim,
    find_conflicts,
)
from agent.llm.gateway import Gateway
from agent.neutrality import loaded_words
from agent.nodes.classify import fallback_title
from agent.nodes.common import evidence_of, failed_record, record
from agent.prompts import load_prompt
from agent.schemas import Claim, FactCheck, Section
from agent.state import CallRecord, Evidence, StoryState
from agent.text import content_words, normalize, numbers

DRAFT_SECTIONS: tuple[Section, ...] = ("summary", "timeline", "who_benefited", "who_impacted")


TITLE_SUPPORT = 0.6
"""A headline compresses: it must carry 60% of its words into the evidence (a draft's
sentences 70%), with its names, figures, dates and quotes exact."""


class VerifyAnswer(BaseModel):
    verdict: Literal["supported", "contradicted", "unsupported"]


def model_verifier(gateway: Gateway, calls: list[CallRecord] | None = None) -> Verifier:
    """A verifier that asks the model, for claims the rules could not settle.

    Verdicts are remembered per (claim, evidence): the final round re-checks settled claims
    after a fallback, and must not ask the model again about the ones it already judged.
    """
    asked: dict[tuple[str, tuple[str, ...]], tuple[VerdictName, str]] = {}

    def verify(claim: str, evidence: list[Source]) -> tuple[VerdictName, str]:
        key = (claim, tuple(s.sentence_id for s in evidence))
        if key not in asked:
            asked[key] = ask(claim, evidence)
        return asked[key]

    def ask(claim: str, evidence: list[Source]) -> tuple[VerdictName, str]:
        prompt = load_prompt("verify").render(
            claim=claim, evidence="\n".join(f"- {s.text}" for s in evidence)
        )
        try:
            result = gateway.structured(prompt, VerifyAnswer, max_tokens=20)
        except ModelOutputError as error:
            if calls is not None:
                calls.append(failed_record("fact_check", prompt, error))
            return "unsupported", "the rules could not settle it and the model gave no verdict"
        if calls is not None:
            calls.append(record("fact_check", result))
        verdict = result.value.verdict
        reason = "" if verdict == "supported" else f"the model judged it {verdict}"
        return verdict, reason

    return verify


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
    sources = sources_of(evidence)
    pool = list(sources.values())
    known_names = " ".join(f"{a.outlet} {a.title}" for a in evidence.articles)
    headlines = {
        normalize(a.title).lower(): Source(a.id, f"{a.id}.title", a.title, a.published_at)
        for a in evidence.originals()
    }
    checked = []
    for section, index, item in collect_claims(state):
        text, result = _check_item(section, item, sources, pool, known_names, verifier, headlines)
        checked.append((section, index, item, text, result))
    return checked, find_conflicts(pool)


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


def _fallback(
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
                    "a source headline stands in",
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
    from agent.dates import find_dates

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


def fact_check(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Check every claim; after the revise bound, replace or remove what still fails."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    calls: list[CallRecord] = []
    settings = context.get_settings()
    verifier = model_verifier(context.get_gateway(), calls) if settings.use_model_verdicts else None
    checked, conflicts = run_checks(state, evidence, verifier)
    result = to_fact_check(checked, conflicts)
    update: dict[str, Any] = {"fact_check": result.model_dump(mode="json"), "calls": calls}
    bound = settings.max_revisions
    if not failing(update["fact_check"]):
        update["flags"] = item_flags(state) + conflict_flags(state, conflicts)
        return update
    if state.get("revisions", 0) < bound:
        return update  # the router sends the failing claims to revise
    fixes, flags = _fallback(state, checked, evidence)
    settled: dict[str, Any] = {**state, **fixes}
    checked, conflicts = run_checks(settled, evidence, verifier)
    # Whatever still fails after the fallback (it should not) is removed, never shown unmarked.
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
    final = to_fact_check(checked, conflicts)
    notes = {}
    for section, note in (
        ("who_benefited", "Not enough evidence in the sources to say who benefited."),
        ("who_impacted", "Not enough evidence in the sources to say who is impacted."),
    ):
        if not settled.get(section):
            notes[section] = note
    return {
        **{k: settled[k] for k in fixes},
        "fact_check": final.model_dump(mode="json"),
        "flags": flags + item_flags(settled) + conflict_flags(settled, conflicts),
        "section_notes": notes,
        "calls": calls,
    }


def check_summary(
    document: str,
    summary: str,
    *,
    gateway: Gateway | None,
    now: datetime,
    use_model: bool = True,
) -> FactCheck:
    """Check a free-standing summary against one document (the SummEdits task).

    Each sentence is aligned to the whole document (names, figures, negation, antonyms:
    agent/consistency.py) and the shipped calibration weighs what the summary's sentences say
    that the document does not. Where that finds nothing and model verdicts are on, the model
    judges each sentence against the document sentences it aligns to.
    """
    from agent.consistency import SHIPPED, count_findings, index_document, summary_findings

    index = index_document(document)
    pool = [Source("doc", s.sentence_id, s.text, now) for s in index.sentences]
    verifier = model_verifier(gateway) if (gateway is not None and use_model) else None
    found = summary_findings(document, summary)
    flagged = not SHIPPED.consistent(count_findings(f for _, fs in found for f in fs))
    checked = []
    for position, (sentence, findings) in enumerate(found):
        evidence = best_matches(sentence, pool, k=3)
        if flagged and findings:
            contradiction = any(f.kind in ("negation", "antonyms") for f in findings)
            result = ClaimResult(
                "contradicted" if contradiction else "unsupported",
                [f.detail for f in findings],
                evidence,
            )
        elif verifier is not None:
            verdict, reason = verifier(sentence, evidence)
            result = ClaimResult(verdict, [reason] if reason else [], evidence, method="model")
        else:
            result = ClaimResult("supported", [], evidence)
        checked.append(("summary", position, {"text": sentence}, sentence, result))
    return to_fact_check(checked, [])  # type: ignore[arg-type]
