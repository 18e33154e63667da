"""The editors' pages: log in once with a token, a signed HttpOnly SameSite session, CSRF on
every form that changes state, article text shown as text."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.unit.desk.helpers import Harness, csrf, example_cluster, login


def test_pages_need_a_session_and_the_login_needs_its_form(harness: Harness) -> None:
    away = harness.client.get("/", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login")
    forged = harness.client.post(
        "/login", data={"token": harness.tokens["editor"], "nonce": "x"}, follow_redirects=False
    )
    assert forged.status_code == 403
    harness.client.get("/login")
    wrong = harness.client.post("/login", data={"token": "sd_wrong", "nonce": "x"})
    assert wrong.status_code == 403
    login(harness)
    assert harness.client.get("/").status_code == 200
    harness.client.cookies.clear()
    harness.client.cookies.set("storydesk_session", "tampered.value.here")
    assert harness.client.get("/", follow_redirects=False).status_code == 303


def test_state_changing_forms_need_the_csrf_token(harness: Harness) -> None:
    cluster = example_cluster()
    harness.client.post("/api/clusters", json=cluster, headers=harness.headers())
    login(harness)
    queue = harness.client.get("/")
    assert cluster["id"] in queue.text
    missing = harness.client.post(f"/clusters/{cluster['id']}/draft", data={})
    assert missing.status_code == 403
    cross = harness.client.post(
        f"/clusters/{cluster['id']}/draft",
        data={"csrf": csrf(queue.text)},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403 and "cross-site" in cross.text
    assert harness.desk.jobs.counts()["queued"] == 0
    ok = harness.client.post(f"/clusters/{cluster['id']}/draft", data={"csrf": csrf(queue.text)})
    assert ok.status_code == 200 and harness.desk.jobs.counts()["queued"] == 1


def test_viewers_see_but_cannot_act(harness: Harness) -> None:
    story_id = harness.drafted()
    login(harness, "viewer")
    page = harness.client.get(f"/stories/{story_id}")
    assert page.status_code == 200 and 'value="approve"' not in page.text
    assert harness.client.get(f"/stories/{story_id}/edit").status_code == 403
    refused = harness.client.post(
        f"/stories/{story_id}/review",
        data={"csrf": csrf(page.text), "action": "approve", "revision": "1"},
    )
    assert refused.status_code == 403


def test_story_page_layout_and_escaping(harness: Harness) -> None:
    cluster = example_cluster()
    cluster["articles"][0]["title"] = "<script>alert('x')</script> Okinawa residents"
    story_id = harness.drafted(cluster)
    login(harness)
    page = harness.client.get(f"/stories/{story_id}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    for heading in (
        "Media Bias Meter",
        "Timeline of Events",
        "Who Benefited",
        "Who Impacted",
        "Coverage of Story:",
        "From Left",
        "From Center",
        "From Right",
    ):
        assert heading in page, heading
    assert "INTERNATIONAL" in page and "Neutral Sentiment" in page
    assert re.search(r'class="bar".*?Left \d+%', page, re.S)
    assert 'class="cite" href="https://' in page  # markers link to the cited articles
    assert "not yet reviewed" in page


def test_edit_form_round_trip_and_history(harness: Harness) -> None:
    story_id = harness.drafted()
    login(harness)
    form_page = harness.client.get(f"/stories/{story_id}/edit")
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form_page.text))
    texts = dict(
        re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form_page.text)
    )
    # As a browser would send them: the page's entities decoded.
    data: dict[str, Any] = {k: html.unescape(v) for k, v in {**fields, **texts}.items()}
    data["category"], data["sentiment"] = "International", "neutral"
    data["summary-1-text"] = "The meeting at the Pentagon lasted about 50 minutes, officials said."
    data["who_impacted-0-remove"] = "on"
    data["summary-2-text"] = "Koizumi also met Vice President JD Vance at the White House 12 times."
    checked = harness.client.post(f"/stories/{story_id}/edit", data={**data, "intent": "check"})
    assert checked.status_code == 200 and "Fact-check of this edit (not saved yet)" in checked.text
    assert "summary #3" in checked.text and "12" in checked.text
    assert "12 times." in checked.text  # the checked text stays in the form
    assert harness.desk.jobs.counts()["queued"] == 0
    data["summary-2-text"] = (
        "Koizumi also met Vice President JD Vance at the White House on Thursday."
    )
    answer = harness.client.post(
        f"/stories/{story_id}/edit", data={**data, "intent": "save"}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    pending = harness.client.get(f"/stories/{story_id}")
    assert "data-poll-job" in pending.text
    assert harness.run_queued() == ["done"]
    story = harness.client.get(f"/api/stories/{story_id}", headers=harness.headers()).json()
    assert story["revision"] == 2 and story["who_impacted"] == []
    assert story["summary"][1]["text"].endswith("officials said.")
    history = harness.client.get(f"/stories/{story_id}/history").text
    assert "officials said." in history and 'class="add"' in history and "editor user" in history
    page = harness.client.get(f"/stories/{story_id}").text
    approve = harness.client.post(
        f"/stories/{story_id}/review",
        data={"csrf": csrf(page), "action": "approve", "revision": "2"},
        follow_redirects=False,
    )
    assert approve.status_code == 303, approve.text[-600:]
    assert harness.run_queued() == ["done"]
    assert "Approved by editor user" in harness.client.get(f"/stories/{story_id}").text


def test_failed_jobs_show_their_reason_and_retry_from_the_page(harness: Harness) -> None:
    story_id = harness.drafted()
    login(harness)
    page = harness.client.get(f"/stories/{story_id}").text
    harness.client.post(
        f"/stories/{story_id}/review",
        data={"csrf": csrf(page), "action": "approve", "revision": "1"},
    )
    (job,), _ = harness.desk.jobs.find(status="queued")
    assert harness.desk.jobs.claim(job.id, "w", 30) is not None
    harness.desk.jobs.give_up_or_retry(
        job.id, "w", "the checkpoint database was locked", 0, final=True
    )
    queue = harness.client.get("/", params={"status": "failed"}).text
    assert "the checkpoint database was locked" in queue and "Retry" in queue
    story_page = harness.client.get(f"/stories/{story_id}").text
    assert "the checkpoint database was locked" in story_page
    answer = harness.client.post(
        f"/jobs/{job.id}/retry",
        data={"csrf": csrf(story_page), "next": f"/stories/{story_id}"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/stories/{story_id}"
    assert harness.run_queued() == ["done"]
    assert "Approved by editor user" in harness.client.get(f"/stories/{story_id}").text
