"""The in-process desk of the unit tests: the app under TestClient, and a Runner that runs queued
jobs on demand with the scripted model (no consumer process: the tests decide when a job runs)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from agent.desk.runtime import Desk
from agent.desk.worker import Runner
from tests.helpers import EXAMPLES


@dataclass
class Harness:
    desk: Desk
    client: TestClient
    runner: Runner
    tokens: dict[str, str]

    def headers(self, role: str = "editor") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def run_queued(self) -> list[str]:
        """Run every queued job once, highest priority first; return what became of each."""
        jobs, _ = self.desk.jobs.find(status="queued", limit=100)
        return [self.runner.run(job.id) for job in jobs]

    def drafted(self, cluster: dict[str, Any] | None = None) -> str:
        """Post the example cluster, draft it to review; return the story id."""
        cluster = cluster or example_cluster()
        assert (
            self.client.post("/api/clusters", json=cluster, headers=self.headers()).status_code
            == 201
        )
        answer = self.client.post(f"/api/clusters/{cluster['id']}/drafts", headers=self.headers())
        assert answer.status_code == 202, answer.text
        assert self.runner.run(answer.json()["job_id"]) == "needs_review"
        return str(answer.json()["story_id"])


def example_cluster() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / "koizumi-hegseth.json").read_text("utf-8"))
    return data


def login(harness: Harness, role: str = "editor") -> None:
    page = harness.client.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce, page.text
    answer = harness.client.post(
        "/login",
        data={"token": harness.tokens[role], "nonce": nonce.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["set-cookie"]
    assert "storydesk_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)
