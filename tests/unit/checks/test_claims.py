"""Settling: nothing unsupported reaches the editor unmarked, even if the fallback fails."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import pytest

from agent.checks import claims
from agent.checks.claims import Target
from agent.checks.factcheck import ClaimResult
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


# --- The fallback itself: what it puts in place of each failing claim -------------------------
# Fed typed drafts and checked results directly (not through settle, whose safety net would
# remove whatever a broken fallback leaves), for the riverton-ferry-conflict example's evidence.


def _riverton() -> Any:
    return build_evidence(parse_cluster(example("riverton-ferry-conflict")), 100_000)


def _texts(evidence: Any) -> dict[str, str]:
    return {s.id: s.text for a in evidence.originals() for s in a.sentences}


def _fails(note: str = "the figure differs", verdict: Any = "contradicted") -> ClaimResult:
    return ClaimResult(verdict, [note], [])


def _passes(evidence: list[Any] | None = None, recited: bool = False) -> ClaimResult:
    return ClaimResult("supported", [], evidence or [], recited=recited)


def _stands_in(reason: str) -> list[dict[str, str]]:
    return [
        {
            "kind": "fallback",
            "message": f"the drafted text was {reason}; its evidence sentence stands in, verbatim",
        }
    ]


def test_a_failing_sentence_is_replaced_by_the_cited_sentence_sharing_most_of_its_words() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    drafted = "Rescue boats reached the ferry after about 20 minutes."
    # f2.s3 is cited first but shares fewer words; an unknown id is skipped.
    item = {"text": drafted, "citations": ["f9.s9", "f2.s3", "f1.s3"]}
    drafts: Any = {"summary": [item]}
    before = copy.deepcopy(drafts)
    checked = [(Target("summary", 0, drafted, item["citations"]), _fails())]
    fixes, flags = claims.fallback(drafts, checked, evidence)
    assert fixes["summary"] == [
        {
            "text": text["f1.s3"],
            "citations": ["f1.s3"],
            "notes": _stands_in("contradicted: the figure differs"),
        }
    ]
    assert flags == []
    assert drafts == before  # the state's own drafts are not touched


def test_a_failing_sentence_without_known_citations_takes_the_closest_sentence_of_all() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    drafted = "The national transport safety board opened an investigation on Sunday."
    for citations in ([], ["f9.s1"]):
        item = {"text": drafted, "citations": citations}
        checked = [(Target("summary", 0, drafted, citations), _fails("wrong day", "unsupported"))]
        fixes, flags = claims.fallback({"summary": [item]}, checked, evidence)
        assert fixes["summary"] == [
            {
                "text": text["f3.s4"],
                "citations": ["f3.s4"],
                "notes": _stands_in("unsupported: wrong day"),
            }
        ]
        assert flags == []
    # Uncited, it takes the one sentence that matches it best (f3.s2 has its content words;
    # f2.s5 shares more small words such as "said" and "it", and does not stand in).
    drafted = (
        "Estuary Lines said the ferry was cooperating when the coastguard said it was carrying "
        "passengers from the harbour"
    )
    checked = [(Target("summary", 0, drafted, []), _fails())]
    fixes, _ = claims.fallback({"summary": [{"text": drafted, "citations": []}]}, checked, evidence)
    assert [(i["text"], i["citations"]) for i in fixes["summary"]] == [(text["f3.s2"], ["f3.s2"])]


def test_a_fallback_adds_its_note_to_the_notes_an_item_already_carries() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    merged = {"kind": "merged", "message": "stated once with both sources"}
    item = {"text": "Rescuers needed 20 minutes.", "citations": ["f1.s3"], "notes": [merged]}
    drafts: Any = {"summary": [item]}
    checked = [(Target("summary", 0, item["text"], ["f1.s3"]), _fails())]
    fixes, _ = claims.fallback(drafts, checked, evidence)
    assert fixes["summary"][0]["text"] == text["f1.s3"]
    assert fixes["summary"][0]["notes"] == [merged, *_stands_in("contradicted: the figure differs")]
    assert drafts["summary"][0]["notes"] == [merged]


def test_a_sentence_whose_evidence_is_already_in_the_story_is_removed_not_repeated() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    # Item 0 falls back to f1.s3; item 1 would fall back to the same sentence; item 2 states
    # f1.s5 already (other case and spacing), so item 3, citing it, has nothing new to say.
    summary = [
        {"text": "Rescue boats reached the ferry after 20 minutes.", "citations": ["f1.s3"]},
        {"text": "Rescue boats arrived after about 20 minutes.", "citations": ["f1.s3"]},
        {"text": "  " + text["f1.s5"].upper(), "citations": ["f1.s5"]},
        {"text": "The ferry operator refused to cooperate.", "citations": ["f1.s5"]},
    ]
    checked = [
        (Target("summary", 0, summary[0]["text"], ["f1.s3"]), _fails()),
        (Target("summary", 1, summary[1]["text"], ["f1.s3"]), _fails()),
        (Target("summary", 2, summary[2]["text"], ["f1.s5"]), _passes()),
        (Target("summary", 3, summary[3]["text"], ["f1.s5"]), _fails("reverses it")),
    ]
    fixes, flags = claims.fallback({"summary": summary}, checked, evidence)
    assert [(i["text"], i["citations"]) for i in fixes["summary"]] == [
        (text["f1.s3"], ["f1.s3"]),
        ("  " + text["f1.s5"].upper(), ["f1.s5"]),
    ]
    assert flags == [
        {
            "kind": "removed",
            "section": "summary",
            "index": None,
            "message": f"removed {summary[1]['text']!r}: contradicted: the figure differs "
            "(its evidence is already in the story)",
        },
        {
            "kind": "removed",
            "section": "summary",
            "index": None,
            "message": f"removed {summary[3]['text']!r}: contradicted: reverses it "
            "(its evidence is already in the story)",
        },
    ]


def test_of_two_failing_copies_of_one_sentence_the_story_keeps_one() -> None:
    """A removed item does not count as already saying its evidence."""
    evidence = _riverton()
    text = _texts(evidence)
    summary = [
        {"text": text["f1.s3"], "citations": ["f1.s3"]},
        {"text": text["f1.s3"], "citations": ["f1.s3"]},
    ]
    checked = [
        (Target("summary", n, text["f1.s3"], ["f1.s3"]), _fails("the model disagrees"))
        for n in (0, 1)
    ]
    fixes, flags = claims.fallback({"summary": summary}, checked, evidence)
    assert fixes["summary"] == [
        {
            "text": text["f1.s3"],
            "citations": ["f1.s3"],
            "notes": _stands_in("contradicted: the model disagrees"),
        }
    ]
    assert [f["kind"] for f in flags] == ["removed"]
    assert flags[0]["message"].endswith("(its evidence is already in the story)")


def test_of_two_failing_copies_of_one_event_the_timeline_keeps_one() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    event = {"date": "2026-03-09", "precision": "day", "event": text["f3.s4"], "citations": []}
    checked = [
        (Target("timeline", n, text["f3.s4"], [], date="2026-03-09"), _fails("the model disagrees"))
        for n in (0, 1)
    ]
    fixes, flags = claims.fallback({"timeline": [dict(event), dict(event)]}, checked, evidence)
    assert fixes["timeline"] == [
        {**event, "citations": ["f3.s4"], "notes": _stands_in("contradicted: the model disagrees")}
    ]
    assert [(f["kind"], f["section"]) for f in flags] == [("removed", "timeline")]
    assert flags[0]["message"].endswith("(its evidence is already in the story)")


def test_a_failing_event_is_replaced_only_by_a_sentence_giving_its_date() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    # f1.s3 shares more words, but only f1.s1 dates the capsizing to Friday 6 March.
    drafted = "Rescue boats reached the capsized ferry after about 20 minutes."
    event = {
        "date": "2026-03-06",
        "precision": "day",
        "event": drafted,
        "citations": ["f1.s3", "f1.s1"],
    }
    checked = [(Target("timeline", 0, drafted, event["citations"], date="2026-03-06"), _fails())]
    fixes, flags = claims.fallback({"timeline": [event]}, checked, evidence)
    assert fixes["timeline"] == [
        {
            "date": "2026-03-06",
            "precision": "day",
            "event": text["f1.s1"],
            "citations": ["f1.s1"],
            "notes": _stands_in("contradicted: the figure differs"),
        }
    ]
    assert flags == []


def test_a_failing_event_no_sentence_dates_is_removed_and_flagged() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    kept = {
        "date": "2026-03-09",
        "precision": "day",
        "event": text["f3.s4"],
        "citations": ["f3.s4"],
    }
    # The investigation opens on Monday 9 March; no sentence dates anything to the 10th.
    drafted = "The safety board opened an investigation."
    wrong = {"date": "2026-03-10", "precision": "day", "event": drafted, "citations": ["f3.s4"]}
    # An event after it still falls back (to the sentence dating the capsizing).
    later = {
        "date": "2026-03-06",
        "precision": "day",
        "event": "The ferry sank.",
        "citations": ["f2.s2", "f1.s1"],
    }
    checked = [
        (Target("timeline", 0, drafted, ["f3.s4"], date="2026-03-10"), _fails("no such date")),
        (Target("timeline", 1, kept["event"], ["f3.s4"], date="2026-03-09"), _passes()),
        (Target("timeline", 2, "The ferry sank.", later["citations"], date="2026-03-06"), _fails()),
    ]
    fixes, flags = claims.fallback({"timeline": [wrong, kept, later]}, checked, evidence)
    assert fixes["timeline"][0] == kept
    assert [(e["date"], e["event"], e["citations"]) for e in fixes["timeline"][1:]] == [
        ("2026-03-06", text["f1.s1"], ["f1.s1"])
    ]
    assert flags == [
        {
            "kind": "removed",
            "section": "timeline",
            "index": None,
            "message": f"removed {drafted!r}: contradicted: no such date",
        }
    ]


def test_a_failing_event_whose_dated_sentence_is_already_an_event_is_removed() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    first = {"date": "2026-03-09", "precision": "day", "event": text["f3.s4"], "citations": []}
    drafted = "The safety board will investigate the sinking."
    second = {"date": "2026-03-09", "precision": "day", "event": drafted, "citations": []}
    checked = [
        (Target("timeline", 0, first["event"], [], date="2026-03-09"), _passes()),
        (Target("timeline", 1, drafted, [], date="2026-03-09"), _fails("vague")),
    ]
    fixes, flags = claims.fallback({"timeline": [first, second]}, checked, evidence)
    assert fixes["timeline"] == [first]
    assert flags == [
        {
            "kind": "removed",
            "section": "timeline",
            "index": None,
            "message": f"removed {drafted!r}: contradicted: vague "
            "(its evidence is already in the story)",
        }
    ]


def _party_target(section: Any, index: int, party: dict[str, Any]) -> Target:
    return Target(
        section,
        index,
        f"{party['party']}: {party['explanation']}",
        party["citations"],
        party=party["party"],
        explanation=party["explanation"],
    )


def test_a_failing_party_is_explained_by_the_first_cited_sentence_that_names_it() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    # f1.s2 does not name Estuary Lines; f2.s5 and f1.s5 do: the first of them, in citing order.
    party = {
        "party": "Estuary Lines",
        "explanation": "The operator lost its licence.",
        "citations": ["f9.s9", "f1.s2", "f2.s5", "f1.s5"],
    }
    fixes, flags = claims.fallback(
        {"who_impacted": [party]},
        [(_party_target("who_impacted", 0, party), _fails("not in the evidence", "unsupported"))],
        evidence,
    )
    assert fixes["who_impacted"] == [
        {
            "party": "Estuary Lines",
            "explanation": text["f2.s5"],
            "citations": ["f2.s5"],
            "notes": _stands_in("unsupported: not in the evidence"),
        }
    ]
    assert fixes["who_benefited"] == []
    assert flags == []


def test_a_failing_party_no_cited_sentence_names_is_removed_and_flagged() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    kept = {"party": "Mayor Helen Brandt", "explanation": text["f2.s4"], "citations": ["f2.s4"]}
    gone = {
        "party": "Harbour pilots",
        "explanation": "Harbour pilots gained new contracts.",
        "citations": ["f1.s2", "f9.s9"],  # f1.s2 says "harbour" but not "pilots"
    }
    other = {"party": "Estuary Lines", "explanation": "It was sued.", "citations": []}
    drafts: Any = {"who_benefited": [gone, kept], "who_impacted": [other]}
    checked = [
        (_party_target("who_benefited", 0, gone), _fails("no evidence", "unsupported")),
        (_party_target("who_benefited", 1, kept), _passes()),
        (_party_target("who_impacted", 0, other), _fails("no evidence", "unsupported")),
    ]
    fixes, flags = claims.fallback(drafts, checked, evidence)
    assert fixes["who_benefited"] == [kept]
    assert fixes["who_impacted"] == []
    assert flags == [
        {
            "kind": "removed",
            "section": "who_benefited",
            "index": None,
            "message": "removed 'Harbour pilots: Harbour pilots gained new contracts.': "
            "unsupported: no evidence",
        },
        {
            "kind": "removed",
            "section": "who_impacted",
            "index": None,
            "message": "removed 'Estuary Lines: It was sued.': unsupported: no evidence",
        },
    ]


def test_a_removal_flag_quotes_the_claim_on_one_line_clipped_to_120_characters() -> None:
    evidence = _riverton()
    long = "Harbour   pilots\n" + "x" * 200
    party = {"party": "Harbour pilots", "explanation": long, "citations": []}
    _, flags = claims.fallback(
        {"who_benefited": [party]},
        [(_party_target("who_benefited", 0, party), _fails("no evidence", "unsupported"))],
        evidence,
    )
    one_line = "Harbour pilots: Harbour pilots " + "x" * 200
    assert flags[0]["message"] == f"removed {one_line[:119] + '…'!r}: unsupported: no evidence"


def test_a_failing_headline_gives_way_to_the_fallback_headline_and_keeps_its_labels() -> None:
    evidence = _riverton()
    drafted = "Ferry tragedy shocks the nation"
    classification = {"title": drafted, "category": "General", "sentiment": "negative"}
    text = _texts(evidence)
    wrong = {"text": "Rescue boats reached the ferry after 20 minutes.", "citations": ["f1.s3"]}
    drafts: Any = {"classification": classification, "summary": [wrong]}
    checked = [
        (Target("title", 0, drafted), _fails("loaded", "unsupported")),
        (Target("summary", 0, wrong["text"], ["f1.s3"]), _fails()),  # still falls back after
    ]
    fixes, flags = claims.fallback(drafts, checked, evidence)
    assert [(i["text"], i["citations"]) for i in fixes["summary"]] == [(text["f1.s3"], ["f1.s3"])]
    assert claims.fallback_title(evidence) == "A passenger ferry capsized in the Riverton estuary"
    assert fixes["classification"] == {
        "title": "A passenger ferry capsized in the Riverton estuary",
        "category": "General",
        "sentiment": "negative",
    }
    assert classification["title"] == drafted
    assert flags == [
        {
            "kind": "fallback",
            "section": "title",
            "index": None,
            "message": f"headline {drafted!r} was unsupported: loaded; a headline composed from "
            "the shared facts (else a neutral source headline) stands in",
        }
    ]


def test_what_passes_stays_and_a_recited_pass_cites_the_sentences_that_bear_it_out() -> None:
    evidence = _riverton()
    text = _texts(evidence)
    src = claims.sources_of(evidence)
    headline = {
        "title": "Ferry capsizes in Riverton estuary",
        "category": "General",
        "sentiment": "negative",
    }
    summary = [
        {"text": text["f1.s1"], "citations": ["f2.s1"]},
        {"text": text["f3.s3"], "citations": ["f1.s1"]},
    ]
    drafts: Any = {"classification": headline, "summary": summary}
    before = copy.deepcopy(drafts)
    checked = [
        (Target("title", 0, headline["title"]), _passes([src["f3.s1"]], recited=True)),
        # Recited: the check found the claim in other sentences than it cites; it cites them.
        (
            Target("summary", 0, text["f1.s1"], ["f2.s1"]),
            _passes([src["f1.s1"], src["f3.s3"]], recited=True),
        ),
        # Not recited: the citations stay as drafted.
        (Target("summary", 1, text["f3.s3"], ["f1.s1"]), _passes([src["f3.s3"]])),
    ]
    fixes, flags = claims.fallback(drafts, checked, evidence)
    assert "classification" not in fixes
    assert fixes == {
        "summary": [
            {"text": text["f1.s1"], "citations": ["f1.s1", "f3.s3"]},
            {"text": text["f3.s3"], "citations": ["f1.s1"]},
        ],
        "timeline": [],
        "who_benefited": [],
        "who_impacted": [],
    }
    assert flags == []
    assert drafts == before


def test_the_fallback_returns_every_section_and_only_the_sections() -> None:
    evidence = _riverton()
    fixes, flags = claims.fallback({}, [], evidence)
    assert fixes == {"summary": [], "timeline": [], "who_benefited": [], "who_impacted": []}
    assert flags == []


def test_settle_returns_every_section_as_settled_and_the_fallback_headline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A headline that still fails after its fallback stays (a story needs one), flagged once as
    a fallback, never removed; every section comes back as settled, the fact-check as JSON."""
    evidence = _riverton()
    text = _texts(evidence)
    loaded = "Ferry tragedy shocks the nation"
    monkeypatch.setattr(claims, "fallback_title", lambda evidence: loaded)
    event = {
        "date": "2026-03-09",
        "precision": "day",
        "event": text["f3.s4"],
        "citations": ["f3.s4"],
    }
    mayor = {"party": "Mayor Helen Brandt", "explanation": text["f2.s4"], "citations": ["f2.s4"]}
    operator = {
        "party": "Estuary Lines",
        "explanation": "The operator lost its licence.",
        "citations": ["f1.s5"],
    }
    state: Any = {
        "classification": {"title": loaded, "category": "General", "sentiment": "negative"},
        "summary": [{"text": text["f1.s2"], "citations": ["f1.s2"]}],
        "timeline": [event],
        "who_benefited": [mayor],
        "who_impacted": [operator],
    }
    update = claims.settle(state, evidence, verifier=None)
    assert update["classification"] == state["classification"]
    assert update["summary"] == state["summary"]
    assert update["timeline"] == [event]
    assert update["who_benefited"] == [mayor]
    (impacted,) = update["who_impacted"]
    assert (impacted["party"], impacted["explanation"], impacted["citations"]) == (
        "Estuary Lines",
        text["f1.s5"],
        ["f1.s5"],
    )
    assert [n["kind"] for n in impacted["notes"]] == ["fallback"]
    assert update["section_notes"] == {}
    title_flags = [f for f in update["flags"] if f["section"] == "title"]
    assert [f["kind"] for f in title_flags] == ["fallback"]
    assert not any(f["kind"] == "removed" for f in update["flags"])
    title_claim = update["fact_check"]["claims"][0]
    assert (title_claim["section"], title_claim["verdict"]) == ("title", "unsupported")
    assert json.loads(json.dumps(update["fact_check"])) == update["fact_check"]


