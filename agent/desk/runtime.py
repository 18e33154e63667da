"""What the server and the workers share: the store's engine, the queue, the story agent."""

from __future__ import annotations

import importlib
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from agent.desk.config import DeskSettings
from agent.errors import ConfigError
from agent.schemas import Story
from agent.settings import Settings
from agent.store.db import make_engine, migrate, pg_pool_options
from agent.store.jobs import Jobs
from agent.store.users import Users

TEST_BACKEND = "STORYDESK_TEST_BACKEND"
"""Test-only: `module:function` returning a model backend (a scripted FakeModel) that the
worker uses instead of the configured model, so end-to-end tests run real processes without
a real model. Never set it in production."""

TEST_KILL_AT = "STORYDESK_TEST_KILL_AT"
"""Test-only: the name of a point in the server's handling of a review (`review:checked`
before its transaction, `review:in_transaction` after its rows are written and before the
commit, `review:recorded` after the commit and before its job id is sent); the server SIGKILLs
itself there, so the crash tests can die at each. Read only by `test_kill_at`; never set it in
production."""


def test_kill_at(point: str) -> None:
    """Kill this process at the point named by STORYDESK_TEST_KILL_AT (tests only)."""
    if point == os.environ.get(TEST_KILL_AT):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class Desk:
    """The store's engine and the desk's tables over it, opened (and migrated) once."""

    settings: Settings
    desk: DeskSettings
    engine: Engine
    jobs: Jobs
    users: Users
    _queue: Any = field(default=None, repr=False)
    _graph: Any = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, desk: DeskSettings | None = None) -> Desk:
        """Open the store named by the settings, creating or upgrading its tables."""
        # The data dir holds the store, checkpoints and queue: only its owner may read it.
        # Created here, before the SQLite engine would create it with the umask's mode.
        if not settings.data_dir.exists():
            try:
                settings.data_dir.mkdir(parents=True, mode=0o700)
            except OSError as error:
                raise ConfigError(
                    f"cannot create the data dir {settings.data_dir} ({error.strerror}); set "
                    "STORYDESK_DATA_DIR to a writable folder"
                ) from None
        engine = make_engine(settings.db_url, settings)
        migrate(engine)
        return cls(settings, desk or DeskSettings(), engine, Jobs(engine), Users(engine))

    @property
    def queue(self) -> Any:
        """The job queue (agent.desk.queue.JobQueue), opened on first use."""
        if self._queue is None:
            from agent.desk.queue import make_queue

            self._queue = make_queue(self.settings)
        return self._queue

    def thread_values(self, thread_id: str) -> dict[str, Any]:
        """Read a draft thread's latest checkpoint (what the web side needs of the graph)."""
        if self._graph is None:
            from agent.graph import build_graph

            self._graph = build_graph().compile(checkpointer=make_checkpointer(self.settings))
        values = self._graph.get_state({"configurable": {"thread_id": thread_id}}).values
        return dict(values or {})

    def enqueue(self, job_id: str, priority: int = 0) -> bool:
        """Send a job id to the queue; False when the queue is down (the reaper resends it)."""
        return bool(self.queue.send(job_id, priority))


CHECKPOINT_WAIT_SECONDS = 10.0
"""How long a checkpoint read or write waits for a PostgreSQL connection (a database that is
briefly away) before the attempt fails and the job is retried."""


def make_checkpointer(settings: Settings) -> Any:
    """Open the graph's checkpointer: PostgreSQL when the store is, else the SQLite file."""
    url = settings.db_url
    if url.startswith(("postgresql", "postgres:")):
        try:
            from langgraph.checkpoint.postgres import PostgresSaver
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool, PoolTimeout
        except ImportError:
            raise ConfigError(
                "PostgreSQL checkpoints need pip install 'storydesk[postgres]'"
            ) from None
        plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
        # A pool, not one connection: a connection the server dropped (a restart, a network
        # cut) is checked on the way out and replaced, so the worker carries on once the
        # database is back instead of failing every job on a closed connection.
        # Bounded like the store's connections: a frozen server fails the step in seconds.
        bounded = pg_pool_options(settings)
        pool: ConnectionPool[Any] = ConnectionPool(
            plain,
            connection_class=bounded["connection_class"],
            kwargs={
                **bounded["kwargs"],
                "autocommit": True,
                "prepare_threshold": 0,
                "row_factory": dict_row,
            },
            configure=bounded["configure"],
            min_size=1,
            max_size=4,
            check=ConnectionPool.check_connection,
            timeout=CHECKPOINT_WAIT_SECONDS,
            open=True,
        )
        try:
            pool.wait(timeout=CHECKPOINT_WAIT_SECONDS)
        except PoolTimeout:
            pool.close()
            raise ConfigError(
                f"cannot open the checkpoints at {url} (no connection in "
                f"{CHECKPOINT_WAIT_SECONDS:g} s); check STORYDESK_DATABASE_URL and that the "
                "database server is running"
            ) from None
        saver = PostgresSaver(pool)
        saver.setup()
        return saver
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = settings.checkpoint_path
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Several worker processes share the file: WAL and a long busy timeout let them take
        # turns instead of failing with "database is locked".
        lite = sqlite3.connect(str(path), check_same_thread=False, timeout=60)
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute("PRAGMA synchronous=NORMAL")  # sync at WAL checkpoints, not every step
    except (OSError, sqlite3.Error) as error:
        raise ConfigError(
            f"cannot open the checkpoint database {path} ({error}); set STORYDESK_DATA_DIR "
            "to a writable folder"
        ) from None
    return SqliteSaver(lite)


def test_backend() -> Any | None:
    """Return the test-only scripted backend named by STORYDESK_TEST_BACKEND, if set."""
    spec = os.environ.get(TEST_BACKEND)
    if not spec:
        return None
    module, _, name = spec.partition(":")
    if not name:
        raise ConfigError(f"{TEST_BACKEND} must be module:function, not {spec!r}")
    return getattr(importlib.import_module(module), name)()


class RevisionStore:
    """The store the graph's finalize node writes to: revisions land once, by story id and
    revision, so a node that runs twice writes nothing twice."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._store: Any = None

    def _articles(self) -> Any:
        if self._store is None:
            from agent.store.store import Store

            self._store = Store(self.desk.engine)
        return self._store

    def get_cluster(self, cluster_id: str) -> Any:
        """Return a cluster of the article store (for drafts by cluster id)."""
        return self._articles().get_cluster(cluster_id)

    def registry(self) -> Any:
        """Return the outlet registry with the ratings imported into the store."""
        return self._articles().registry()

    def save_story(self, story: Story) -> None:
        """Record a revision once; a repeat only moves the story's status."""
        author, kind = revision_author(story)
        with self.desk.engine.begin() as connection:
            self.desk.jobs.record_revision(connection, story, author=author, kind=kind, job_id=None)


def revision_author(story: Story) -> tuple[str, str]:
    """Who made a revision: the model for the first, the reviewer for an edit."""
    if story.revision == 1:
        return f"{story.provenance.backend}/{story.provenance.model}", "model"
    return story.review.reviewer or "editor", "editor"
