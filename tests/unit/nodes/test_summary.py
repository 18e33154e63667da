"""draft_summary's own guards: a cited id that is not in the evidence is dropped (the gateway's
choices, the other guard, are tested with the gateway); so are a cut-off excerpt and a source
sentence copied whole, which the extractive summary chooses among."""

from __future__ import annotations

from types import SimpleNamespace

from agent.llm.fake import FakeModel
from agent.nodes.screen import build_evidence
from agent.nodes.summary import model_lines
from agent.schemas import parse_cluster
from agent.settings import Settings
from tests.helpers import example, make_agent, scripted

REAL = "Koizumi and Hegseth met at the Pentagon for about 50 minutes."


def _evidence() -> object:
    return build_evidence(parse_cluster(example("koizumi-hegseth")), 100_000)


def test_a_cited_id_outside_the_evidence_is_dropped() -> None:
    items = [
        SimpleNamespace(citations=["zz9", "a2.s2"], text=REAL),
        SimpleNamespace(citations=["zz9"], text="Koizumi also met Vance at the White House."),
    ]
    kept, dropped = model_lines(_evidence(), items)  # type: ignore[arg-type]
    assert [(line.text, line.sentences) for line in kept] == [(REAL, ["a2.s2"])]
    assert dropped == ["Koizumi also met Vance at the White House."]


def test_the_summary_call_offers_only_the_evidences_ids(settings: Settings) -> None:
    fake = scripted(FakeModel())
    make_agent(settings, fake).draft(parse_cluster(example("koizumi-hegseth")))
    (request,) = fake.calls("SummaryDraft")
    cites = request.schema["$defs"]["SummaryItem"]["properties"]["citations"]["items"]
    ids = {s.id for a in _evidence().originals() for s in a.sentences}  # type: ignore[attr-defined]
    assert cites["enum"] and set(cites["enum"]) <= ids


def test_a_copied_source_sentence_or_a_cut_off_excerpt_is_left_to_the_extractive_summary() -> None:
    copy = "The meeting at the Pentagon lasted about 50 minutes."
    wrong_figure = "The meeting at the Pentagon lasted about 90 minutes."
    cut = "Koizumi and Hegseth met at the Pentagon, where the..."
    items = [SimpleNamespace(citations=["a2.s2"], text=text) for text in (copy, wrong_figure, cut)]
    kept, dropped = model_lines(_evidence(), items)  # type: ignore[arg-type]
    # Another figure is a claim, not a copy: the fact-check and revise decide it.
    assert [line.text for line in kept] == [wrong_figure]
    assert dropped == [copy, cut]
