"""Engines and migrations: one code path for the SQLite file and for PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from agent.errors import ConfigError
from agent.settings import Settings
from agent.store.sources import SourceRegistry
from agent.store.store import Store

MIGRATIONS = Path(__file__).parent / "migrations"

# Any id will do as long as it is constant: it serialises concurrent first-time migrations.
_PG_MIGRATION_LOCK = 0x5D0C


def engine_url(url: str) -> str:
    """Map postgres:// and postgresql:// URLs to the psycopg 3 driver; leave others alone."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    """Create an engine for a store URL (creating the SQLite file's directory if needed).

    PostgreSQL connections are bounded by the settings' `db_connect_timeout` and `db_timeout`
    (their defaults when no settings are given): a server that stops answering fails the
    operation in seconds instead of hanging it (`agent.store.pgconn`)."""
    try:
        parsed = make_url(engine_url(url))
    except ArgumentError:
        raise ConfigError(
            f"STORYDESK_DATABASE_URL {url!r} is not a database URL; use sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DB"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"STORYDESK_DATABASE_URL uses {backend!r}; storydesk supports sqlite:/// and postgresql://"
        )
    kwargs: dict[str, Any] = {}
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        if parsed.get_driver_name() == "psycopg":
            try:
                import psycopg  # noqa: F401
            except ImportError:
                raise ConfigError(
                    "PostgreSQL needs the psycopg driver: pip install 'storydesk[postgres]'"
                ) from None
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as error:
        raise ConfigError(f"cannot use the database URL {url!r}: {error}") from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif parsed.get_driver_name() == "psycopg":
        _bound_connections(engine, settings or Settings())
    return engine


def _bound_connections(engine: Engine, settings: Settings) -> None:
    from agent.store.pgconn import BoundedConnection, libpq_params

    params = libpq_params(settings.db_connect_timeout, settings.db_timeout)

    def connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        # Parameters in the URL win over the settings.
        connection = BoundedConnection.connect(*cargs, **{**params, **cparams})
        connection.query_timeout = settings.db_timeout or None
        return connection

    event.listen(engine, "do_connect", connect)


def pg_pool_options(settings: Settings) -> dict[str, Any]:
    """What a psycopg pool needs to open connections bounded like the store's: its
    `connection_class`, the libpq parameters to add to its `kwargs`, and a `configure`."""
    from agent.store.pgconn import BoundedConnection, libpq_params

    def configure(connection: Any) -> None:
        connection.query_timeout = settings.db_timeout or None

    return {
        "connection_class": BoundedConnection,
        "kwargs": libpq_params(settings.db_connect_timeout, settings.db_timeout),
        "configure": configure,
    }


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the web desk) work while a clustering run writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # The default 2 MiB page cache thrashes once the indexes outgrow it (~20k articles).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # Checkpoint the write-ahead log every ~64 MiB rather than every 4 MiB: bulk runs rewrite
    # the same index pages many times over, and each checkpoint pays for them again.
    cursor.execute("PRAGMA wal_autocheckpoint=16384")
    cursor.close()


def alembic_config(engine: Engine | None = None) -> Config:
    """Return an Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


def head_revision() -> str | None:
    """Return the newest migration's revision id."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to `revision`; a no-op when it is already there."""
    head = head_revision()
    try:
        if revision == "head" and current_revision(engine) == head:
            return
        config = alembic_config(engine)
        with engine.begin() as connection:
            # A migration may rightly run long (an index over a big table): unbounded.
            raw: Any = connection.connection.dbapi_connection
            bound = getattr(raw, "query_timeout", None)
            if bound:
                raw.query_timeout = None
            try:
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
            finally:
                if bound:
                    raw.query_timeout = bound
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise ConfigError(
            f"cannot open the article store at {engine.url.render_as_string(hide_password=True)}: "
            f"{reason}; check STORYDESK_DATABASE_URL and that the database server is running"
        ) from None
    except SQLAlchemyError as error:
        raise ConfigError(f"cannot migrate the article store: {error}") from None


def open_store(settings: Settings) -> Store:
    """Open the store named by the settings, creating or upgrading its tables first."""
    engine = make_engine(settings.db_url, settings)
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
