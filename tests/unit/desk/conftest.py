"""An in-process desk: the app under TestClient, and a Runner that runs queued jobs on demand
with the scripted model (no consumer process: the tests decide when a job runs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.desk.app import create_app
from agent.desk.config import DeskSettings
from agent.desk.runtime import Desk
from agent.desk.worker import Runner
from agent.settings import Settings
from tests.conftest import EXAMPLES
from tests.desk_support import BACKEND


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


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setenv("STORYDESK_TEST_BACKEND", BACKEND)
    settings = Settings(data_dir=tmp_path / "data", cache=False)
    app = create_app(settings, DeskSettings(lease_seconds=30, backoff_seconds=0, max_attempts=2))
    desk: Desk = app.state.desk
    tokens = {
        role: desk.users.add(f"{role} user", role)[1] for role in ("viewer", "editor", "admin")
    }
    with TestClient(app) as client:
        yield Harness(desk, client, Runner(desk, name="test-worker"), tokens)
