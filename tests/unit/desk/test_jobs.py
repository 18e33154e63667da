"""The jobs table's promises: one claim wins, leases expire into retries with backoff and then
into a failure a person can act on, triggers are idempotent, and a job that dies anywhere is
finished by the next worker without a duplicate revision."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import text, update

from agent.desk.worker import Runner, reap_once
from agent.store.jobs import JOBS
from agent.store.models import utcnow
from tests.unit.desk.helpers import Harness, example_cluster


def _queue_draft(harness: Harness) -> dict[str, Any]:
    cluster = example_cluster()
    harness.client.post("/api/clusters", json=cluster, headers=harness.headers())
    answer = harness.client.post(f"/api/clusters/{cluster['id']}/drafts", headers=harness.headers())
    data: dict[str, Any] = answer.json()
    return data


def _expire(harness: Harness, job_id: str) -> None:
    with harness.desk.engine.begin() as connection:
        connection.execute(
            update(JOBS)
            .where(JOBS.c.id == job_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )


def test_only_one_worker_claims_a_job(harness: Harness) -> None:
    job_id = _queue_draft(harness)["job_id"]
    winners: list[Any] = []
    barrier = threading.Barrier(4)

    def claim(name: str) -> None:
        barrier.wait()
        winners.append(harness.desk.jobs.claim(job_id, name, 30))

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [w for w in winners if w is not None]
    assert len(claimed) == 1 and claimed[0].attempts == 1


def test_expired_lease_is_requeued_with_backoff_then_failed_with_a_reason(harness: Harness) -> None:
    job_id = _queue_draft(harness)["job_id"]
    jobs = harness.desk.jobs
    assert jobs.claim(job_id, "gone-1", 30) is not None
    jobs.set_node(job_id, "gone-1", "draft_summary")
    _expire(harness, job_id)
    jobs.reap(requeue_after=0, backoff_base=60)
    job = jobs.get(job_id)
    assert job.status == "queued" and job.claimed_by is None
    assert "lease expired" in job.reason and "draft_summary" in job.reason
    assert job.not_before > utcnow() + timedelta(seconds=50)
    assert jobs.claim(job_id, "too-early", 30) is None  # backoff holds
    with harness.desk.engine.begin() as connection:
        connection.execute(update(JOBS).where(JOBS.c.id == job_id).values(not_before=None))
    assert jobs.claim(job_id, "gone-2", 30) is not None  # attempt 2 of 2
    _expire(harness, job_id)
    jobs.reap(requeue_after=0, backoff_base=0)
    job = jobs.get(job_id)
    assert job.status == "failed" and job.active_key is None
    assert "attempt 2 of 2" in job.reason and "retry" in job.reason
    page = harness.client.get("/api/jobs", params={"status": "failed"}, headers=harness.headers())
    assert page.json()["counts"]["failed"] == 1

    retried = harness.client.post(f"/api/jobs/{job_id}/retry", headers=harness.headers())
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert harness.runner.run(job_id) == "needs_review"
    again = harness.client.post(f"/api/jobs/{job_id}/retry", headers=harness.headers())
    assert again.status_code == 409 and "not failed" in again.json()["error"]


def test_reaper_resends_queued_jobs_the_queue_lost(harness: Harness) -> None:
    job_id = _queue_draft(harness)["job_id"]
    sent: list[str] = []
    harness.desk._queue = type("Q", (), {"send": lambda self, i, p: sent.append(i) or True})()
    assert reap_once(harness.desk) == 0  # sent a moment ago: not yet
    with harness.desk.engine.begin() as connection:
        connection.execute(
            update(JOBS)
            .where(JOBS.c.id == job_id)
            .values(enqueued_at=utcnow() - timedelta(hours=1))
        )
    assert reap_once(harness.desk) == 1 and sent == [job_id]


def test_trigger_is_idempotent_while_active_and_new_after(harness: Harness) -> None:
    first = _queue_draft(harness)
    cluster = example_cluster()
    again = harness.client.post(f"/api/clusters/{cluster['id']}/drafts", headers=harness.headers())
    assert again.status_code == 200 and again.json()["job_id"] == first["job_id"]
    harness.runner.run(first["job_id"])  # needs_review: still the active draft
    again = harness.client.post(f"/api/clusters/{cluster['id']}/drafts", headers=harness.headers())
    assert again.json()["job_id"] == first["job_id"]
    # Changed content is another draft.
    cluster["articles"][0]["text"] += " A later paragraph."
    harness.client.post("/api/clusters", json=cluster, headers=harness.headers())
    changed = harness.client.post(
        f"/api/clusters/{cluster['id']}/drafts", headers=harness.headers()
    )
    assert changed.status_code == 202 and changed.json()["job_id"] != first["job_id"]


def test_a_job_that_dies_after_its_work_is_finished_once(harness: Harness) -> None:
    """A worker that drafted (checkpoint at review) but died before marking the job: the next
    one records the same story and revision once, and does not draft again."""
    job_id = _queue_draft(harness)["job_id"]
    dying = Runner(harness.desk, name="dying")
    job = harness.desk.jobs.claim(job_id, "dying", 30)
    dying._agent = harness.runner.agent
    dying._stream(job, {"cluster": job.payload["cluster"]})  # the draft ran; then the worker died
    calls = len(harness.runner.agent.gateway.backend.requests)
    _expire(harness, job_id)
    harness.desk.jobs.reap(requeue_after=0, backoff_base=0)
    assert harness.runner.run(job_id) == "needs_review"
    assert len(harness.runner.agent.gateway.backend.requests) == calls  # no second draft
    job = harness.desk.jobs.get(job_id)
    assert [e["event"] for e in job.events][-1] == "already_drafted"
    with harness.desk.engine.connect() as connection:
        rows = connection.execute(text("SELECT story_id, revision FROM story_revisions")).all()
    assert rows == [(job.story_id, 1)]


def test_bad_input_fails_at_once_with_its_message(harness: Harness) -> None:
    import json

    from tests.helpers import EXAMPLES

    mixed = json.loads((EXAMPLES / "mixed-events.json").read_text("utf-8"))
    harness.client.post("/api/clusters", json=mixed, headers=harness.headers())
    answer = harness.client.post(f"/api/clusters/{mixed['id']}/drafts", headers=harness.headers())
    started = time.monotonic()
    assert harness.runner.run(answer.json()["job_id"]) == "failed"
    job = harness.desk.jobs.get(answer.json()["job_id"])
    assert job.attempts == 1 and job.reason and time.monotonic() - started < 30


def test_a_review_job_that_dies_after_resuming_is_finished_once(harness: Harness) -> None:
    from langgraph.types import Command

    story_id = harness.drafted()
    story = harness.client.get(f"/api/stories/{story_id}", headers=harness.headers()).json()
    story["summary"][0]["text"] = "Koizumi and Hegseth met at the Pentagon on Thursday."
    answer = harness.client.post(
        f"/api/stories/{story_id}/review",
        json={"action": "edit", "revision": 1, "story": {"summary": story["summary"]}},
        headers=harness.headers(),
    )
    job_id = answer.json()["job_id"]
    dying = Runner(harness.desk, name="dying")
    dying._agent = harness.runner.agent
    job = harness.desk.jobs.claim(job_id, "dying", 30)
    decision = {k: job.payload[k] for k in ("action", "reviewer", "notes", "changes")}
    dying._stream(job, Command(resume=decision))  # the edit went in; then the worker died
    _expire(harness, job_id)
    harness.desk.jobs.reap(requeue_after=0, backoff_base=0)
    assert harness.runner.run(job_id) == "done"
    assert [e["event"] for e in harness.desk.jobs.get(job_id).events][-1] == "already_applied"
    revisions = harness.desk.jobs.revisions(story_id)
    assert [(r["revision"], r["kind"]) for r in revisions] == [(1, "model"), (2, "editor")]
    latest = harness.client.get(f"/api/stories/{story_id}", headers=harness.headers()).json()
    assert latest["revision"] == 2 and latest["summary"][0]["text"].startswith(
        "Koizumi and Hegseth"
    )


def test_the_thread_id_is_the_story_id() -> None:
    from agent.desk.service import thread_for
    from agent.nodes import assemble

    thread, story = thread_for("c1")("abc")
    assert thread == story == "story-c1-abc"
    assert assemble.story_id("c1", thread) == story  # the graph's own name for the story
