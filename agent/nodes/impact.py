"""assess_impact: who benefited and who is impacted, each with how and citations."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from agent.checks.claims import NOT_ENOUGH_EVIDENCE
from agent.checks.evidence import Evidence
from agent.checks.extractive import Party, extract_parties
from agent.checks.text import content_words, is_prose, not_reporting
from agent.context import Context, context_of
from agent.nodes.common import evidence_of, id_enum, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.state import StoryState


def impact_model(evidence: Evidence) -> type[BaseModel]:
    cites: Any = list[id_enum(evidence.selected)]  # type: ignore[misc]
    party = create_model(
        "PartyItem",
        party=(str, Field(min_length=2, max_length=80)),
        cites=(cites, Field(min_length=1, max_length=3)),
        how=(str, Field(min_length=1, max_length=280)),
    )
    return create_model(
        "ImpactDraft",
        benefited=(list[party], Field(max_length=3)),  # type: ignore[valid-type]
        impacted=(list[party], Field(max_length=3)),  # type: ignore[valid-type]
    )


def _parties(
    evidence: Evidence, items: list[Any], section: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The model's parties named in a sentence they cite (the fact-check then holds the how)."""
    index = evidence.sentence_index()
    parties: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        name = " ".join(item.party.split())
        explanation = " ".join(item.how.split())
        cites = [c for c in dict.fromkeys(item.cites) if c in index]
        naming = [c for c in cites if names_party(name, index[c][1].text)]
        if not naming or not is_prose(explanation, 4) or not_reporting(f"{name}: {explanation}"):
            flags.append(
                {
                    "kind": "removed",
                    "section": section,
                    "index": None,
                    "message": f"removed the model's party {name!r}: no sentence it cites names it",
                }
            )
            continue
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        parties.append({"party": name, "explanation": explanation, "sentences": naming})
    return parties, flags


def names_party(party: str, text: str) -> bool:
    """True when every content word of the party occurs in the text."""
    party_words = set(content_words(party))
    return bool(party_words) and party_words <= set(content_words(text))


def _complete(found: list[dict[str, Any]], extracted: list[Party], limit: int = 3) -> None:
    """Add the parties found by rule that the model did not name, up to the limit."""
    for party in extracted:
        if len(found) >= limit:
            break
        if any(names_party(party.party, f["party"]) for f in found):
            continue
        found.append(
            {"party": party.party, "explanation": party.explanation, "sentences": [party.sentence]}
        )


def assess_impact(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """The model's checked parties, completed by the parties the evidence names by rule."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    prompt = with_prefix(context, evidence, load_prompt("impact").render())
    draft, calls, flags = try_ask(
        context,
        "assess_impact",
        prompt,
        impact_model(evidence),
        max_tokens=600,
        section="who_benefited",
    )
    benefited: list[dict[str, Any]] = []
    impacted: list[dict[str, Any]] = []
    if draft is not None:
        benefited, dropped = _parties(evidence, draft.benefited, "who_benefited")  # type: ignore[attr-defined]
        flags += dropped
        impacted, dropped = _parties(evidence, draft.impacted, "who_impacted")  # type: ignore[attr-defined]
        flags += dropped
    rule_benefited, rule_impacted = extract_parties(evidence)
    _complete(benefited, rule_benefited)
    _complete(impacted, rule_impacted)
    notes = {}
    if not benefited:
        notes["who_benefited"] = NOT_ENOUGH_EVIDENCE["who_benefited"]
    if not impacted:
        notes["who_impacted"] = NOT_ENOUGH_EVIDENCE["who_impacted"]
    return {
        "who_benefited": benefited,
        "who_impacted": impacted,
        "section_notes": notes,
        "calls": calls,
        "flags": flags,
    }
