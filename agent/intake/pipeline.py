"""Runs over the store: ingest files and URLs, cluster new articles, rebuild edited clusters."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from operator import mul
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)

from agent.errors import ConfigError, InputError
from agent.intake.clustering import (
    CENTROID_TERMS,
    DEFAULT_HALF_LIFE_HOURS,
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW_HOURS,
    EMBEDDING_WEIGHT,
    Clusterer,
    LiveCluster,
    new_cluster_id,
)
from agent.intake.duplicates import recompute_duplicates
from agent.intake.embeddings import Encoder, embedding_text, unit
from agent.intake.features import Analyzer, BatchWeigher, Vector, Weigher
from agent.intake.ingest import IngestReport, Normalizer, expand, read_targets
from agent.intake.workers import Helper, analyze_batch, helper_count
from agent.store.models import utcnow
from agent.store.store import (
    ARTICLES,
    CLUSTER_TERMS,
    CLUSTERS,
    KEY_TERMS,
    META,
    TERM_STATS,
    Store,
    chunks,
    upsert,
)

Progress = Callable[[int], None]
"""Called with how many more articles were handled."""

INGEST_BATCH = 5000
_CLUSTER_LOCK = 0x5D0C1
"""PostgreSQL advisory lock id of clustering runs."""
CLUSTER_BATCH = 5000
PARALLEL_FROM = 8000


# --------------------------------------------------------------------------- ingest


def ingest(
    store: Store,
    targets: Sequence[str],
    *,
    assign_ids: bool = False,
    published_at: datetime | None = None,
    progress: Progress | None = None,
    on_problem: Callable[[str], None] | None = None,
) -> IngestReport:
    """Store the articles of files, directories and URLs; report what was skipped and why."""
    registry = store.registry()
    normalizer = Normalizer(registry, assign_ids=assign_ids, default_published_at=published_at)
    report = IngestReport()
    pending: list[dict[str, Any]] = []

    def problem(message: str) -> None:
        report.problems.append(message)
        if on_problem is not None:
            on_problem(message)

    def flush() -> None:
        if not pending:
            return
        result = store.add_articles(pending)
        report.stored += len(result.stored)
        report.stored_ids.extend(result.stored)
        report.already += result.already
        for message in result.problems:
            problem(message)
        if progress is not None:
            progress(len(pending))
        pending.clear()

    for record in read_targets(expand(targets), registry):
        report.read += 1
        if record.error is not None:
            problem(f"{record.where}: {record.error}")
            continue
        try:
            pending.append(normalizer.row(record))
        except ValueError as error:
            problem(f"{record.where}: {error}")
            continue
        if len(pending) >= INGEST_BATCH:
            flush()
    flush()
    return report


# --------------------------------------------------------------------------- clustering


@dataclass
class ClusterOptions:
    """Knobs of a clustering run."""

    threshold: float = DEFAULT_THRESHOLD
    embedding_weight: float = EMBEDDING_WEIGHT
    window_hours: float = DEFAULT_WINDOW_HOURS
    half_life_hours: float = DEFAULT_HALF_LIFE_HOURS
    batch: int = CLUSTER_BATCH
    workers: int | None = None
    """Helper processes for text analysis and dedup (default: one per spare core, at most 3)."""
    parallel_from: int = PARALLEL_FROM
    """Runs with fewer new articles than this stay in one process (starting workers costs)."""
    encoder: Encoder | None = None
    """Sentence-embedding model (see agent.intake.embeddings); None: TF-IDF only."""


@dataclass
class ClusterRunReport:
    """What a clustering run did."""

    articles: int = 0
    created: int = 0
    extended: int = 0
    seconds: float = 0.0
    touched: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds spent per phase (read, analyze, place, write, term stats, dedup)."""
    helpers: int = 0
    """Helper processes used."""

    def clock(self, phase: str, since: float) -> float:
        """Add the time since `since` to a phase; return now."""
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - since
        return now


