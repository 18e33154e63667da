"""Review as resume jobs: every decision names its revision, edits are new revisions that are
fact-checked again, an override of a failing check is recorded, stale answers get 409."""

from __future__ import annotations

from typing import Any

from tests.unit.desk.helpers import Harness


def _story(harness: Harness, story_id: str) -> dict[str, Any]:
    data: dict[str, Any] = harness.client.get(
        f"/api/stories/{story_id}", headers=harness.headers()
    ).json()
    return data


def _review(harness: Harness, story_id: str, **body: Any) -> Any:
    return harness.client.post(
        f"/api/stories/{story_id}/review", json=body, headers=harness.headers()
    )


def _edit_summary(harness: Harness, story_id: str, index: int, text: str, revision: int) -> Any:
    summary = _story(harness, story_id)["summary"]
    summary[index]["text"] = text
    return _review(harness, story_id, action="edit", revision=revision, story={"summary": summary})


def test_a_failing_edit_needs_an_override_and_the_override_is_recorded(harness: Harness) -> None:
    story_id = harness.drafted()
    answer = _edit_summary(
        harness, story_id, 1, "The meeting at the Pentagon lasted about 95 minutes.", 1
    )
    assert answer.status_code == 202
    assert harness.run_queued() == ["done"]
    story = _story(harness, story_id)
    assert story["revision"] == 2
    flags = [f for f in story["review"]["flags"] if f["kind"] == "edit"]
    assert flags and flags[0]["section"] == "summary" and flags[0]["index"] == 1

    refused = _review(harness, story_id, action="approve", revision=2)
    assert refused.status_code == 409 and "override" in refused.json()["error"]
    approved = _review(harness, story_id, action="approve", revision=2, override=True)
    assert approved.status_code == 202
    assert harness.run_queued() == ["done"]
    revisions = harness.client.get(
        f"/api/stories/{story_id}/revisions", headers=harness.headers()
    ).json()
    decision = revisions["items"][1]["decision"]
    assert decision["action"] == "approve" and decision["by"] == "editor user"
    assert (
        decision["overrides"][0]["by"] == "editor user" and decision["overrides"][0]["index"] == 1
    )
    assert _story(harness, story_id)["review"]["status"] == "approved"


def test_stale_and_repeated_decisions(harness: Harness) -> None:
    story_id = harness.drafted()
    first = _edit_summary(
        harness, story_id, 0, "Koizumi and Hegseth met at the Pentagon on Thursday.", 1
    )
    assert first.status_code == 202
    # The same submission again: the first answer, not a second revision.
    summary = _story(harness, story_id)["summary"]
    summary[0]["text"] = "Koizumi and Hegseth met at the Pentagon on Thursday."
    repeat = _review(harness, story_id, action="edit", revision=1, story={"summary": summary})
    assert repeat.status_code == 200 and repeat.json()["job_id"] == first.json()["job_id"]
    contrary = _review(harness, story_id, action="approve", revision=1)
    assert contrary.status_code == 409
    assert harness.run_queued() == ["done"]
    ahead = _review(harness, story_id, action="approve", revision=3)
    assert ahead.status_code == 409 and "not the latest" in ahead.json()["error"]
    revisions = harness.client.get(
        f"/api/stories/{story_id}/revisions", headers=harness.headers()
    ).json()
    assert [(r["revision"], r["kind"], r["author"]) for r in revisions["items"]] == [
        (1, "model", "fake/fake-model"),
        (2, "editor", "editor user"),
    ]
    diff = harness.client.get(
        f"/api/stories/{story_id}/diff", params={"a": 1, "b": 2}, headers=harness.headers()
    ).json()["diff"]
    assert any(line.startswith("+summary 1: Koizumi and Hegseth met") for line in diff)
    assert any(line.startswith("-summary 1:") for line in diff)  # the drafted line it replaced


