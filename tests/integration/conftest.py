"""Fixtures of the integration tests: real desk processes (`storydesk serve`, `storydesk worker`)
over the defaults (SQLite + SqliteHuey) and over PostgreSQL + Redis (skipped, saying why, when
those are absent)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.desk.helpers import Running, pg_schema, redis_url_or_skip, serve


@pytest.fixture(params=["defaults", "postgres+redis"])
def engines(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    if request.param == "defaults":
        yield {}
        return
    redis_url = redis_url_or_skip()
    for url in pg_schema():
        yield {"STORYDESK_DATABASE_URL": url, "STORYDESK_QUEUE_URL": redis_url}


@pytest.fixture
def desk(tmp_path: Path, engines: dict[str, str]) -> Iterator[Running]:
    yield from serve(tmp_path, engines)


@pytest.fixture
def sqlite_desk(tmp_path: Path) -> Iterator[Running]:
    yield from serve(tmp_path, {})