def _epoch(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _rounded(weights: dict[str, float]) -> dict[str, float]:
    return {term: round(weight, 5) for term, weight in weights.items()}


def _key_terms(strongest: dict[str, float]) -> list[tuple[str, float]]:
    # `strongest` is in descending order (LiveCluster.strongest), so no sort is needed here.
    values = strongest.values()
    norm = math.sqrt(sum(map(mul, values, values))) or 1.0
    return [
        (term, round(weight / norm, 5)) for term, weight in islice(strongest.items(), KEY_TERMS)
    ]


def _write_clusters(
    connection: Connection, clusters: Sequence[LiveCluster], stored: set[str]
) -> None:
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    terms: list[tuple[str, str, float]] = []
    for cluster in clusters:
        centroid = cluster.strongest(CENTROID_TERMS)
        values = {
            "title": cluster.title,
            "size": cluster.size,
            "first_at": _when(cluster.first_at),
            "last_at": _when(cluster.last_at),
            "mean_at": _when(cluster.mean_at),
            "centroid": _rounded(centroid),
            "embedding": [round(v, 6) for v in cluster.dense] if cluster.dense else None,
            "title_score": cluster.title_score,
            "updated_at": now,
        }
        if cluster.id in stored:
            changed_rows.append({"b_id": cluster.id, **values})
        else:
            new_rows.append(
                {
                    "id": cluster.id,
                    "status": "active",
                    "merged_into": None,
                    "unique_size": cluster.size,
                    "edited": False,
                    "created_at": now,
                    **values,
                }
            )
            stored.add(cluster.id)
        cluster_id = cluster.id
        terms.extend((cluster_id, term, weight) for term, weight in _key_terms(centroid))
    if new_rows:
        connection.execute(insert(CLUSTERS), new_rows)
    if changed_rows:
        connection.execute(
            update(CLUSTERS)
            .where(CLUSTERS.c.id == bindparam("b_id"))
            .values({name: bindparam(name) for name in changed_rows[0] if name != "b_id"}),
            changed_rows,
        )
        for part in chunks([row["b_id"] for row in changed_rows]):
            connection.execute(delete(CLUSTER_TERMS).where(CLUSTER_TERMS.c.cluster_id.in_(part)))
    if terms:
        # Many small rows: straight to the driver, like _assign.
        marker = _marker(connection)
        connection.exec_driver_sql(
            f"INSERT INTO cluster_terms (cluster_id, term, weight) "
            f"VALUES ({marker}, {marker}, {marker})",
            terms,
        )


def _save_term_stats(connection: Connection, delta: Counter[str], documents: int) -> None:
    rows = [{"term": term, "df": count} for term, count in delta.items()]
    for part in chunks(rows, 5000):
        statement = upsert(connection, TERM_STATS)
        statement = statement.on_conflict_do_update(
            index_elements=["term"], set_={"df": TERM_STATS.c.df + statement.excluded.df}
        )
        connection.execute(statement, list(part))
    statement = upsert(connection, META).values(key="documents", value=str(documents))
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["key"], set_={"value": statement.excluded.value}
        )
    )


def _live_from_row(row: Any) -> LiveCluster:
    centroid = {term: float(weight) for term, weight in (row["centroid"] or {}).items()}
    return LiveCluster(
        id=row["id"],
        centroid=centroid,
        first_at=_epoch(row["first_at"]),
        last_at=_epoch(row["last_at"]),
        mean_at=_epoch(row["mean_at"]),
        size=row["size"],
        title=row["title"],
        title_score=row["title_score"],
        dense=[float(value) for value in row["embedding"]] if row["embedding"] else None,
    )


@contextmanager
def exclusive_run(engine: Engine) -> Iterator[None]:
    """Hold the store's clustering lock: two runs at once would place the same articles."""
    busy = InputError(
        "another `storydesk cluster` run is working on this store; wait for it to finish"
    )
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            if not connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": _CLUSTER_LOCK}
            ).scalar():
                raise busy
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _CLUSTER_LOCK})
                connection.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock, as before
        yield
        return
    with open(f"{database}.cluster-lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_clustering(
    store: Store, options: ClusterOptions | None = None, progress: Progress | None = None
) -> ClusterRunReport:
    """Place every article not yet in a cluster; earlier placements are never redone."""
    with exclusive_run(store.engine):
        return _run_clustering(store, options or ClusterOptions(), progress)


