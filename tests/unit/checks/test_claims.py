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
