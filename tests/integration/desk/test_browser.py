"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) clicks through the desk:
log in -> queue -> draft -> story -> edit -> approve, and saves a screenshot of the story page
to out/desk-story.png."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.desk_support import ROOT
from tests.integration.desk.helpers import Running, example_cluster

CHROMIUM = (
    os.environ.get("STORYDESK_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "out" / "desk-story.png"


@pytest.fixture
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def test_log_in_draft_edit_approve_in_the_browser(sqlite_desk: Running, browser: Any) -> None:
    desk = sqlite_desk
    desk.worker("worker")
    cluster = example_cluster()
    with desk.client() as client:
        assert client.post("/api/clusters", json=cluster).status_code == 201

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(f"{desk.url}/")
    assert "/login" in page.url  # no session yet
    page.fill("#token", desk.token)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("h1:has-text('Queue')")

    cluster_row = page.locator("table.clusters tr", has_text=cluster["id"])
    cluster_row.locator("button:has-text('Draft')").click()
    # The queue polls the running job and reloads when it reaches review.
    page.wait_for_selector("tr.status-needs_review a")
    page.locator("tr.status-needs_review a").first.click()
    page.wait_for_selector("section.meter")
    assert "Timeline of Events" in page.content()

    page.click("a:has-text('Edit')")
    page.wait_for_selector("form.edit")
    edited = "The meeting at the Pentagon lasted about 50 minutes, officials said."
    page.fill("#summary-1-text", edited)
    page.click("button:has-text('Check the edit')")
    page.wait_for_selector(".check-result")
    assert "Every claim of the edit is supported" in page.inner_text(".check-result")
    assert page.input_value("#summary-1-text") == edited
    page.fill("#note", "attribution added")
    page.click("button:has-text('Save revision 2')")
    # The story page polls the edit's job and reloads when revision 2 is there.
    page.wait_for_selector("text=revision 2", timeout=60_000)
    page.wait_for_selector("button.approve")
    assert edited in page.inner_text("section.summary")

    page.click("button.approve")
    page.wait_for_selector("p.decided", timeout=60_000)
    assert "Approved by Rachel Morgan" in page.inner_text("p.decided")
    assert "reviewed by Rachel Morgan" in page.inner_text("p.byline")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000
