"""draft_summary's two guards on citations: the schema offers only the evidence's ids, and a
cited id that is not in the evidence is dropped (each holds without the other)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from agent.nodes.screen import build_evidence
from agent.nodes.summary import model_lines, summary_model
from agent.schemas import parse_cluster
from tests.helpers import example

REAL = "The meeting at the Pentagon lasted about 50 minutes."


def _evidence() -> object:
    return build_evidence(parse_cluster(example("koizumi-hegseth")), 100_000)


def test_the_schema_offers_only_the_evidences_ids() -> None:
    evidence = _evidence()
    draft = summary_model(evidence)  # type: ignore[arg-type]
    schema = draft.model_json_schema()
    cites = schema["$defs"]["SummaryItem"]["properties"]["cites"]["items"]
    assert cites["enum"] == list(evidence.selected)  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        draft.model_validate({"sentences": [{"cites": ["zz9"], "text": REAL}]})


def test_a_cited_id_outside_the_evidence_is_dropped() -> None:
    items = [
        SimpleNamespace(cites=["zz9", "a2.s2"], text=REAL),
        SimpleNamespace(cites=["zz9"], text="Koizumi also met Vance at the White House."),
    ]
    kept, dropped = model_lines(_evidence(), items)  # type: ignore[arg-type]
    assert [(line.text, line.sentences) for line in kept] == [(REAL, ["a2.s2"])]
    assert dropped == ["Koizumi also met Vance at the White House."]
