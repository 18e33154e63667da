"""Test doubles for the eval suite: tiny clusters, hand-built stories, a fake agent and checker.

Nothing here reaches a model: the fake agent builds a story from the cluster deterministically.
(A uniquely named module, not conftest, so test files can import it unambiguously.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.errors import ModelOutputError
from agent.schemas import (
    Bias,
    Claim,
    Cluster,
    Coverage,
    CoverageItem,
    Distribution,
    Evidence,
    FactCheck,
    Provenance,
    Review,
    Story,
    SummarySentence,
    TimelineEvent,
    Tokens,
    side_of,
)

NOW = datetime(2026, 1, 16, 12, 0, tzinfo=UTC)


def make_cluster(
    cluster_id: str = "c1", leans: tuple[str | None, ...] = ("left", "center", "right")
) -> Cluster:
    articles = [
        {
            "id": f"a{i}",
            "outlet": f"Outlet {i}",
            "title": f"Title {i}",
            "url": f"https://example.org/{i}",
            "published_at": "2026-01-15T09:00:00+00:00",
            "text": f"The council approved the budget on Thursday. Article {i} adds a detail.",
            "lean": lean,
        }
        for i, lean in enumerate(leans, start=1)
    ]
    return Cluster.model_validate({"id": cluster_id, "articles": articles})


def make_story(
    cluster: Cluster,
    *,
    summary: list[tuple[str, list[str]]] | None = None,
    timeline: list[tuple[str, str, list[str]]] | None = None,
    verdicts: tuple[int, int, int] = (2, 0, 0),
    evidence: list[tuple[str, str]] | None = None,
    tokens: tuple[int, int] = (100, 20),
) -> Story:
    """A valid Story over the cluster with the given sections."""
    ids = [a.id for a in cluster.articles]
    summary = summary if summary is not None else [("The council approved the budget.", ids[:1])]
    timeline = timeline or []
    if evidence is None:
        evidence = [(ids[0], "The council approved the budget on Thursday.")]
    supported, unsupported, contradicted = verdicts
    claims = []
    for n, verdict in enumerate(
        ["supported"] * supported + ["unsupported"] * unsupported + ["contradicted"] * contradicted
    ):
        claims.append(
            Claim(
                claim=f"claim {n}",
                section="summary",
                index=0,
                verdict=verdict,  # type: ignore[arg-type]
                evidence=[Evidence(article_id=a, quote=q) for a, q in evidence] if n == 0 else [],
            )
        )
    coverage: dict[str, list[CoverageItem]] = {"left": [], "center": [], "right": [], "unrated": []}
    for a in cluster.articles:
        side = side_of(a.lean) or "unrated"
        coverage[side].append(CoverageItem(article_id=a.id, outlet=a.outlet, title=a.title))
    return Story(
        id=f"s-{cluster.id}",
        cluster_id=cluster.id,
        revision=1,
        title="A neutral title",
        category="Politics",
        sentiment="neutral",
        summary=[SummarySentence(text=t, citations=c) for t, c in summary],
        timeline=[
            TimelineEvent(
                date=d,
                precision={4: "year", 7: "month", 10: "day"}[len(d)],  # type: ignore[arg-type]
                event=e,
                citations=c,
            )
            for d, e, c in timeline
        ],
        who_benefited=[],
        who_impacted=[],
        bias=Bias(
            sources=len(ids),
            articles=len(ids),
            left=len(coverage["left"]),
            center=len(coverage["center"]),
            right=len(coverage["right"]),
            unrated=len(coverage["unrated"]),
            distribution=Distribution(left=0, center=0, right=0),
        ),
        coverage=Coverage(**coverage),
        fact_check=FactCheck(
            claims=claims, supported=supported, unsupported=unsupported, contradicted=contradicted
        ),
        review=Review(status="needs_review"),
        provenance=Provenance(
            backend="fake",
            model="fake-model",
            prompts={"summary": "1+abc"},
            article_ids=ids,
            tokens=Tokens(prompt=tokens[0], completion=tokens[1]),
            seconds=0.01,
            created_at=NOW,
        ),
    )


class FakeAgent:
    """Drafts a story citing the first article, with optional failures by cluster id."""

    def __init__(
        self,
        *,
        fail: dict[str, Exception] | None = None,
        build: Callable[[Cluster], Story] | None = None,
    ) -> None:
        self.fail = fail or {}
        self.build = build or make_story
        self.drafted: list[str] = []

    def draft(self, cluster: Cluster) -> Story:
        self.drafted.append(cluster.id)
        if cluster.id in self.fail:
            raise self.fail[cluster.id]
        return self.build(cluster)


class FakeChecker:
    """Calls a summary inconsistent when it contains a marker word."""

    def __init__(self, marker: str = "not", fail_on: str | None = None) -> None:
        self.marker = marker
        self.fail_on = fail_on
        self.calls = 0

    def check(self, document: str, summary: str) -> FactCheck:
        self.calls += 1
        if self.fail_on and self.fail_on in summary:
            raise ModelOutputError("the model kept returning invalid output")
        bad = self.marker in summary.split()
        return FactCheck(supported=0 if bad else 1, unsupported=1 if bad else 0)

    def features(self, document: str, summary: str) -> dict[str, int]:
        return {"negation": int(self.marker in summary.split())}

    def tokens_used(self) -> int:
        return self.calls * 10


def allsides_row(row_id: int, n_articles: int = 3, **extra: Any) -> dict[str, Any]:
    stances = ["lean left", "center", "right"]
    sides = ["left", "center", "right"]
    return {
        "id": row_id,
        "issue": f"Issue {row_id}",
        "topic": "Politics",
        "date": "2021-10-18T11:00:00-07:00",
        "allsides_link": f"https://www.allsides.com/story/{row_id}",
        "reference_neutral_summary": "The council approved the budget on Thursday after a debate.",
        "articles": [
            {
                "allsides_side": sides[i % 3],
                "stance_specific": stances[i % 3],
                "outlet": f"Outlet {i}",
                "title": f"Title {i}",
                "url": f"https://example.org/{row_id}/{i}",
                "text_excerpt": f"The council approved the budget on Thursday. Excerpt {i}...",
                "opinion_tag": None,
            }
            for i in range(n_articles)
        ],
        **extra,
    }


def write_allsides(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path
