"""Races between editors and between server replicas: one wins, the other gets 409 with the
current revision, and nothing is lost or made twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

from tests.desk_support import free_port, start, wait_for
from tests.integration.desk.helpers import Running, example_cluster
from tests.integration.reliability.support import effects, server_up, wait_status
from tests.integration.reliability.table import record


def _at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _drafted(desk: Running) -> tuple[httpx.Client, str, dict[str, Any]]:
    desk.worker("worker")
    client = desk.client()
    cluster = example_cluster()
    client.post("/api/clusters", json=cluster)
    answer = client.post(f"/api/clusters/{cluster['id']}/drafts").json()
    wait_status(client, answer["job_id"], "needs_review", desk)
    return client, answer["story_id"], cluster


def test_two_editors_edit_the_same_revision_at_once(sqlite_desk: Running) -> None:
    desk = sqlite_desk
    client, story_id, cluster = _drafted(desk)
    other = desk.client(desk.add_user("Sam Ortiz", "editor"))
    summary = client.get(f"/api/stories/{story_id}").json()["summary"]

    def edit(who: httpx.Client, text: str) -> Callable[[], httpx.Response]:
        changed = [dict(s) for s in summary]
        changed[1]["text"] = text
        body = {"action": "edit", "revision": 1, "story": {"summary": changed}, "note": text}
        return lambda: who.post(f"/api/stories/{story_id}/review", json=body)

    texts = ["The meeting lasted about 50 minutes, officials said.", "The talks ran 50 minutes."]
    answers = _at_once([edit(client, texts[0]), edit(other, texts[1])])
    codes = sorted(a.status_code for a in answers)
    assert codes == [202, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 202)
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["current_revision"] == 1 and "already answered" in loser["error"]
    wait_status(client, winner.json()["job_id"], "done", desk)
    story = client.get(f"/api/stories/{story_id}").json()
    assert story["revision"] == 2 and story["summary"][1]["text"] in texts
    # The loser reloads and acts on the current revision: that is not lost either.
    stale = client.post(
        f"/api/stories/{story_id}/review", json={"action": "approve", "revision": 1}
    )
    assert stale.status_code == 409 and stale.json()["current_revision"] == 2
    approve = other.post(
        f"/api/stories/{story_id}/review",
        json={"action": "approve", "revision": 2, "override": True},
    )
    assert approve.status_code == 202, approve.text
    wait_status(client, approve.json()["job_id"], "done", desk)
    found = effects(client, cluster["id"])
    assert found["stories"] == 1 and found["revisions"] == {story_id: [1, 2]}
    assert [j["kind"] for j in found["job_items"]].count("review") == 2
    record(
        "two editors edit one revision at once",
        tried=1,
        outcome="one 202, one 409 with the current revision; nothing lost",
        jobs=found["jobs"],
        stories=found["stories"],
        revisions=sum(len(r) for r in found["revisions"].values()),
    )


def test_resume_and_redraft_of_one_story_at_once(sqlite_desk: Running) -> None:
    desk = sqlite_desk
    client, story_id, cluster = _drafted(desk)
    other = desk.client(desk.add_user("Sam Ortiz", "editor"))
    url = f"/api/stories/{story_id}/review"
    answers = _at_once(
        [
            lambda: client.post(url, json={"action": "approve", "revision": 1}),
            lambda: other.post(url, json={"action": "redraft", "revision": 1, "note": "stale"}),
        ]
    )
    assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
    winner = next(i for i, a in enumerate(answers) if a.status_code == 202)
    wait_status(client, answers[winner].json()["job_id"], "done", desk)
    if winner == 1:  # the redraft won: the story is rejected and one new draft is queued
        wait_for(lambda: effects(client, cluster["id"])["stories"] == 2, 60, "the redrafted story")
    found = effects(client, cluster["id"])
    drafts = [j for j in found["job_items"] if j["kind"] == "draft"]
    reviews = [j for j in found["job_items"] if j["kind"] == "review"]
    assert len(reviews) == 1
    assert len(drafts) == (2 if winner == 1 else 1) and found["stories"] == len(drafts)
    status = client.get(f"/api/stories/{story_id}").json()["review"]["status"]
    assert status == ("rejected" if winner == 1 else "approved")
    print(f"winner: {'redraft' if winner else 'approve'}; jobs {found['jobs']}")
    record(
        "a resume and a redraft of one story at once",
        tried=1,
        outcome="one 202, one 409; the winner applied once",
        jobs=found["jobs"],
        stories=found["stories"],
        revisions=sum(len(r) for r in found["revisions"].values()),
        note=f"winner {'redraft' if winner else 'approve'}",
    )


def test_same_draft_triggered_from_two_server_processes_is_one_job(sqlite_desk: Running) -> None:
    desk = sqlite_desk
    port = free_port()
    second_url = f"http://127.0.0.1:{port}"
    replica = start(["serve", "--port", str(port)], desk.env, desk.logs / "serve-b.log")
    desk.workers.append(replica)  # stopped with the rest
    wait_for(lambda: server_up(second_url), 60, "the second server")
    client = desk.client()
    cluster = example_cluster()
    client.post("/api/clusters", json=cluster)
    headers = {"Authorization": f"Bearer {desk.token}"}
    clients = [
        httpx.Client(base_url=u, headers=headers, timeout=30) for u in (desk.url, second_url)
    ]
    path = f"/api/clusters/{cluster['id']}/drafts"
    answers = _at_once([lambda c=c: c.post(path) for c in clients for _ in range(3)])
    assert all(a.status_code in (200, 202) for a in answers), [a.text for a in answers]
    assert len({a.json()["job_id"] for a in answers}) == 1
    assert sorted(a.json()["created"] for a in answers).count(True) == 1
    assert client.get("/api/jobs", params={"kind": "draft"}).json()["total"] == 1
    record(
        "the same draft triggered 6x from two server processes",
        tried=6,
        outcome="one job (1 created, 5 returned it)",
        jobs=1,
    )
