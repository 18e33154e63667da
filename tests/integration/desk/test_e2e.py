"""End to end with real processes: serve, worker, token, cluster, draft, edit, approve; and the
queue's promise (a worker killed mid-draft loses nothing; the same trigger twice is one job)."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import httpx

from tests.desk_support import wait_for
from tests.integration.desk.helpers import Running, example_cluster


def _job(client: httpx.Client, job_id: str) -> dict[str, Any]:
    response = client.get(f"/api/jobs/{job_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _wait_status(client: httpx.Client, job_id: str, status: str, desk: Running) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        job = _job(client, job_id)
        assert job["status"] != "failed", f"{job['reason']}\n{desk.log_text()}"
        return job if job["status"] == status else None

    try:
        result: dict[str, Any] = wait_for(check, 90, f"job {job_id} to be {status}")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{desk.log_text()}") from None
    return result


def test_draft_edit_approve_over_http(desk: Running) -> None:
    desk.worker("worker")
    client = desk.client()
    cluster = example_cluster()
    assert client.post("/api/clusters", json=cluster).status_code == 201
    answer = client.post(f"/api/clusters/{cluster['id']}/drafts").json()
    job_id, story_id = answer["job_id"], answer["story_id"]
    _wait_status(client, job_id, "needs_review", desk)

    story = client.get(f"/api/stories/{story_id}").json()
    assert story["revision"] == 1 and story["review"]["status"] == "needs_review"
    summary = [dict(s) for s in story["summary"]]
    summary[1]["text"] = "The meeting at the Pentagon lasted about 50 minutes, officials said."
    edit = client.post(
        f"/api/stories/{story_id}/review",
        json={
            "action": "edit",
            "revision": 1,
            "story": {"summary": summary},
            "note": "attribution",
        },
    )
    assert edit.status_code == 202, edit.text
    _wait_status(client, edit.json()["job_id"], "done", desk)
    edited = client.get(f"/api/stories/{story_id}").json()
    assert edited["revision"] == 2

    approve = client.post(
        f"/api/stories/{story_id}/review", json={"action": "approve", "revision": 2}
    )
    assert approve.status_code == 202, approve.text
    _wait_status(client, approve.json()["job_id"], "done", desk)

    final = client.get(f"/api/stories/{story_id}").json()
    assert final["revision"] == 2
    assert final["summary"][1]["text"] == summary[1]["text"]
    assert final["review"]["status"] == "approved"
    assert final["review"]["reviewer"] == "Rachel Morgan"
    revisions = client.get(f"/api/stories/{story_id}/revisions").json()["items"]
    assert [(r["revision"], r["kind"]) for r in revisions] == [(1, "model"), (2, "editor")]
    assert revisions[1]["author"] == "Rachel Morgan"
    assert revisions[0]["decision"]["action"] == "edit"
    assert revisions[1]["decision"]["action"] == "approve"
    assert _job(client, job_id)["status"] == "approved"
    # The same approval again gets its first answer; a decision on the old revision, 409.
    again = client.post(
        f"/api/stories/{story_id}/review", json={"action": "approve", "revision": 2}
    )
    assert again.status_code == 200 and again.json()["job_id"] == approve.json()["job_id"]
    stale = client.post(
        f"/api/stories/{story_id}/review", json={"action": "reject", "revision": 1, "note": "x"}
    )
    assert stale.status_code == 409 and "already answered" in stale.json()["error"]


def test_worker_killed_mid_draft_loses_nothing(desk: Running) -> None:
    slow = {"STORYDESK_TEST_MODEL_DELAY": "0.6"}
    first = desk.worker("first", **slow)
    client = desk.client()
    cluster = example_cluster()
    client.post("/api/clusters", json=cluster)
    answer = client.post(f"/api/clusters/{cluster['id']}/drafts").json()
    job_id, story_id = answer["job_id"], answer["story_id"]

    # Kill it once the draft is past screening, inside the model calls.
    wait_for(
        lambda: (
            _job(client, job_id)["status"] == "running"
            and (_job(client, job_id)["node"] or "") not in ("", "retrieve", "screen")
        ),
        60,
        "the draft to reach the model nodes",
    )
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    killed_in = _job(client, job_id)["node"]

    desk.worker("second", **slow)
    job = _wait_status(client, job_id, "needs_review", desk)
    assert job["attempts"] == 2
    events = [e["event"] for e in job["events"]]
    assert events.count("claimed") == 2 and "lease_expired" in events
    assert "resumed" in events, events  # the thread went on from its checkpoint
    resumed = next(e for e in job["events"] if e["event"] == "resumed")
    assert resumed["next"] and not {"retrieve", "screen"} & set(resumed["next"])
    stories = client.get("/api/stories", params={"cluster_id": cluster["id"]}).json()
    assert stories["total"] == 1 and stories["items"][0]["id"] == story_id
    revisions = client.get(f"/api/stories/{story_id}/revisions").json()["items"]
    assert [r["revision"] for r in revisions] == [1]
    print(f"killed in {killed_in}; resumed at {resumed['next']}; events {events}")


def test_same_draft_triggered_twice_at_once_is_one_job(sqlite_desk: Running) -> None:
    client = sqlite_desk.client()
    cluster = example_cluster()
    client.post("/api/clusters", json=cluster)
    answers: list[dict[str, Any]] = []
    barrier = threading.Barrier(4)

    def trigger() -> None:
        with sqlite_desk.client() as own:
            barrier.wait()
            answers.append(own.post(f"/api/clusters/{cluster['id']}/drafts").json())

    threads = [threading.Thread(target=trigger) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({a["job_id"] for a in answers}) == 1
    assert sorted(a["created"] for a in answers) == [False, False, False, True]
    jobs = client.get("/api/jobs", params={"kind": "draft"}).json()
    assert jobs["total"] == 1


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def test_worker_n_runs_consumers_side_by_side_and_stops_them(sqlite_desk: Running) -> None:
    from tests.desk_support import start, stop

    desk = sqlite_desk
    parent = start(
        ["worker", "-n", "2"],
        {**desk.env, "STORYDESK_TEST_MODEL_DELAY": "0.2"},
        desk.logs / "pool.log",
    )
    desk.workers.append(parent)
    client = desk.client()
    cluster = example_cluster()
    jobs = []
    for n in range(2):
        copy = {**cluster, "id": f"{cluster['id']}-{n}"}
        client.post("/api/clusters", json=copy)
        jobs.append(client.post(f"/api/clusters/{copy['id']}/drafts").json()["job_id"])
    children = wait_for(
        lambda: len(_children(parent.pid)) == 2 and _children(parent.pid), 30, "two consumers"
    )
    finished = [_wait_status(client, job_id, "needs_review", desk) for job_id in jobs]
    assert {job["claimed_by"].rsplit(":", 1)[1] for job in finished} <= {str(c) for c in children}
    stop(parent)
    wait_for(
        lambda: not any(os.path.exists(f"/proc/{c}") for c in children), 30, "the consumers to stop"
    )
