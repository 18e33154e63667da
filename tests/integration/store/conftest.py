"""PostgreSQL fixtures: each test gets a fresh schema on the server, dropped afterwards.

The server is STORYDESK_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test); the
tests skip, saying why, when it cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.settings import Settings
from agent.store.db import open_store
from agent.store.store import Store

PG_URL = os.environ.get("STORYDESK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _connect(url: str) -> object:
    import psycopg

    return psycopg.connect(url, connect_timeout=3, autocommit=True)


@pytest.fixture(scope="session")
def pg_server() -> str:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install 'storydesk[postgres]'")
    try:
        connection = _connect(PG_URL)
    except Exception as error:  # noqa: BLE001 - any failure means: no server to test against
        pytest.skip(
            f"PostgreSQL not reachable at {PG_URL} ({str(error).strip()}); "
            "set STORYDESK_TEST_PG_URL to a server you can use"
        )
    connection.close()  # type: ignore[attr-defined]
    return PG_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    from sqlalchemy.engine import make_url

    schema = f"storydesk_test_{uuid.uuid4().hex[:12]}"
    connection = _connect(pg_server)
    connection.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[attr-defined]
    url = make_url(pg_server).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')  # type: ignore[attr-defined]
        connection.close()  # type: ignore[attr-defined]


@pytest.fixture
def pg_settings(pg_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=pg_url, cache=False)


@pytest.fixture
def pg_store(pg_settings: Settings) -> Iterator[Store]:
    store = open_store(pg_settings)
    try:
        yield store
    finally:
        store.close()
