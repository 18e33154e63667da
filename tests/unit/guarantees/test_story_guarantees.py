"""The story's guarantees, against a scripted model that misbehaves on purpose.

Each test feeds the graph what a weak or hostile model could return (a citation to an id that
does not exist, a party its evidence never names) or a cluster that stresses a count (unrated
articles), and checks the guarantee README.md and DESIGN.md state, not how a node keeps it.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from agent.cli import main
from agent.llm.fake import FakeModel
from agent.schemas import Cluster, Story, parse_cluster
from agent.settings import Settings
from tests.helpers import EXAMPLES, example, make_agent, scripted

REAL = "Japanese Defense Minister Shinjiro Koizumi and U.S. Defense Secretary Pete Hegseth agreed on Thursday to boost the deterrence and response capabilities of the two countries' alliance."


def _items(story: Story) -> list[Any]:
    return [*story.summary, *story.timeline, *story.who_benefited, *story.who_impacted]


def _cited(story: Story) -> set[str]:
    return {c for item in _items(story) for c in item.citations}


def _draft(settings: Settings, fake: FakeModel, cluster: Cluster | None = None) -> Story:
    return make_agent(settings, fake, max_revisions=0).draft(
        cluster or parse_cluster(example("koizumi-hegseth"))
    )


def test_a_citation_to_a_missing_id_never_reaches_the_story(settings: Settings) -> None:
    # A model that is not held to the real ids cites `zz9` (no such article) beside real prose.
    summary = [
        {"citations": ["zz9"], "text": REAL},
        {"citations": ["zz9"], "text": "The meeting at the Pentagon lasted about 50 minutes."},
        {
            "citations": ["a4.s1", "zz9"],
            "text": "Koizumi also met Vice President JD Vance at the White House on Thursday, Japan's Defence Ministry said.",
        },
    ]
    story = _draft(settings, scripted(FakeModel(), summary=summary))
    ids = {a.id for a in parse_cluster(example("koizumi-hegseth")).articles}
    assert "zz9" not in _cited(story)
    assert _cited(story) <= ids
    assert story.summary and all(item.citations for item in story.summary)


_REAL_IDS = ["a1.s1", "a1.s2", "a2.s1", "a2.s2", "a4.s1", "a5.s1", "a5.s4"]
_BOGUS_IDS = ["zz9", "a9.s1", "a1.s99", "a3.s1", "", "a1"]


@hsettings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(_REAL_IDS + _BOGUS_IDS), min_size=1, max_size=3),
            st.sampled_from(
                [
                    REAL,
                    "The meeting at the Pentagon lasted about 50 minutes.",
                    "The meeting at the Pentagon lasted about 90 minutes.",
                    "Officials in Tokyo said nothing at all about the talks.",
                ]
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_every_citation_in_any_story_is_an_id_of_its_cluster(
    settings: Settings, drafted: list[tuple[list[str], str]]
) -> None:
    summary = [{"citations": cites, "text": text} for cites, text in drafted]
    story = _draft(settings, scripted(FakeModel(), summary=summary))
    cluster_ids = {a.id for a in parse_cluster(example("koizumi-hegseth")).articles}
    assert _cited(story) <= cluster_ids
    for item in _items(story):
        assert item.citations, item
    for claim in story.fact_check.claims:
        assert {e.article_id for e in claim.evidence} <= cluster_ids


def test_unrated_articles_stay_out_of_the_shares(settings: Settings) -> None:
    data = example("koizumi-hegseth")
    # a4 (BERNAMA) from an unrated outlet, a5 from a mixed one: counted, but in no share.
    data["articles"][3]["lean"] = "unrated"
    data["articles"][4]["lean"] = "mixed"
    story = _draft(settings, scripted(FakeModel()), parse_cluster(data))
    bias = story.bias
    assert (bias.left, bias.center, bias.right, bias.unrated) == (1, 1, 0, 2)
    assert bias.articles == 4  # a3 is a copy of a2: once
    shares = bias.distribution.model_dump()
    assert shares == {"left": 50.0, "center": 50.0, "right": 0.0}
    assert abs(sum(shares.values()) - 100.0) < 0.2


def test_a_party_its_evidence_does_not_name_is_removed(settings: Settings) -> None:
    fake = scripted(FakeModel())
    # The explanation is a verbatim evidence sentence, so its words are supported; the party is
    # named nowhere in it.
    fake.respond(
        "ImpactDraft",
        lambda r: {
            "benefited": [
                {
                    "party": "Fishermen",
                    "citations": ["a2.s2"],
                    "explanation": "The meeting at the Pentagon lasted about 50 minutes.",
                }
            ],
            "impacted": [],
        },
    )
    story = _draft(settings, fake)
    assert all("Fishermen" not in p.party for p in story.who_benefited)
    assert any(f.kind == "removed" and "Fishermen" in f.message for f in story.review.flags)


def test_story_and_cluster_show_agree_on_the_blindspot(
    settings: Settings, data_dir: Path, tmp_path: Path
) -> None:
    # The shipped example is 1 left, 3 center, 0 right: the right barely covered it.
    story = _draft(settings, scripted(FakeModel()))
    assert story.blindspot == "right"
    assert main(["ingest", str(EXAMPLES / "koizumi-hegseth.json")]) == 0
    # A 5-article store is too small for the term weighting to hold the later Adnkronos piece
    # at the default threshold (tuned on the AllSides stream); the story is one event.
    assert main(["cluster", "--quiet", "--threshold", "0.05"]) == 0
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["clusters", "--json"]) == 0
    clusters = json.loads(out.getvalue())
    biggest = max(clusters, key=lambda c: len(c["articles"]))
    assert len(biggest["articles"]) == 5, clusters
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["cluster", "show", biggest["id"], "--json"]) == 0
    shown = json.loads(out.getvalue())
    assert shown["blindspot"]["articles"] == {"left": 1, "center": 3, "right": 0}
    assert shown["blindspot"]["side"] == story.blindspot