def _run_clustering(
    store: Store, options: ClusterOptions, progress: Progress | None
) -> ClusterRunReport:
    started = time.perf_counter()
    report = ClusterRunReport()
    engine = store.engine
    window = timedelta(hours=options.window_hours)
    with engine.connect() as connection:
        low, high, pending = connection.execute(
            select(
                func.min(ARTICLES.c.published_at), func.max(ARTICLES.c.published_at), func.count()
            ).where(ARTICLES.c.cluster_id.is_(None))
        ).one()
        if not pending:
            return report
        df, documents = store.term_stats(connection)
        existing = (
            connection.execute(
                select(CLUSTERS).where(
                    CLUSTERS.c.status == "active",
                    CLUSTERS.c.last_at >= low - window,
                    CLUSTERS.c.first_at <= high + window,
                )
            )
            .mappings()
            .all()
        )
    clusterer = Clusterer(
        threshold=options.threshold,
        embedding_weight=options.embedding_weight,
        window_hours=options.window_hours,
        half_life_hours=options.half_life_hours,
    )
    clusterer.load(_live_from_row(row) for row in existing)
    stored: set[str] = {row["id"] for row in existing}
    before = {row["id"]: row["size"] for row in existing}
    touched: set[str] = set()
    sizes: dict[str, int] = {}
    columns = (ARTICLES.c.id, ARTICLES.c.title, ARTICLES.c.text, ARTICLES.c.published_at)

    def fetch(after: tuple[datetime, str] | None) -> list[Any]:
        query = (
            select(*columns)
            .where(ARTICLES.c.cluster_id.is_(None))
            .order_by(ARTICLES.c.published_at, ARTICLES.c.id)
            .limit(options.batch)
        )
        if after is not None:
            query = query.where(tuple_(ARTICLES.c.published_at, ARTICLES.c.id) > tuple_(*after))
        with engine.connect() as connection:
            return list(connection.execute(query).all())

    helpers = (
        [Helper() for _ in range(helper_count(options.workers))]
        if pending >= options.parallel_from
        else []
    )
    report.helpers = len(helpers)
    # Articles are analysed and weighed in a helper when there is one, else here; `delta`
    # gathers the run's document frequencies either way.
    weighing = BatchWeigher(df, documents)
    delta = weighing.delta
    if helpers:
        helpers[0].submit("start weighing", (df, documents))
    try:
        # With a worker, the next batch is analysed there while this one is placed and written.
        mark = time.perf_counter()
        rows = fetch(None)
        mark = report.clock("read", mark)
        analysis = _analyze(rows, helpers)
        mark = report.clock("analyze", mark)
        while rows:
            following = fetch((rows[-1].published_at, rows[-1].id))
            mark = report.clock("read", mark)
            next_analysis = _analyze(following, helpers) if following else None
            mark = report.clock("analyze", mark)
            # Document frequencies count the whole batch before any article of it is weighed.
            if isinstance(analysis, Future):
                batch, weighed = analysis.result()
                delta.update(batch)
                vectors = [Vector(weights) for weights in weighed]
            else:
                vectors = weighing.weigh(analysis)
            documents += len(rows)
            mark = report.clock("analyze", mark)
            placed: dict[str, str] = {}
            dense = _embed(options.encoder, rows)
            for index, (row, vector) in enumerate(zip(rows, vectors, strict=True)):
                if dense is not None:
                    vector.dense = dense[index]

                def make_id(row: Any = row) -> str:
                    return new_cluster_id(row.id, row.title, row.published_at.date().isoformat())

                cluster, _ = clusterer.place(
                    row.id, vector, _epoch(row.published_at), row.title, make_id
                )
                placed[row.id] = cluster.id
            placed.update(clusterer.settle())
            changed = clusterer.take_changed()
            mark = report.clock("place", mark)
            with engine.begin() as connection:
                _write_clusters(connection, changed, stored)
                _assign(connection, placed)
            touched.update(cluster.id for cluster in changed)
            sizes.update((cluster.id, cluster.size) for cluster in changed)
            mark = report.clock("write", mark)
            report.articles += len(rows)
            if progress is not None:
                progress(len(rows))
            clusterer.sweep()
            rows, analysis = following, next_analysis  # type: ignore[assignment]
        with engine.begin() as connection:
            _save_term_stats(connection, delta, documents)
            mark = report.clock("term stats", mark)
            # A cluster of one has no copies to find (its counts were written with it).
            several = sorted(cluster_id for cluster_id in touched if sizes.get(cluster_id, 2) > 1)
            recompute_duplicates(connection, several, helpers)
        report.clock("dedup", mark)
    finally:
        for helper in helpers:
            helper.close()
    report.created = sum(1 for cluster_id in touched if cluster_id not in before)
    report.extended = len(touched) - report.created
    report.touched = sorted(touched)
    report.seconds = time.perf_counter() - started
    return report


