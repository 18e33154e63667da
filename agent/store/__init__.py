"""The article store: articles, outlets, story clusters, stories and their revisions.

`open_store(settings)` opens (and on first use creates or migrates) the database named by
`settings.db_url`: a SQLite file by default, PostgreSQL for a postgresql:// URL.
"""

from __future__ import annotations

from pathlib import Path

from agent.checks.meter import blindspot_side
from agent.settings import Settings
from agent.store.blindspot import BlindspotReport
from agent.store.db import make_engine, migrate
from agent.store.sources import SourceRecord, SourceRegistry
from agent.store.store import ClusterSummary, RelatedStory, Store


def open_store(settings: Settings) -> Store:
    """Open the store named by the settings, creating or upgrading its tables first."""
    engine = make_engine(settings.db_url)
    migrate(engine)
    return Store(engine)


def stored_registry(settings: Settings) -> SourceRegistry:
    """Return the source registry with the store's imported ratings, if the store exists.

    A SQLite store that was never created holds no imports: the packaged registry answers, and
    no database file is made for it.
    """
    url = settings.db_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return SourceRegistry.default()
    with open_store(settings) as store:
        return store.registry()


__all__ = [
    "BlindspotReport",
    "ClusterSummary",
    "RelatedStory",
    "SourceRecord",
    "SourceRegistry",
    "Store",
    "blindspot_side",
    "open_store",
    "stored_registry",
]