def test_a_verdict_the_model_gave_is_not_remembered_for_the_next_check() -> None:
    """Only a rules-only verdict is a function of claim and evidence; the model is asked again."""
    evidence = _koizumi()
    state: Any = {"summary": [{"text": LOOSE, "citations": ["a2.s2"]}]}
    asked: list[str] = []

    def judge(verdict: Any) -> Any:
        def verifier(claim: str, cited: list[Any]) -> tuple[Any, str]:
            asked.append(verdict)
            return verdict, f"the model says {verdict}"

        return verifier

    (first,), _ = claims.run_checks(state, evidence, judge("supported"))
    (second,), _ = claims.run_checks(state, evidence, judge("contradicted"))
    assert (first[1].verdict, second[1].verdict) == ("supported", "contradicted")
    assert asked == ["supported", "contradicted"]


@pytest.mark.parametrize(
    ("outlet", "claim", "cited"),
    [
        ("Fox News", "Fox News said nine people died when a ferry capsized on Friday.", "f2.s1"),
        ("Reuters", "Reuters said a passenger ferry capsized in the Riverton estuary.", "f3.s1"),
    ],
)
def test_an_outlet_a_claim_attributes_to_is_a_known_name(
    outlet: str, claim: str, cited: str
) -> None:
    """Every source's outlet counts as named, the first and last of the cluster's too."""
    evidence = _riverton()
    assert outlet not in _texts(evidence)[cited]
    (checked,), _ = claims.run_checks(
        {"summary": [{"text": claim, "citations": [cited]}]}, evidence, verifier=None
    )
    assert (checked[1].verdict, checked[1].note) == ("supported", "")
