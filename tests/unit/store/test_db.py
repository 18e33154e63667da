"""Migrations: the models match them, upgrades are idempotent, data survives reopening."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from agent.errors import ConfigError
from agent.settings import Settings
from agent.store.db import (
    current_revision,
    engine_url,
    head_revision,
    make_engine,
    migrate,
    open_store,
)
from agent.store.models import metadata
from tests.unit.store.helpers import make_story


def test_models_match_the_migrations(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    assert current_revision(engine) == head_revision()


def test_default_store_is_a_sqlite_file_in_the_data_dir(settings: Settings) -> None:
    store = open_store(settings)
    store.save_story(make_story())
    store.close()
    assert (settings.data_dir / "storydesk.sqlite").exists()
    reopened = open_store(settings)  # migrating again is a no-op and keeps the data
    assert reopened.get_story("s-1").title == "Ferry capsizes"
    reopened.close()


def test_urls() -> None:
    assert engine_url("postgresql://u@h:5432/db") == "postgresql+psycopg://u@h:5432/db"
    assert engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"
    with pytest.raises(ConfigError, match="supports sqlite"):
        make_engine("mysql://u@h/db")
    with pytest.raises(ConfigError, match="not a database URL"):
        make_engine("not a url")


def test_unreachable_server_is_a_config_error() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(ConfigError, match="cannot open the article store.*STORYDESK_DATABASE_URL"):
        migrate(engine)


def test_upgrading_keeps_every_row(tmp_path: Path) -> None:
    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    migrate(engine, "0001")
    assert current_revision(engine) == "0001"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clusters (id, title, status, size, unique_size, first_at, last_at, "
                "mean_at, centroid, title_score, edited, created_at, updated_at) VALUES ('c-1', "
                "'Ferry', 'active', 1, 1, '2026-01-15 09:00:00', '2026-01-15 09:00:00', "
                "'2026-01-15 09:00:00', '{\"ferry\": 1.0}', 0, 0, '2026-01-15 09:00:00', "
                "'2026-01-15 09:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO articles (id, identity, outlet, title, text, published_at, "
                "content_hash, ingested_at, cluster_id) VALUES ('a1', 'h:x', 'Reuters', 'Ferry', "
                "'A ferry capsized.', '2026-01-15 09:00:00', 'x', '2026-01-15 09:00:00', 'c-1')"
            )
        )
    migrate(engine)
    assert current_revision(engine) == head_revision() != "0001"
    with engine.connect() as connection:
        row = connection.execute(text("SELECT id, title, centroid, embedding FROM clusters")).one()
        assert (row.id, row.title, row.embedding) == ("c-1", "Ferry", None)
        assert connection.execute(text("SELECT cluster_id FROM articles")).scalar_one() == "c-1"
