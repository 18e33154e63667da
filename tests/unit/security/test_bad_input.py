"""Hostile and bad input: property tests of the parsers and date resolution, and odd clusters
and bodies through the API. Each gets a clear error (4xx naming what to fix) or a sensible
story, never a crash (500) or a hang."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.checks.dates import find_dates
from agent.errors import InputError
from agent.intake.ingest import read_jsonl
from agent.schemas import parse_cluster
from tests.integration.reliability.table import record
from tests.unit.desk.helpers import Harness, example_cluster

SEEN: Counter[tuple[str, str]] = Counter()
"""Examples hypothesis tried, by property and outcome (for the reliability table)."""


@pytest.fixture(scope="module", autouse=True)
def _tally() -> Iterator[None]:
    yield
    names = {
        "parse_cluster": "hypothesis: cluster JSON (any JSON, article-shaped)",
        "read_jsonl": "hypothesis: JSONL feed lines",
        "find_dates": "hypothesis: date resolution (text x publication time)",
    }
    for (name, outcome), n in sorted(SEEN.items()):
        record(names[name], tried=n, outcome=outcome)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
ARTICLE = st.fixed_dictionaries(
    {
        "id": st.text(max_size=12),
        "outlet": st.text(max_size=20),
        "title": st.text(max_size=40),
        "text": st.text(max_size=200),
        "published_at": st.one_of(st.text(max_size=25), st.datetimes().map(str), st.none()),
        "url": st.one_of(st.none(), st.text(max_size=30), st.just("javascript:alert(1)")),
    }
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        JSON, st.fixed_dictionaries({"id": st.text(), "articles": st.lists(ARTICLE, max_size=4)})
    )
)
def test_parse_cluster_accepts_or_explains(data: Any) -> None:
    try:
        cluster = parse_cluster(data)
    except InputError as error:
        assert str(error).strip()
        SEEN["parse_cluster", "clear error"] += 1
        return
    SEEN["parse_cluster", "parsed a valid cluster"] += 1
    assert cluster.articles and all(a.text.strip() for a in cluster.articles)
    assert all(a.url is None or a.url.startswith(("http://", "https://")) for a in cluster.articles)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(max_size=80), JSON.map(json.dumps), ARTICLE.map(json.dumps)), max_size=6
    )
)
def test_read_jsonl_accepts_or_explains(lines: list[str]) -> None:
    try:
        records = list(read_jsonl(lines, "feed.jsonl"))
    except InputError as error:
        assert "feed.jsonl" in str(error)
        SEEN["read_jsonl", "clear error naming the file"] += 1
        return
    assert all(r is not None for r in records)
    SEEN["read_jsonl", "records (bad ones with their line)"] += 1


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=120)
    | st.from_regex(r"(on|in|by) (January|March|May) \d{1,2}(, \d{4})?", fullmatch=True),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),  # noqa: DTZ001 - naive bounds; the test adds UTC
)
def test_date_resolution_never_crashes_and_gives_real_dates(
    sentence: str, published: datetime
) -> None:
    for found in find_dates(sentence, published.replace(tzinfo=UTC)):
        value = str(getattr(found, "date", found))
        parts = value.split("-")
        assert parts[0].isdigit() and 1 <= len(parts) <= 3, found
        if len(parts) == 3:
            date(int(parts[0]), int(parts[1]), int(parts[2]))  # a real calendar day
    SEEN["find_dates", "real dates, no crash"] += 1


# ------------------------------------------------------------------ through the API


def _post(harness: Harness, body: Any = None, raw: bytes | None = None) -> Any:
    headers = {**harness.headers(), "Content-Type": "application/json"}
    content = raw if raw is not None else json.dumps(body).encode()
    return harness.client.post("/api/clusters", content=content, headers=headers)


def test_bad_bodies_get_a_clear_422(harness: Harness) -> None:
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    cases = {
        "empty cluster": {"id": "c-empty", "articles": []},
        "no articles key": {"id": "c-x"},
        "duplicate ids": {**example_cluster(), "articles": [example_cluster()["articles"][0]] * 2},
        "not an object": [1, 2, 3],
        "deeply nested": {"id": "c-deep", "articles": deep},
    }
    for name, body in cases.items():
        answer = (
            _post(harness, body)
            if name != "deeply nested"
            else _post(
                harness,
                raw=('{"id": "c-deep", "articles": ' + "[" * 5000 + "]" * 5000 + "}").encode(),
            )
        )
        assert answer.status_code in (400, 413, 422), (name, answer.status_code, answer.text[:200])
        assert answer.json().get("error"), (name, answer.text[:300])
    invalid = _post(harness, raw=b'{"id": "c-bad", "articles": [{"text": "\xff\xfe bad"}]}')
    assert invalid.status_code in (400, 422), invalid.text[:200]
    record(
        "bad bodies: empty cluster, no articles, duplicate ids, not an object, 5000-deep "
        "nesting, invalid UTF-8",
        tried=len(cases) + 1,
        outcome="4xx with an error naming what to fix",
        jobs=harness.desk.jobs.find()[1],
    )


def test_odd_but_valid_clusters_make_a_story_or_a_clear_failure(harness: Harness) -> None:
    base = example_cluster()
    one = {**copy.deepcopy(base), "id": "c-one", "articles": [copy.deepcopy(base["articles"][1])]}
    junk = copy.deepcopy(base)
    junk["id"] = "c-junk"
    junk["articles"][0]["text"] = (
        "<div><p>" + junk["articles"][0]["text"] + "</p><script>x()</script>&nbsp;&amp;</div>"
    )
    junk["articles"][2]["text"] += (
        " 日本の防衛相は会談した。Le ministre a rencontré. Министр встретился."
    )
    future = copy.deepcopy(base)
    future["id"] = "c-future"
    future["articles"][0]["published_at"] = "2099-01-01T00:00:00Z"
    big = copy.deepcopy(base)
    big["id"] = "c-big"
    big["articles"][0]["text"] = (big["articles"][0]["text"] + " ") * (
        1_000_000 // len(big["articles"][0]["text"])
    )
    outcomes: list[str] = []
    for cluster in (one, junk, future, big):
        posted = _post(harness, cluster)
        if posted.status_code != 201:
            assert posted.status_code == 422 and posted.json()["error"], posted.text[:300]
            outcomes.append(f"{cluster['id']}: 422")
            continue
        answer = harness.client.post(
            f"/api/clusters/{cluster['id']}/drafts", headers=harness.headers()
        )
        assert answer.status_code == 202, answer.text
        outcome = harness.runner.run(answer.json()["job_id"])
        job = harness.client.get(
            f"/api/jobs/{answer.json()['job_id']}", headers=harness.headers()
        ).json()
        assert outcome in ("needs_review", "failed", "queued"), outcome
        if outcome != "needs_review":
            assert job["reason"], job
        else:
            story = harness.client.get(
                f"/api/stories/{answer.json()['story_id']}", headers=harness.headers()
            ).json()
            page = harness.client.get(f"/api/stories/{story['id']}", headers=harness.headers())
            assert page.status_code == 200 and "<script>x()" not in json.dumps(story["summary"])
        print(cluster["id"], outcome, job.get("reason"))
        outcomes.append(
            f"{cluster['id']}: {outcome}" + (f" ({job['reason']})" if job.get("reason") else "")
        )
    record(
        "odd clusters: one article, HTML junk + non-English, future date, 1 MB article",
        tried=4,
        outcome="a story or a clear failure each",
        note="; ".join(outcomes),
        jobs=harness.desk.jobs.find()[1],
        stories=len(harness.desk.jobs.find(status="needs_review")[0]),
    )


_ = settings.register_profile("ci", suppress_health_check=[HealthCheck.too_slow])
