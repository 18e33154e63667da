"""assess_impact: who benefited and who is impacted, each with an explanation and citations."""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from agent.checks.claims import NOT_ENOUGH_EVIDENCE
from agent.checks.drafts import DraftParty, FlagData, flag
from agent.checks.evidence import Evidence
from agent.checks.extractive import Party, extract_parties
from agent.checks.parties import names_party
from agent.checks.text import is_prose, not_reporting
from agent.context import Context, context_of
from agent.llm.gateway import Choice
from agent.nodes.common import evidence_of, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.state import CallRecord, StoryState


class PartyItem(BaseModel):
    # A party the model names. The field names are the Story's (and the prompt's): renaming
    # one changes what the model is asked, and so the recorded cassettes.
    party: str = Field(min_length=2, max_length=80)
    citations: list[Choice] = Field(min_length=1, max_length=3)
    explanation: str = Field(min_length=1, max_length=280)


class ImpactDraft(BaseModel):
    # The schema the model fills; the call's choices are the evidence's selected sentences.
    benefited: list[PartyItem] = Field(max_length=3)
    impacted: list[PartyItem] = Field(max_length=3)


def _parties(
    evidence: Evidence,
    items: list[PartyItem],
    section: Literal["who_benefited", "who_impacted"],
) -> tuple[list[DraftParty], list[FlagData]]:
    """Parties named in a sentence they cite (the fact-check then holds their explanation)."""
    index = evidence.sentence_index()
    parties: list[DraftParty] = []
    flags: list[FlagData] = []
    seen: set[str] = set()
    for item in items:
        name = " ".join(item.party.split())
        explanation = " ".join(item.explanation.split())
        cites = [c for c in dict.fromkeys(item.citations) if c in index]
        naming = [c for c in cites if names_party(name, index[c][1].text)]
        if not naming or not is_prose(explanation, 4) or not_reporting(f"{name}: {explanation}"):
            flags.append(
                flag(
                    "removed",
                    section,
                    f"removed the model's party {name!r}: no sentence it cites names it",
                )
            )
            continue
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        parties.append(DraftParty(party=name, explanation=explanation, citations=naming))
    return parties, flags


def _complete(found: list[DraftParty], extracted: list[Party], limit: int = 3) -> None:
    """Add the parties found by rule that the model did not name, up to the limit."""
    for party in extracted:
        if len(found) >= limit:
            break
        if any(names_party(party.party, f["party"]) for f in found):
            continue
        found.append(
            DraftParty(party=party.party, explanation=party.explanation, citations=[party.sentence])
        )


class ImpactUpdate(TypedDict):
    who_benefited: list[DraftParty]
    who_impacted: list[DraftParty]
    section_notes: dict[str, str]
    calls: list[CallRecord]
    flags: list[FlagData]


def assess_impact(state: StoryState, runtime: Runtime[Context]) -> ImpactUpdate:
    """The model's checked parties, completed by the parties the evidence names by rule."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    prompt = with_prefix(context, evidence, load_prompt("impact").render())
    draft, calls, flags = try_ask(
        context,
        "assess_impact",
        prompt,
        ImpactDraft,
        max_tokens=600,
        section="who_benefited",
        choices=evidence.selected,
    )
    benefited: list[DraftParty] = []
    impacted: list[DraftParty] = []
    if draft is not None:
        benefited, dropped = _parties(evidence, draft.benefited, "who_benefited")
        flags += dropped
        impacted, dropped = _parties(evidence, draft.impacted, "who_impacted")
        flags += dropped
    rule_benefited, rule_impacted = extract_parties(evidence)
    _complete(benefited, rule_benefited)
    _complete(impacted, rule_impacted)
    notes: dict[str, str] = {}
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
