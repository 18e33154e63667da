"""Settling: nothing unsupported reaches the editor unmarked, even if the fallback fails."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from agent.checks import claims
from agent.llm.fake import FakeModel
from agent.nodes.screen import build_evidence
from agent.schemas import parse_cluster
from agent.settings import Settings
from tests.helpers import example, make_agent, scripted

WRONG = "The meeting at the Pentagon lasted about 90 minutes."
RIGHT = "Koizumi also met Vice President JD Vance at the White House on Thursday, Japan's Defence Ministry said."


def _fixes_nothing(
    state: Mapping[str, Any], checked: list[Any], evidence: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A fallback that leaves every failing claim as it was (a bug the safety net must catch)."""
    return {s: [dict(i) for i in state.get(s) or []] for s in claims.DRAFT_SECTIONS}, []


@pytest.mark.parametrize("broken_fallback", [False, True])
def test_a_claim_that_still_fails_is_removed_and_flagged(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, broken_fallback: bool
) -> None:
    if broken_fallback:
        monkeypatch.setattr(claims, "fallback", _fixes_nothing)
    summary = [{"citations": ["a2.s2"], "text": WRONG}, {"citations": ["a4.s1"], "text": RIGHT}]
    fake = scripted(FakeModel(), summary=summary)
    story = make_agent(settings, fake, max_revisions=0).draft(
        parse_cluster(example("koizumi-hegseth"))
    )
    texts = [s.text for s in story.summary]
    assert WRONG not in texts and RIGHT in texts
    assert story.fact_check.unsupported == story.fact_check.contradicted == 0
    assert all(c.verdict == "supported" for c in story.fact_check.claims)
    assert any(
        f.section == "summary" and f.kind in ("removed", "fallback") for f in story.review.flags
    )
    if broken_fallback:
        assert any(
            f.kind == "removed" and "90 minutes" in f.message and "still unsupported" in f.message
            for f in story.review.flags
        )


def test_when_every_claim_passes_settle_changes_nothing_and_places_each_flag() -> None:
    """All claims supported: settle returns flags only (no draft rewritten, no fact-check
    replaced), each at its item's index, plus the conflicts between the sources."""
    evidence = build_evidence(parse_cluster(example("riverton-ferry-conflict")), 100_000)
    text = {s.id: s.text for a in evidence.originals() for s in a.sentences}
    state: dict[str, Any] = {
        "summary": [
            {"text": text["f2.s4"], "citations": ["f2.s4"]},
            {
                "text": text["f1.s1"],
                "citations": ["f1.s1"],
                "notes": [{"kind": "merged", "message": "stated once with both sources"}],
            },
            {
                "text": text["f1.s2"],
                "citations": ["f1.s2"],
                "notes": [{"kind": "fallback", "message": "the drafted text was unsupported: x"}],
            },
        ],
        "timeline": [],
        "who_benefited": [],
        "who_impacted": [],
    }
    update = claims.settle(state, evidence, verifier=None)
    assert set(update) == {"flags"}
    flags = update["flags"]
    assert flags[:2] == [
        {
            "kind": "merged",
            "section": "summary",
            "index": 1,
            "message": "stated once with both sources",
        },
        {
            "kind": "fallback",
            "section": "summary",
            "index": 2,
            "message": "the drafted text was unsupported: x",
        },
    ]
    conflicts = flags[2:]
    # The 12-dead sentence states one side of the deaths conflict; the sources are flagged too.
    assert any(
        f["kind"] == "conflict"
        and f["section"] == "summary"
        and f["index"] == 1
        and "deaths" in f["message"]
        for f in conflicts
    ), conflicts
    assert any(f["kind"] == "conflict" and f["section"] == "sources" for f in conflicts)
    assert all(f["kind"] == "conflict" and f["index"] in (1, None) for f in conflicts), conflicts


LOOSE = "Koizumi and Hegseth spoke for roughly fifty minutes."


def _koizumi() -> Any:
    return build_evidence(parse_cluster(example("koizumi-hegseth")), 100_000)