def test_bad_edits_are_refused_with_what_to_fix(harness: Harness) -> None:
    story_id = harness.drafted()
    summary = _story(harness, story_id)["summary"]
    summary[0]["citations"] = ["a99"]
    stray = _review(harness, story_id, action="edit", revision=1, story={"summary": summary})
    assert stray.status_code == 422 and "a99" in stray.json()["error"]
    same = _review(
        harness,
        story_id,
        action="edit",
        revision=1,
        story={"title": _story(harness, story_id)["title"]},
    )
    assert same.status_code == 422 and "changes nothing" in same.json()["error"]
    unknown = _review(harness, story_id, action="edit", revision=1, story={"colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.json()["error"]
    no_reason = _review(harness, story_id, action="reject", revision=1)
    assert no_reason.status_code == 422 and "note" in no_reason.json()["error"]
    assert harness.desk.jobs.actions(story_id) == []  # nothing was recorded


def test_reject_and_redraft(harness: Harness) -> None:
    story_id = harness.drafted()
    answer = _review(harness, story_id, action="redraft", revision=1, note="too thin on the right")
    assert answer.status_code == 202
    assert harness.run_queued() == ["done"]
    old = _story(harness, story_id)
    assert (
        old["review"]["status"] == "rejected" and old["review"]["notes"] == "too thin on the right"
    )
    drafts, total = harness.desk.jobs.find(kind="draft")
    assert total == 2 and drafts[0].status == "queued" and drafts[0].story_id != story_id
    assert harness.run_queued() == ["needs_review"]
    stories = harness.client.get(
        "/api/stories", params={"status": "needs_review"}, headers=harness.headers()
    ).json()
    assert [s["id"] for s in stories["items"]] == [drafts[0].story_id]


def test_lists_filter_and_page(harness: Harness) -> None:
    story_id = harness.drafted()
    headers = harness.headers("viewer")
    clusters = harness.client.get("/api/clusters", params={"side": "left"}, headers=headers).json()
    assert clusters["total"] == 1 and "left" in clusters["items"][0]["sides"]
    none = harness.client.get(
        "/api/clusters", params={"since": "2030-01-01T00:00:00Z"}, headers=headers
    ).json()
    assert none["total"] == 0
    stories = harness.client.get(
        "/api/stories", params={"side": "center", "limit": 1}, headers=headers
    ).json()
    assert stories["total"] == 1 and stories["items"][0]["id"] == story_id
    bad = harness.client.get("/api/stories", params={"side": "up"}, headers=headers)
    assert bad.status_code == 422 and "left, center, right" in bad.json()["error"]
    jobs = harness.client.get("/api/jobs", params={"limit": 1, "offset": 1}, headers=headers).json()
    assert jobs["total"] == 1 and jobs["items"] == []
    missing = harness.client.get("/api/stories/nope", headers=headers)
    assert missing.status_code == 404 and "nope" in missing.json()["error"]


def test_an_edit_is_fact_checked_before_it_is_saved(harness: Harness) -> None:
    story_id = harness.drafted()
    summary = _story(harness, story_id)["summary"]
    summary[1]["text"] = "The meeting at the Pentagon lasted about 95 minutes."
    check = harness.client.post(
        f"/api/stories/{story_id}/check",
        json={"story": {"summary": summary}},
        headers=harness.headers(),
    )
    assert check.status_code == 200, check.text
    failing = check.json()["failing"]
    assert [(f["section"], f["index"]) for f in failing] == [("summary", 1)]
    assert "95" in failing[0]["message"]
    summary[1]["text"] = "The meeting at the Pentagon lasted about 50 minutes, officials said."
    fine = harness.client.post(
        f"/api/stories/{story_id}/check",
        json={"story": {"summary": summary}},
        headers=harness.headers(),
    )
    assert fine.json()["failing"] == []
    # Checking saves nothing and queues nothing.
    assert harness.desk.jobs.actions(story_id) == []
    assert [r["revision"] for r in harness.desk.jobs.revisions(story_id)] == [1]
    assert harness.desk.jobs.counts()["queued"] == 0
