"""Fixtures of the unit tests beyond the root ones: a fresh SQLite store per test, and the
in-process desk (tests/unit/desk, tests/unit/security)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.desk.app import create_app
from agent.desk.config import DeskSettings
from agent.desk.runtime import Desk
from agent.desk.worker import Runner
from agent.settings import Settings
from agent.store.db import open_store
from agent.store.store import Store
from tests.desk_support import BACKEND
from tests.unit.desk.helpers import Harness


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


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = open_store(settings)
    try:
        yield opened
    finally:
        opened.close()