def test_a_source_headline_word_for_word_is_supported_by_that_headline() -> None:
    evidence = _koizumi()
    a2 = evidence.article("a2")
    state = {"classification": {"title": a2.title.upper()}}  # case does not matter
    (checked,), _ = claims.run_checks(state, evidence, verifier=None)
    target, result = checked
    assert (target.section, result.verdict, result.note) == (
        "title",
        "supported",
        "a source's own headline",
    )
    assert [(s.article_id, s.sentence_id, s.text, s.published_at) for s in result.evidence] == [
        ("a2", "a2.title", a2.title, a2.published_at)
    ]


def test_the_models_verdict_settles_what_the_rules_leave_open_before_and_after_the_fallback() -> (
    None
):
    evidence = _koizumi()

    def verifier(claim: str, cited: list[Any]) -> tuple[Any, str]:
        return ("supported", "") if claim == LOOSE else ("contradicted", "the model disagrees")

    loose = {"text": LOOSE, "citations": ["a2.s2"]}
    # Only the model can hold the loose paraphrase to its evidence: with it, nothing fails.
    assert set(claims.settle({"summary": [loose]}, evidence, verifier)) == {"flags"}
    assert set(claims.settle({"summary": [loose]}, evidence, None)) > {"flags"}
    # A wrong figure beside it falls back; the re-check after the fallback asks the model again.
    state = {"summary": [{"text": WRONG, "citations": ["a2.s2"]}, loose]}
    update = claims.settle(state, evidence, verifier)
    assert LOOSE in [item["text"] for item in update["summary"]]
    assert WRONG not in [item["text"] for item in update["summary"]]


def test_a_party_its_cited_evidence_does_not_name_is_removed_even_if_the_words_hold() -> None:
    evidence = _koizumi()
    party = {
        "party": "Pentagon officials",
        "explanation": "The meeting at the Pentagon lasted about 50 minutes.",  # true, verbatim
        "citations": ["a2.s2"],
    }
    (checked,), _ = claims.run_checks({"who_benefited": [party]}, evidence, verifier=None)
    assert checked[1].verdict == "unsupported"
    assert checked[1].note == "the evidence does not name 'Pentagon officials'"
    update = claims.settle({"who_benefited": [party]}, evidence, None)
    assert update["who_benefited"] == []
    assert update["section_notes"]["who_benefited"] == claims.NOT_ENOUGH_EVIDENCE["who_benefited"]
    assert any(
        f["kind"] == "removed" and "Pentagon officials" in f["message"] for f in update["flags"]
    )


def test_the_safety_net_removes_each_leftover_by_its_own_position(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(claims, "fallback", _fixes_nothing)
    evidence = _koizumi()
    other_wrong = "The meeting at the Pentagon lasted about 95 minutes."
    state = {
        "summary": [
            {"text": WRONG, "citations": ["a2.s2"]},
            {"text": LOOSE, "citations": ["a2.s2"]},
            {"text": other_wrong, "citations": ["a2.s2"]},
        ],
        "who_impacted": [
            {
                "party": "Residents in Okinawa",
                "explanation": "Residents in Okinawa said they were not consulted about the plans.",
                "citations": ["a1.s5"],
            }
        ],
    }

    def verifier(claim: str, cited: list[Any]) -> tuple[Any, str]:
        return ("supported", "") if claim == LOOSE else ("contradicted", "the model disagrees")

    update = claims.settle(state, evidence, verifier)
    assert [item["text"] for item in update["summary"]] == [LOOSE]
    removed = [f["message"] for f in update["flags"] if f["kind"] == "removed"]
    assert removed == [
        f"removed {other_wrong!r}: still unsupported",
        f"removed {WRONG!r}: still unsupported",
    ]
    # The final fact-check is the model's too, and says what was settled.
    assert [c["verdict"] for c in update["fact_check"]["claims"]] == ["supported", "supported"]
    assert update["section_notes"] == {"who_benefited": claims.NOT_ENOUGH_EVIDENCE["who_benefited"]}
