"""Helpers the tests share: the examples, a fixed "now", and a scripted fake model.

A plain module (not a conftest, not a test module), so any test imports it by one name.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import StoryAgent
from agent.llm.fake import FakeModel, Request
from agent.llm.gateway import Gateway
from agent.schemas import Cluster, Story, parse_cluster
from agent.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# The evaluation data (research use only, never in the repo): tests that read it skip without it.
EVALDATA = Path(os.environ.get("STORYDESK_EVALDATA", ROOT.parent / "shared" / "evaldata"))
NOW = datetime(2026, 1, 17, 12, 0, tzinfo=UTC)


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _enum(request: Request, path: list[str]) -> list[str]:
    """The ids a schema lets the model cite (constrained decoding would allow only these)."""
    node: Any = request.schema
    for key in path:
        node = node[key]
    return list(node["enum"])


def _candidate(request: Request, date: str, sentence: str) -> str:
    """The candidate id the timeline prompt lists for this date and sentence."""
    listing = request.messages[-1]["content"]
    match = re.search(rf"^(d\d+): {date} .* in {re.escape(sentence)}\)$", listing, re.M)
    assert match, listing
    assert match.group(1) in _enum(request, ["$defs", "TimelineItem", "properties", "candidate"])
    return match.group(1)


def scripted(
    fake: FakeModel,
    summary: list[dict[str, Any]] | None = None,
    title: str = "Japan and U.S. defense chiefs agree to boost deterrence",
    rewrite: str | None = None,
    verdict: str = "supported",
) -> FakeModel:
    """Answer every node: a careful model by default; pieces can be swapped to misbehave."""
    fake.respond(
        "SummaryDraft",
        lambda r: {
            "sentences": summary
            if summary is not None
            else [
                {
                    "citations": ["a2.s1"],
                    "text": "Japanese Defense Minister Shinjiro Koizumi and U.S. Defense Secretary Pete Hegseth agreed on Thursday to boost the deterrence and response capabilities of the two countries' alliance.",
                },
                {
                    "citations": ["a2.s2"],
                    "text": "The meeting at the Pentagon lasted about 50 minutes.",
                },
                {
                    "citations": ["a4.s1"],
                    "text": "Koizumi also met Vice President JD Vance at the White House on Thursday, Japan's Defence Ministry said.",
                },
            ]
        },
    )
    fake.respond(
        "TimelineDraft",
        lambda r: {
            "events": [
                {
                    "candidate": _candidate(r, "2026-01-15", "a2.s1"),
                    "event": "Koizumi and Hegseth agreed to boost the deterrence and response capabilities of the alliance.",
                }
            ]
        },
    )
    fake.respond(
        "ImpactDraft",
        lambda r: {
            "benefited": [
                {
                    "party": "Defence manufacturers",
                    "citations": ["a5.s4"],
                    "explanation": "Defence manufacturers involved in the SM-3 programme could see larger orders, analysts said.",
                }
            ],
            "impacted": [
                {
                    "party": "Residents in Okinawa",
                    "citations": ["a1.s5"],
                    "explanation": "Residents in Okinawa said they were not consulted about the plans.",
                }
            ],
        },
    )
    fake.respond(
        "Classification",
        lambda r: {"title": title, "category": "International", "sentiment": "neutral"},
    )
    fake.respond("VerifyAnswer", lambda r: {"verdict": verdict})
    if rewrite is not None:
        fake.respond("Rewrite", lambda r: {"text": rewrite})
    return fake


def make_agent(settings: Settings, fake: FakeModel, **overrides: Any) -> StoryAgent:
    if overrides:
        settings = settings.model_copy(update=overrides)
    return StoryAgent(settings, gateway=Gateway(fake), now=NOW)


def draft(
    settings: Settings, fake: FakeModel, name: str = "koizumi-hegseth", **overrides: Any
) -> Story:
    return make_agent(settings, fake, **overrides).draft(parse_cluster(example(name)))


def cluster_of(name: str) -> Cluster:
    return parse_cluster(example(name))


def assert_flags_point_at_items(story: Story) -> None:
    for flag in story.review.flags:
        if flag.index is None:
            continue
        section = {
            "summary": story.summary,
            "timeline": story.timeline,
            "who_benefited": story.who_benefited,
            "who_impacted": story.who_impacted,
            "title": [story.title],
        }[flag.section]
        assert flag.index < len(section), flag
