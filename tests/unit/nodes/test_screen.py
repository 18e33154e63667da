"""screen: numbering, syndicated copies, the one-event check and the evidence budget."""

from __future__ import annotations

import json
import random

import pytest

from agent.errors import ClusterRefused
from agent.nodes.retrieve import fill_leans
from agent.nodes.screen import build_evidence, estimate_tokens, event_groups
from agent.schemas import Article, parse_cluster
from agent.store.sources import SourceRegistry
from tests.helpers import EVALDATA, example

ALLSIDES = EVALDATA / "allsides" / "roundups_dev.jsonl"


def test_sentences_are_numbered_per_article() -> None:
    evidence = build_evidence(parse_cluster(example("koizumi-hegseth")), 10_000)
    a1 = evidence.article("a1")
    assert [s.id for s in a1.sentences][:3] == ["a1.s1", "a1.s2", "a1.s3"]
    assert all(s.text in example("koizumi-hegseth")["articles"][0]["text"] for s in a1.sentences)


def test_syndicated_copy_is_kept_but_not_evidence() -> None:
    evidence = build_evidence(parse_cluster(example("koizumi-hegseth")), 10_000)
    copy = evidence.article("a3")
    assert copy.duplicate_of == "a2" and copy.sentences == []
    assert [a.id for a in evidence.originals()] == ["a1", "a2", "a4", "a5"]


def test_budget_keeps_every_lead_and_stays_within_it() -> None:
    cluster = parse_cluster(example("koizumi-hegseth"))
    evidence = build_evidence(cluster, 300)
    index = evidence.sentence_index()
    assert evidence.used_tokens <= 300
    assert {"a1.s1", "a2.s1", "a4.s1", "a5.s1"} <= set(evidence.selected)
    assert evidence.dropped_sentences > 0
    assert (
        sum(estimate_tokens(index[s][1].text) + 4 for s in evidence.selected)
        == evidence.used_tokens
    )
    roomy = build_evidence(cluster, 10_000)
    assert roomy.dropped_sentences == 0


def test_leans_come_from_the_registry_when_missing() -> None:
    cluster = fill_leans(parse_cluster(example("koizumi-hegseth")), SourceRegistry.default())
    leans = {a.id: a.lean for a in cluster.articles}
    assert leans["a2"] == "center" and leans["a4"] == "center" and leans["a5"] == "center"


def test_mixed_events_are_refused_with_groups() -> None:
    with pytest.raises(ClusterRefused) as caught:
        build_evidence(parse_cluster(example("mixed-events")), 2000)
    assert sorted(map(sorted, caught.value.groups)) == [["m1", "m2"], ["m3", "m4"]]
    assert "m1, m2 (about:" in str(caught.value)


@pytest.mark.skipif(not ALLSIDES.exists(), reason=f"AllSides dev data not at {ALLSIDES}")
def test_one_event_check_on_allsides_roundups() -> None:
    """Real clusters pass; a foreign article slipped into one is caught (rates from the dev set)."""
    clusters = []
    for line in ALLSIDES.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["articles"]:
            clusters.append(
                [
                    Article(
                        id=f"r{row['id']}a{i}",
                        outlet=a["outlet"],
                        title=a["title"],
                        url=a["url"],
                        published_at=row["date"],
                        text=a["text_excerpt"] or a["title"],
                    )
                    for i, a in enumerate(row["articles"])
                ]
            )
    refused = sum(len(event_groups(c)) > 1 for c in clusters)
    rng = random.Random(1)
    caught = sum(
        len(event_groups(a + b[:1])) > 1 for a, b in (rng.sample(clusters, 2) for _ in range(200))
    )
    assert refused <= 0.03 * len(clusters)
    assert caught >= 0.9 * 200


def test_a_budget_that_holds_no_sentence_is_a_clear_error() -> None:
    from agent.errors import ConfigError

    with pytest.raises(ConfigError, match="STORYDESK_N_CTX"):
        build_evidence(parse_cluster(example("koizumi-hegseth")), 10)


def test_the_one_event_check_can_be_turned_off_for_long_topics() -> None:
    evidence = build_evidence(parse_cluster(example("mixed-events")), 2000, one_event=False)
    assert {a.id for a in evidence.originals()} == {"m1", "m2", "m3", "m4"}
