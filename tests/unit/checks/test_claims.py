"""Settling: nothing unsupported reaches the editor unmarked, even if the fallback fails."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from agent.checks import claims
from agent.llm.fake import FakeModel
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
    summary = [{"cites": ["a2.s2"], "text": WRONG}, {"cites": ["a4.s1"], "text": RIGHT}]
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
