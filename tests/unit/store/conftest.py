"""Fixtures for the article-store tests: a fresh SQLite store per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.settings import Settings
from agent.store.db import open_store
from agent.store.store import Store


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = open_store(settings)
    try:
        yield opened
    finally:
        opened.close()
