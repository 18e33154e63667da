"""assess_impact: who benefited and who is impacted, each with how and citations."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field, create_model

from agent.checks.evidence import Evidence
from agent.checks.text import is_prose
from agent.context import Context, context_of
from agent.nodes.common import evidence_of, id_enum, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.state import StoryState

NOT_ENOUGH = {
    "who_benefited": "Not enough evidence in the sources to say who benefited.",
    "who_impacted": "Not enough evidence in the sources to say who is impacted.",
}


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


def _parties(items: list[Any]) -> list[dict[str, Any]]:
    parties: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in items:
        name = " ".join(item.party.split())
        explanation = " ".join(item.how.split())
        if not is_prose(name, 1) or not is_prose(explanation, 4) or name.lower() in seen:
            continue
        seen.add(name.lower())
        parties.append(
            {
                "party": name,
                "explanation": explanation,
                "sentences": list(dict.fromkeys(item.cites)),
            }
        )
    return parties


def assess_impact(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Ask who benefited and who is impacted; say so when the evidence does not tell."""
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
    benefited = _parties(draft.benefited) if draft is not None else []  # type: ignore[attr-defined]
    impacted = _parties(draft.impacted) if draft is not None else []  # type: ignore[attr-defined]
    notes = {}
    if not benefited:
        notes["who_benefited"] = NOT_ENOUGH["who_benefited"]
    if not impacted:
        notes["who_impacted"] = NOT_ENOUGH["who_impacted"]
    return {
        "who_benefited": benefited,
        "who_impacted": impacted,
        "section_notes": notes,
        "calls": calls,
        "flags": flags,
    }