def _marker(connection: Connection) -> str:
    # The driver's own placeholder, for statements sent past SQLAlchemy's per-row processing.
    return "%s" if connection.dialect.paramstyle in ("format", "pyformat") else "?"


def _assign(connection: Connection, placed: dict[str, str]) -> None:
    # The hottest statement of a run: straight to the driver, without per-row processing.
    marker = _marker(connection)
    connection.exec_driver_sql(
        f"UPDATE articles SET cluster_id = {marker} WHERE id = {marker}",
        [(cluster_id, article_id) for article_id, cluster_id in placed.items()],
    )


def _embed(encoder: Encoder | None, rows: Sequence[Any]) -> list[list[float]] | None:
    if encoder is None:
        return None
    vectors = encoder([embedding_text(row.title, row.text) for row in rows])
    if len(vectors) != len(rows):
        raise ConfigError(
            f"the embedding model returned {len(vectors)} vectors for {len(rows)} texts"
        )
    return [unit(vector) for vector in vectors]


Analyzed = list[dict[str, float]]


def _analyze(
    rows: Sequence[Any], helpers: Sequence[Helper]
) -> Future[tuple[Counter[str], list[dict[str, float]]]] | Analyzed:
    # In a helper, the batch is weighed there too (see workers.analyze_and_weigh).
    items = [(row.title, row.text) for row in rows]
    if not helpers:
        return analyze_batch(items)
    return helpers[0].submit("analyze and weigh", items)


def rebuild_clusters(connection: Connection, cluster_ids: Sequence[str], *, edited: bool) -> None:
    """Recompute centroids, titles, times and key terms of clusters from their articles."""
    analyzer = Analyzer()
    members = connection.execute(
        select(
            ARTICLES.c.id,
            ARTICLES.c.cluster_id,
            ARTICLES.c.title,
            ARTICLES.c.text,
            ARTICLES.c.published_at,
        )
        .where(ARTICLES.c.cluster_id.in_(list(cluster_ids)))
        .order_by(ARTICLES.c.published_at, ARTICLES.c.id)
    ).all()
    analyzed = {row.id: analyzer.counts(row.title, row.text) for row in members}
    terms = {term for counts in analyzed.values() for term in counts}
    df: dict[str, int] = {}
    for part in chunks(sorted(terms)):
        for term, value in connection.execute(
            select(TERM_STATS.c.term, TERM_STATS.c.df).where(TERM_STATS.c.term.in_(part))
        ):
            df[term] = int(value)
    documents = int(
        connection.execute(
            select(META.c.value).where(META.c.key == "documents")
        ).scalar_one_or_none()
        or 0
    )
    documents = max(documents, len(members))
    clusters: list[LiveCluster] = []
    weigher = Weigher(df, documents)
    for cluster_id in cluster_ids:
        rows = [row for row in members if row.cluster_id == cluster_id]
        if not rows:
            continue
        vectors: list[tuple[Any, Vector]] = []
        cluster = LiveCluster(
            id=cluster_id,
            centroid={},
            first_at=_epoch(rows[0].published_at),
            last_at=_epoch(rows[-1].published_at),
            size=0,
            title=rows[0].title,
        )
        for row in rows:
            vector = weigher.vector(analyzed[row.id])
            cluster.add(vector, _epoch(row.published_at))
            vectors.append((row, vector))
        best = max(
            vectors, key=lambda item: (cluster.similarity(item[1]), -_epoch(item[0].published_at))
        )
        cluster.title = best[0].title
        cluster.title_score = cluster.similarity(best[1])
        clusters.append(cluster)
    _write_clusters(connection, clusters, stored=set(cluster_ids))
    if edited:
        connection.execute(
            update(CLUSTERS).where(CLUSTERS.c.id.in_([c.id for c in clusters])).values(edited=True)
        )
    recompute_duplicates(connection, list(cluster_ids))
