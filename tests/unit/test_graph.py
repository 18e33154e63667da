"""The story graph with a scripted fake model: nodes, routers, the revise bound, flags."""

from __future__ import annotations

import re
from typing import Any

import pytest

from agent.errors import ClusterRefused
from agent.llm.fake import FakeModel
from agent.settings import Settings
from tests.helpers import (
    NOW,
    _candidate,
    assert_flags_point_at_items,
    cluster_of,
    draft,
    scripted,
)


def test_story_guarantees_hold(settings: Settings) -> None:
    story = draft(settings, scripted(FakeModel()))
    cluster = cluster_of("koizumi-hegseth")
    ids = {a.id for a in cluster.articles}
    texts = {a.id: f"{a.title}\n{a.text}" for a in cluster.articles}
    assert story.review.status == "needs_review" and story.revision == 1
    assert story.summary and story.timeline
    for item in [*story.summary, *story.timeline, *story.who_benefited, *story.who_impacted]:
        assert item.citations and set(item.citations) <= ids
    claims = story.fact_check.claims
    assert len(claims) == 1 + len(story.summary) + len(story.timeline) + len(
        story.who_benefited
    ) + len(story.who_impacted)
    for claim in claims:
        assert claim.verdict == "supported", claim
        assert claim.evidence
        for evidence in claim.evidence:
            assert evidence.quote in texts[evidence.article_id]  # verbatim
    assert story.fact_check.supported == len(claims)


def test_counts_and_meter_come_from_the_leans(settings: Settings) -> None:
    story = draft(settings, scripted(FakeModel()))
    # a3 is a syndicated copy of a2: listed in coverage, counted once.
    assert story.bias.articles == 4 and story.bias.sources == 5
    assert (story.bias.left, story.bias.center, story.bias.right, story.bias.unrated) == (
        1,
        3,
        0,
        0,
    )
    assert story.bias.distribution.model_dump() == {"left": 25.0, "center": 75.0, "right": 0.0}
    assert story.blindspot == "right"
    center = [c.article_id for c in story.coverage.center]
    assert sorted(center) == ["a2", "a3", "a4", "a5"]
    assert next(c for c in story.coverage.center if c.article_id == "a3").duplicate_of == "a2"
    assert any(f.kind == "duplicate" for f in story.review.flags)


def test_timeline_dates_are_resolved_not_publication_dates(settings: Settings) -> None:
    story = draft(settings, scripted(FakeModel()))
    dates = {e.date: e for e in story.timeline}
    assert "2026-01-15" in dates  # "on Thursday", published Friday 2026-01-16 JST
    assert dates["2025-10"].precision == "month"  # background: "took office in October 2025"
    assert "2025-12" in dates  # "Last month"
    assert "2025-11" in dates  # "in November"
    thursday = dates["2026-01-15"]
    assert thursday.citations[0] in {"a1", "a2", "a4", "a5"}


