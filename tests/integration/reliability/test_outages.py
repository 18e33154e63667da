"""PostgreSQL or Redis going away for a few seconds mid-run: the server and the worker reach
them through a loopback proxy the test cuts (open connections closed, new ones refused) or
freezes (nothing answers, nothing closes) and restores. The same worker process reconnects and
every job finishes once: one story per job, no lost or duplicated revision or flag, and the
model asked again only for what a checkpoint did not hold. The API answers 503 with
Retry-After while the database is away, and a request it cut off wrote all or nothing."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.desk_support import wait_for
from tests.integration.desk.helpers import (
    Running,
    example_cluster,
    pg_schema,
    redis_url_or_skip,
    serve,
)
from tests.integration.reliability.proxy import Proxy
from tests.integration.reliability.support import (
    COUNTING_BACKEND,
    MODEL_LOG,
    effects,
    model_requests,
    per_schema,
)
from tests.integration.reliability.table import record

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

DRAFTS = 4
OUTAGE_SECONDS = 4.0
DB_TIMEOUT = 3.0
"""STORYDESK_DB_TIMEOUT of the processes under test: how long a round trip may wait."""


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[Running, dict[str, Proxy]]]:
    redis_url = redis_url_or_skip()
    for pg_url in pg_schema():
        pg = make_url(pg_url)
        proxies = {
            "postgres": Proxy((pg.host or "127.0.0.1", pg.port or 5432)).start(),
            "redis": Proxy(("127.0.0.1", int(make_url(redis_url).port or 6379))).start(),
        }
        database = redis_url.rsplit("/", 1)[1]
        extra = {
            "STORYDESK_DATABASE_URL": pg.set(port=proxies["postgres"].port).render_as_string(
                hide_password=False
            ),
            "STORYDESK_QUEUE_URL": f"redis://127.0.0.1:{proxies['redis'].port}/{database}",
            "STORYDESK_DB_TIMEOUT": f"{DB_TIMEOUT:g}",
            "STORYDESK_DB_CONNECT_TIMEOUT": "2",
        }
        try:
            yield from ((running, proxies) for running in serve(tmp_path, extra))
        finally:
            for proxy in proxies.values():
                proxy.stop()


def _clusters() -> list[dict[str, Any]]:
    base = example_cluster()
    out = []
    for i in range(DRAFTS):
        cluster = copy.deepcopy(base)
        cluster["id"] = f"{base['id']}-{i}"
        out.append(cluster)
    return out


@pytest.mark.parametrize("service", ["postgres", "redis"])
def test_an_outage_mid_run_loses_nothing(
    proxied: tuple[Running, dict[str, Proxy]], tmp_path: Path, service: str
) -> None:
    desk, proxies = proxied
    log = tmp_path / "model.log"
    worker = desk.worker(
        "worker",
        STORYDESK_TEST_BACKEND=COUNTING_BACKEND,
        STORYDESK_TEST_MODEL_DELAY="0.3",
        **{MODEL_LOG: str(log)},
    )
    client = desk.client()
    clusters = _clusters()
    for cluster in clusters:
        assert client.post("/api/clusters", json=cluster).status_code == 201
    late = clusters[-1]  # triggered during a Redis outage: the server cannot send its id
    jobs = [
        client.post(f"/api/clusters/{c['id']}/drafts").json()["job_id"]
        for c in (clusters[:-1] if service == "redis" else clusters)
    ]

    def mid_draft() -> bool:
        job = client.get(f"/api/jobs/{jobs[0]}").json()
        return job["status"] == "running" and bool(job.get("node"))

    wait_for(mid_draft, 60, "the first draft to be running")
    proxy = proxies[service]
    proxy.cut()
    cut_at = time.monotonic()
    if service == "redis":
        answer = client.post(f"/api/clusters/{late['id']}/drafts")
        assert answer.status_code == 202, answer.text
        jobs.append(answer.json()["job_id"])
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
    proxy.restore()

    def all_drafted() -> bool:
        items = [client.get(f"/api/jobs/{j}").json() for j in jobs]
        failed = [i for i in items if i["status"] == "failed"]
        assert not failed, f"{failed[0]['reason']}\n{desk.log_text()}"
        return all(i["status"] == "needs_review" for i in items)

    try:
        wait_for(all_drafted, 180, f"every draft to finish after the {service} outage")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{desk.log_text()}") from None
    assert worker.poll() is None, "the worker died instead of reconnecting"

    items = [client.get(f"/api/jobs/{j}").json() for j in jobs]
    found = [effects(client, c["id"]) for c in clusters]
    requests = per_schema(model_requests(log))
    claims = [sum(1 for e in i["events"] if e["event"] == "claimed") for i in items]
    print(
        f"{service} outage {OUTAGE_SECONDS:g} s, {proxy.cut_connections} connections cut: "
        f"claims {claims}, attempts {[i['attempts'] for i in items]}, requests {dict(requests)}"
    )
    assert len(found) == DRAFTS
    for job, item, seen, claimed in zip(jobs, items, found, claims, strict=True):
        assert seen["jobs"] == 1 and seen["stories"] == 1, (job, seen)
        assert list(seen["revisions"].values()) == [[1]], seen["revisions"]
        for story_id, flags in seen["flags"].items():
            assert len(flags) == len(set(flags)), f"duplicated flag in {story_id}"
        assert claimed == item["attempts"] <= item["max_attempts"], item["events"]
    # Every story asked each drafter at least once, and at most twice (a superstep the
    # outage interrupted runs again; nothing checkpointed before it does).
    assert requests and all(DRAFTS <= n <= 2 * DRAFTS for n in requests.values()), requests
    record(
        f"{service} away {OUTAGE_SECONDS:g} s mid-run",
        tried=1,
        outcome="all drafted, same worker" if worker.poll() is None else "worker died",
        jobs=len(jobs),
        stories=sum(s["stories"] for s in found),
        revisions=sum(len(r) for s in found for r in s["revisions"].values()),
        model_requests=sum(requests.values()),
        note=f"{proxy.cut_connections} connections cut; claims {sum(claims)}",
    )


def test_a_frozen_redis_neither_hangs_the_server_nor_loses_the_job(
    proxied: tuple[Running, dict[str, Proxy]], tmp_path: Path
) -> None:
    """Redis stops answering without closing anything (packets dropped): a trigger still
    answers within the queue's timeout, its job row stays queued, and once Redis answers
    again the worker (the same process) drafts it once."""
    from agent.desk.queue import REDIS_TIMEOUT_SECONDS

    desk, proxies = proxied
    log = tmp_path / "model.log"
    worker = desk.worker("worker", STORYDESK_TEST_BACKEND=COUNTING_BACKEND, **{MODEL_LOG: str(log)})
    client = desk.client()
    cluster = _clusters()[0]
    assert client.post("/api/clusters", json=cluster).status_code == 201
    time.sleep(1.0)  # the worker is polling Redis through the proxy
    proxies["redis"].freeze()
    started = time.monotonic()
    answer = client.post(f"/api/clusters/{cluster['id']}/drafts")
    took = time.monotonic() - started
    assert answer.status_code == 202, answer.text
    assert took < 3 * REDIS_TIMEOUT_SECONDS, f"the trigger hung {took:.1f} s on a frozen Redis"
    job_id = answer.json()["job_id"]
    assert client.get(f"/api/jobs/{job_id}").json()["status"] == "queued"
    time.sleep(2.0)
    proxies["redis"].thaw()

    def drafted() -> bool:
        status = client.get(f"/api/jobs/{job_id}").json()["status"]
        assert status != "failed", desk.log_text()
        return status == "needs_review"

    try:
        wait_for(drafted, 120, "the draft after Redis answered again")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{desk.log_text()}") from None
    assert worker.poll() is None
    found = effects(client, cluster["id"])
    requests = per_schema(model_requests(log))
    assert found["jobs"] == 1 and found["stories"] == 1
    assert list(found["revisions"].values()) == [[1]]
    assert all(n == 1 for n in requests.values()), requests
    record(
        "Redis frozen (no answer, nothing closed) during a trigger",
        tried=1,
        outcome=f"trigger answered 202 in {took:.1f} s; drafted once after the thaw",
        jobs=found["jobs"],
        stories=found["stories"],
        revisions=1,
        model_requests=sum(requests.values()),
    )


def _drafted_once(client: Any, clusters: list[dict[str, Any]], jobs: list[str]) -> list[Any]:
    """Assert each cluster left one job, one story and one revision 1, no duplicated flag."""
    found = [effects(client, c["id"]) for c in clusters]
    for job, seen in zip(jobs, found, strict=True):
        assert seen["jobs"] == 1 and seen["stories"] == 1, (job, seen)
        assert list(seen["revisions"].values()) == [[1]], seen["revisions"]
        for story_id, flags in seen["flags"].items():
            assert len(flags) == len(set(flags)), f"duplicated flag in {story_id}"
    return found


def test_a_frozen_postgres_fails_the_work_in_seconds_and_loses_nothing(
    proxied: tuple[Running, dict[str, Proxy]], tmp_path: Path
) -> None:
    """PostgreSQL stops answering mid-run without closing anything (a stopped server, a
    wedged network): the worker's waits end after STORYDESK_DB_TIMEOUT instead of hanging,
    the API answers 503 with Retry-After, and once the database answers again the same worker
    drafts every job once."""
    desk, proxies = proxied
    log = tmp_path / "model.log"
    worker = desk.worker(
        "worker",
        STORYDESK_TEST_BACKEND=COUNTING_BACKEND,
        STORYDESK_TEST_MODEL_DELAY="0.3",
        **{MODEL_LOG: str(log)},
    )
    client = desk.client()
    clusters = _clusters()
    for cluster in clusters:
        assert client.post("/api/clusters", json=cluster).status_code == 201
    jobs = [client.post(f"/api/clusters/{c['id']}/drafts").json()["job_id"] for c in clusters]

    def mid_draft() -> bool:
        job = client.get(f"/api/jobs/{jobs[0]}").json()
        return job["status"] == "running" and bool(job.get("node"))

    wait_for(mid_draft, 60, "the first draft to be running")
    worker_log = desk.logs / "worker.log"

    def gave_up() -> int:
        text = worker_log.read_text(errors="replace")
        return sum(text.count(marker) for marker in GAVE_UP)

    before = gave_up()
    asked: list[Any] = []

    def ask() -> None:
        started = time.monotonic()
        asked.append(client.get(f"/api/jobs/{jobs[0]}", timeout=60))
        asked.append(time.monotonic() - started)

    proxies["postgres"].freeze()
    frozen_at = time.monotonic()
    api = threading.Thread(target=ask)
    api.start()
    try:
        try:
            wait_for(lambda: gave_up() > before, 6 * DB_TIMEOUT, "the worker to give up")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{desk.log_text()}") from None
        worker_took = time.monotonic() - frozen_at
        api.join(60)
        time.sleep(max(0.0, 2 * OUTAGE_SECONDS - (time.monotonic() - frozen_at)))
    finally:
        proxies["postgres"].thaw()
    assert len(asked) == 2, "the API call did not answer"
    answer, api_took = asked
    assert answer.status_code == 503, answer.text
    assert answer.headers.get("Retry-After", "").isdigit(), answer.headers
    assert "database is not reachable" in answer.json()["error"]
    # A ping on the pooled connection, then a new connection: two bounded waits at most.
    assert api_took < 2 * DB_TIMEOUT + 3, f"the API waited {api_took:.1f} s on a frozen database"

    def all_drafted() -> bool:
        items = [client.get(f"/api/jobs/{j}").json() for j in jobs]
        failed = [i for i in items if i["status"] == "failed"]
        assert not failed, f"{failed[0]['reason']}\n{desk.log_text()}"
        return all(i["status"] == "needs_review" for i in items)

    try:
        wait_for(all_drafted, 180, "every draft to finish after the database thawed")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{desk.log_text()}") from None
    assert worker.poll() is None, "the worker died instead of reconnecting"
    items = [client.get(f"/api/jobs/{j}").json() for j in jobs]
    found = _drafted_once(client, clusters, jobs)
    requests = per_schema(model_requests(log))
    claims = [sum(1 for e in i["events"] if e["event"] == "claimed") for i in items]
    print(
        f"postgres frozen {2 * OUTAGE_SECONDS:g} s: API 503 after {api_took:.1f} s, worker gave "
        f"up after {worker_took:.1f} s; claims {claims}, requests {dict(requests)}"
    )
    for item, claimed in zip(items, claims, strict=True):
        assert claimed == item["attempts"] <= item["max_attempts"], item["events"]
    assert requests and all(DRAFTS <= n <= 2 * DRAFTS for n in requests.values()), requests
    record(
        f"PostgreSQL frozen (no answer, nothing closed) {2 * OUTAGE_SECONDS:g} s mid-run",
        tried=1,
        outcome=(
            f"API 503 + Retry-After in {api_took:.1f} s; worker gave up in {worker_took:.1f} s "
            "(not hung); all drafted by the same worker after the thaw"
        ),
        jobs=len(jobs),
        stories=sum(s["stories"] for s in found),
        revisions=sum(len(r) for s in found for r in s["revisions"].values()),
        model_requests=sum(requests.values()),
        note=f"STORYDESK_DB_TIMEOUT={DB_TIMEOUT:g}; claims {sum(claims)}",
    )


GAVE_UP = ("did not answer within", "connection timeout expired")
"""What a bounded PostgreSQL wait says when it gives up (agent.store.pgconn), and what psycopg
says when a new connection's handshake is not answered within its connect_timeout."""

CUT_TRIES = 6


def test_a_postgres_cut_during_api_calls_answers_503_and_writes_all_or_nothing(
    proxied: tuple[Running, dict[str, Proxy]],
) -> None:
    """PostgreSQL goes away while clusters are being posted (the cut lands at a different point
    of each request): each answer is 201 or a 503 with Retry-After that says to retry, never a
    500, and afterwards each cluster is there whole, with all its articles, or not at all."""
    desk, proxies = proxied
    client = desk.client()
    base = example_cluster()
    proxy = proxies["postgres"]
    answers: list[Any] = []
    clusters = []
    for i in range(CUT_TRIES):
        cluster = copy.deepcopy(base)
        cluster["id"] = f"{base['id']}-cut-{i}"
        for n, article in enumerate(cluster["articles"]):
            article["id"] = f"{article['id']}-cut-{i}-{n}"
        clusters.append(cluster)
        result: list[Any] = []
        poster = threading.Thread(
            target=lambda c=cluster, r=result: r.append(
                client.post("/api/clusters", json=c, timeout=60)
            )
        )
        poster.start()
        time.sleep(0.015 * i)  # from before the request to well into it
        proxy.cut()
        poster.join(60)
        time.sleep(0.5)  # the proxy's listener is gone once its accept loop has noticed
        proxy.restore()
        assert result, "the request did not answer"
        answers.append(result[0])
    statuses = [a.status_code for a in answers]
    print(f"cut at {CUT_TRIES} points of a cluster post: statuses {statuses}")
    assert set(statuses) <= {201, 503}, [a.text for a in answers]
    assert 503 in statuses, "no request was cut off; the test proves nothing"
    for answer in answers:
        if answer.status_code == 503:
            assert answer.headers.get("Retry-After", "").isdigit(), answer.headers
            assert "database is not reachable; retry in a few seconds" in answer.json()["error"]

    def reachable() -> bool:
        return client.get("/api/clusters", params={"limit": 1}).status_code == 200

    wait_for(reachable, 30, "the database to answer again")
    whole = absent = 0
    for cluster, answer in zip(clusters, answers, strict=True):
        stored = client.get(f"/api/clusters/{cluster['id']}")
        if stored.status_code == 404:
            absent += 1
            # A 201 means committed: the cluster must be there. (A 503 may have lost only its
            # answer after the commit; then the cluster is there whole.)
            assert answer.status_code == 503, f"{cluster['id']} answered 201 but is not stored"
            continue
        assert stored.status_code == 200, stored.text
        ids = sorted(a["id"] for a in stored.json()["articles"])
        assert ids == sorted(a["id"] for a in cluster["articles"]), f"{cluster['id']} half-written"
        whole += 1
    listed = client.get("/api/clusters", params={"limit": 500}).json()
    assert listed["total"] == whole
    record(
        "PostgreSQL cut during an API write (cluster post)",
        tried=CUT_TRIES,
        outcome=(
            f"{statuses.count(201)} x 201, {statuses.count(503)} x 503 + Retry-After, no 500; "
            f"{whole} stored whole, {absent} absent, none half-written"
        ),
        note="the cut lands 0 to 75 ms into the request",
    )