def test_the_rule_chooses_the_dates_and_the_model_phrases_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model that picks candidates beyond the rule's adds no date; its phrasing of a chosen
    date stands."""
    monkeypatch.setattr("agent.nodes.timeline.MAX_EVENTS", 3)  # fewer than the 8 candidates
    plain = draft(settings, scripted(FakeModel()))

    def every_candidate(request: Any) -> dict[str, Any]:
        listing = request.messages[-1]["content"]
        ids = re.findall(r"^(d\d+): ", listing, re.M)
        assert len(ids) > 3  # more candidates than the timeline keeps
        return {
            "events": [
                {
                    "candidate": _candidate(request, "2026-01-15", "a2.s1"),
                    "event": "Koizumi and Hegseth agreed to boost the deterrence and response capabilities of the alliance.",
                },
                *(
                    {"candidate": i, "event": f"Candidate {i} happened on that day."}
                    for i in ids[:5]
                ),
            ]
        }

    eager = scripted(FakeModel(), rewrite="It happened.").respond("TimelineDraft", every_candidate)
    story = draft(settings, eager)
    assert {e.date for e in story.timeline} == {e.date for e in plain.timeline}
    assert len(story.timeline) <= 3 and "2026-01-15" in {e.date for e in plain.timeline}
    thursday = [e for e in story.timeline if e.date == "2026-01-15"]
    assert [e.event for e in thursday] == [
        "Koizumi and Hegseth agreed to boost the deterrence and response capabilities of the alliance."
    ]


def test_provenance_records_prompts_tokens_and_thread(settings: Settings) -> None:
    story = draft(settings, scripted(FakeModel()))
    p = story.provenance
    assert p.backend == "fake" and p.model == "fake-model"
    assert {"prefix", "summary", "timeline", "impact", "classify"} <= set(p.prompts)
    assert all(re.fullmatch(r"\d+\+[0-9a-f]{64}", v) for v in p.prompts.values())
    assert p.tokens.prompt > 0 and p.tokens.completion > 0
    assert p.article_ids == ["a1", "a2", "a3", "a4", "a5"]
    assert p.thread_id == story.id and story.id.startswith("story-c-2026-01-15-koizumi-hegseth-")
    assert p.created_at == NOW


def test_wrong_figure_is_revised_then_falls_back_within_the_bound(settings: Settings) -> None:
    bad = [{"citations": ["a2.s2"], "text": "The meeting at the Pentagon lasted about 90 minutes."}]
    fake = scripted(
        FakeModel(), summary=bad, rewrite="The meeting at the Pentagon lasted about 95 minutes."
    )
    story = draft(settings, fake, max_revisions=2)
    assert len(fake.calls("Rewrite")) == 2  # one per round, bounded by max_revisions
    texts = [s.text for s in story.summary]
    assert "The meeting at the Pentagon lasted about 50 minutes." in texts
    assert not any("90" in t or "95" in t for t in texts)
    assert any(f.kind == "fallback" and f.section == "summary" for f in story.review.flags)
    assert story.fact_check.unsupported == story.fact_check.contradicted == 0


def test_no_revise_when_the_bound_is_zero(settings: Settings) -> None:
    bad = [
        {
            "citations": ["a2.s2"],
            "text": "The meeting lasted about 90 minutes, officials said at the Pentagon.",
        }
    ]
    fake = scripted(FakeModel(), summary=bad, rewrite="x")
    story = draft(settings, fake, max_revisions=0)
    assert fake.calls("Rewrite") == []
    assert all(c.verdict == "supported" for c in story.fact_check.claims)


def test_revised_claim_that_passes_is_kept(settings: Settings) -> None:
    bad = [{"citations": ["a2.s2"], "text": "The meeting at the Pentagon lasted about 90 minutes."}]
    fixed = "The Pentagon meeting lasted about 50 minutes."
    fake = scripted(FakeModel(), summary=bad, rewrite=fixed)
    story = draft(settings, fake, max_revisions=1)
    assert fixed in [s.text for s in story.summary]


def test_unsupported_party_is_removed_and_said(settings: Settings) -> None:
    fake = scripted(FakeModel())
    fake.respond(
        "ImpactDraft",
        lambda r: {
            "benefited": [
                {
                    "party": "Tesla shareholders",
                    "citations": ["a2.s1"],
                    "explanation": "Tesla shareholders gained from higher car sales in Europe.",
                }
            ],
            "impacted": [],
        },
    )
    story = draft(settings, fake, max_revisions=0)
    # The invented party never stands; the parties the evidence names do, each in its sentence.
    assert not any("Tesla" in p.party for p in story.who_benefited + story.who_impacted)
    assert any(f.kind == "removed" and "Tesla" in f.message for f in story.review.flags)
    assert any("manufacturers" in p.party for p in story.who_benefited)
    assert any("Okinawa" in p.party for p in story.who_impacted)
    for section in ("who_benefited", "who_impacted"):
        for index, party in enumerate(getattr(story, section)):
            claim = next(
                c for c in story.fact_check.claims if c.section == section and c.index == index
            )
            assert claim.verdict == "supported"
            assert any(party.party.split()[-1] in e.quote for e in claim.evidence)


def test_loaded_headline_without_support_falls_back(settings: Settings) -> None:
    fake = scripted(FakeModel(), title="Reckless Warmonger Koizumi Begs Trump")
    story = draft(settings, fake, max_revisions=0)
    # Composed from the facts the sources share, never one outlet's headline.
    assert story.title == ("The defence chiefs of Japan and the United States met in Washington")
    assert story.title not in {
        c.title for side in ("left", "center", "right") for c in getattr(story.coverage, side)
    }
    assert any(f.section == "title" and f.kind == "title" for f in story.review.flags)


def test_model_that_keeps_failing_falls_back_to_evidence(settings: Settings) -> None:
    fake = scripted(FakeModel())
    fake.respond("SummaryDraft", lambda r: "not json")
    fake.respond("Classification", lambda r: "{")
    story = draft(settings, fake)
    # The extractive summary stands in: every outlet's account, about an editor's length.
    assert len(story.summary) >= 5
    assert {c for s in story.summary for c in s.citations} >= {"a1", "a2", "a4", "a5"}
    assert 120 <= sum(len(s.text.split()) for s in story.summary) <= 220
    # The category comes from the evidence's words; the sentiment from the lexicon.
    assert story.category == "International" and story.sentiment in ("neutral", "positive")
    assert {f.section for f in story.review.flags if f.kind == "fallback"} >= {"summary", "title"}
    assert story.fact_check.unsupported == 0


def ferry_model(summary: list[dict[str, Any]], sentiment: str = "negative") -> FakeModel:
    """A model for the ferry example: the given summary, no timeline picks, no parties."""
    fake = FakeModel()
    fake.respond("SummaryDraft", lambda r: {"sentences": summary})
    fake.respond("TimelineDraft", lambda r: {"events": []})
    fake.respond("ImpactDraft", lambda r: {"benefited": [], "impacted": []})
    fake.respond(
        "Classification",
        lambda r: {
            "title": "Ferry capsizes in the Riverton estuary",
            "category": "International",
            "sentiment": sentiment,
        },
    )
    fake.respond("VerifyAnswer", lambda r: {"verdict": "supported"})
    return fake


def test_conflicting_sources_are_reported(settings: Settings) -> None:
    fake = ferry_model(
        [
            {
                "citations": ["f1.s1"],
                "text": "At least 12 people were killed when a passenger ferry capsized in the Riverton estuary on Friday, the regional coastguard said.",
            }
        ]
    )
    story = draft(settings, fake, name="riverton-ferry-conflict")
    abouts = [c.about for c in story.fact_check.conflicts]
    assert any(a.startswith("deaths: 12") and "9" in a for a in abouts), abouts
    assert any(a.startswith("duration in minutes") for a in abouts), abouts
    assert any(
        f.kind == "conflict" and f.section == "summary" and f.index == 0 for f in story.review.flags
    )
    assert story.blindspot is None
    assert (story.bias.left, story.bias.center, story.bias.right) == (1, 1, 1)
    # The 12-dead account is not cited to the article that says nine.
    for event in story.timeline:
        if "12 people" in event.event:
            assert "f2" not in event.citations


def test_a_disaster_is_never_positive(settings: Settings) -> None:
    fake = ferry_model([], sentiment="positive")
    story = draft(settings, fake, name="riverton-ferry-conflict")
    assert story.sentiment == "negative"
    assert story.category == "General"  # a ferry capsizing is not International or Politics


def test_mixed_cluster_is_refused_with_the_split(settings: Settings) -> None:
    fake = FakeModel()
    with pytest.raises(ClusterRefused) as caught:
        draft(settings, fake, name="mixed-events")
    assert sorted(map(sorted, caught.value.groups)) == [["m1", "m2"], ["m3", "m4"]]
    assert "split" in str(caught.value)
    assert fake.requests == []  # refused before any model call


@pytest.mark.parametrize(("verdicts", "asked"), [("on", True), ("off", False), ("auto", False)])
def test_model_verdicts_setting(settings: Settings, verdicts: str, asked: bool) -> None:
    loose = [
        {"citations": ["a2.s2"], "text": "Koizumi and Hegseth spoke for roughly fifty minutes."}
    ]
    fake = scripted(FakeModel(), summary=loose, verdict="supported", rewrite=loose[0]["text"])
    story = draft(settings, fake, model_verdicts=verdicts, max_revisions=0)
    assert bool(fake.calls("VerifyAnswer")) is asked
    texts = [s.text for s in story.summary]
    if asked:  # the model's verdict settles the loose paraphrase
        assert loose[0]["text"] in texts
    else:  # the rules alone cannot hold it to its evidence: its evidence stands in
        assert loose[0]["text"] not in texts
        assert "The meeting at the Pentagon lasted about 50 minutes." in texts


def test_flags_point_at_the_items_they_concern(settings: Settings) -> None:
    fake = ferry_model(
        [
            {
                "citations": ["f1.s1"],
                "text": "At least 20 people were killed when a ferry capsized on Friday, the coastguard said.",
            },
            {
                "citations": ["f3.s2"],
                "text": "The ferry, operated by Estuary Lines, was carrying 86 passengers.",
            },
        ]
    )
    fake.respond(
        "Rewrite", lambda r: {"text": "At least 20 people were killed when a ferry capsized."}
    )
    story = draft(settings, fake, name="riverton-ferry-conflict", max_revisions=1)
    assert_flags_point_at_items(story)
    kinds = {(f.kind, f.section) for f in story.review.flags if f.index is not None}
    assert ("fallback", "summary") in kinds  # the 20-dead sentence fell back, flagged in place
    assert ("conflict", "summary") in kinds
    # Every side's outlet is cited somewhere in the summary.
    assert {c for s in story.summary for c in s.citations} == {"f1", "f2", "f3"}


def test_neither_a_source_headline_nor_a_loaded_one_stands(settings: Settings) -> None:
    source_headline = (
        "Japan defense chief Koizumi joins US counterpart Hegseth for early-morning training"
    )
    story = draft(settings, scripted(FakeModel(), title=source_headline), max_revisions=0)
    # One outlet's own headline speaks for that outlet: a composed one stands instead.
    assert story.title != source_headline
    claim = next(c for c in story.fact_check.claims if c.section == "title")
    assert claim.verdict == "supported"
    loaded = draft(
        settings,
        scripted(FakeModel(), title="Koizumi slams reckless China at Pentagon"),
        max_revisions=0,
    )
    assert "reckless" not in loaded.title.lower()
    assert loaded.title == "The defence chiefs of Japan and the United States met in Washington"
    assert all(c.verdict == "supported" for c in loaded.fact_check.claims)
