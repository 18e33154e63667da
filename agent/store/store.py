"""The article store: articles, sources, clusters, stories and their revisions."""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from agent.errors import InputError
from agent.schemas import Article, Cluster, Lean, Story, side_of
from agent.store.blindspot import BlindspotReport, SideCounts, judge
from agent.store.models import (
    ArticleRow,
    ClusterRow,
    ClusterTerm,
    Meta,
    Source,
    StoryRevision,
    StoryRow,
    TermStat,
    utcnow,
)
from agent.store.sources import SourceRecord, SourceRegistry, normalize_name

ARTICLES = cast(Table, ArticleRow.__table__)
CLUSTERS = cast(Table, ClusterRow.__table__)
CLUSTER_TERMS = cast(Table, ClusterTerm.__table__)
TERM_STATS = cast(Table, TermStat.__table__)
META = cast(Table, Meta.__table__)
SOURCES = cast(Table, Source.__table__)
STORIES = cast(Table, StoryRow.__table__)
REVISIONS = cast(Table, StoryRevision.__table__)

_IN_CHUNK = 900
"""Values per IN (...) list, under SQLite's and PostgreSQL's parameter limits."""
KEY_TERMS = 12
"""Terms per cluster in the related-stories index."""
RELATED_WINDOW_DAYS = 30.0
BLINDSPOT_WINDOW_DAYS = 3.0


def chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterable[Sequence[Any]]:
    """Yield slices of at most `size` values."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def upsert(connection: Connection, table: Table) -> Any:
    """Return the dialect's INSERT, which has on_conflict_do_update/do_nothing."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _aware(value: datetime, offset_minutes: int | None) -> datetime:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if offset_minutes is None:
        return value
    return value.astimezone(timezone(timedelta(minutes=offset_minutes)))


@dataclass
class AddResult:
    """What adding a batch of article rows did."""

    stored: list[str] = field(default_factory=list)
    already: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class ArticleSummary:
    """An article as listed with its cluster."""

    id: str
    outlet: str
    title: str
    url: str | None
    lean: Lean
    published_at: datetime
    duplicate_of: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outlet": self.outlet,
            "title": self.title,
            "url": self.url,
            "lean": self.lean,
        }


@dataclass
class ClusterSummary:
    """A cluster as listed."""

    id: str
    title: str
    size: int
    unique_size: int
    first_at: datetime
    last_at: datetime
    edited: bool
    articles: list[ArticleSummary] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "articles": [article.as_json() for article in self.articles],
        }


@dataclass
class RelatedStory:
    """A cluster related to another one."""

    id: str
    title: str
    score: float
    size: int
    last_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "score": round(self.score, 4),
            "size": self.size,
            "last_at": self.last_at.isoformat(),
        }


class Store:
    """Everything storydesk keeps in its database."""

    def __init__(self, engine: Engine, registry: SourceRegistry | None = None) -> None:
        self.engine = engine
        self._base_registry = registry
        self._registry: SourceRegistry | None = None

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------- sources

    def registry(self) -> SourceRegistry:
        """Return the packaged registry updated by every rating imported into the store."""
        if self._registry is None:
            base = self._base_registry or SourceRegistry.default()
            registry = SourceRegistry(base)
            with self.engine.connect() as connection:
                for row in connection.execute(select(SOURCES).order_by(SOURCES.c.id)).mappings():
                    registry.add(_record_from_row(row))
            self._registry = registry
        return self._registry

    def import_sources(self, records: Iterable[SourceRecord]) -> tuple[int, int]:
        """Add or update outlet ratings; return (added, updated)."""
        registry = self.registry()
        added = updated = 0
        merged: dict[str, SourceRecord] = {}
        for record in records:
            if registry.find_same(record) is None:
                added += 1
            else:
                updated += 1
            result = registry.add(record)
            merged[normalize_name(result.name)] = result
        now = utcnow()
        rows = [
            {
                "key": key,
                "name": record.name,
                "lean": record.lean,
                "domains": list(record.domains),
                "aliases": list(record.aliases),
                "factuality": record.factuality,
                "owner": record.owner,
                "country": record.country,
                "rating_source": record.rating_source,
                "rating_url": record.rating_url,
                "kind": record.kind,
                "updated_at": now,
            }
            for key, record in merged.items()
        ]
        with self.engine.begin() as connection:
            for part in chunks(rows, 200):
                statement = upsert(connection, SOURCES)
                statement = statement.on_conflict_do_update(
                    index_elements=["key"],
                    set_={name: statement.excluded[name] for name in rows[0] if name != "key"},
                )
                connection.execute(statement, list(part))
        return added, updated

    def lean_of(self, outlet: str | None, url: str | None, given: str | None = None) -> Lean:
        """Return an article's lean: the one it came with, else the registry's."""
        if given:
            return given  # type: ignore[return-value]
        return self.registry().lean_of(outlet, url)

    # ------------------------------------------------------------------- articles

    def add_articles(self, rows: Sequence[dict[str, Any]]) -> AddResult:
        """Store article rows once each (by identity); report ids taken by other articles."""
        result = AddResult()
        fresh: dict[str, dict[str, Any]] = {}
        for row in rows:
            if row["identity"] in fresh:
                result.already += 1
            else:
                fresh[row["identity"]] = row
        with self.engine.begin() as connection:
            identities = list(fresh)
            for part in chunks(identities):
                for (identity,) in connection.execute(
                    select(ARTICLES.c.identity).where(ARTICLES.c.identity.in_(part))
                ):
                    fresh.pop(identity, None)
                    result.already += 1
            ids = [row["id"] for row in fresh.values()]
            taken: dict[str, str] = {}
            for part in chunks(ids):
                for article_id, url in connection.execute(
                    select(ARTICLES.c.id, ARTICLES.c.url).where(ARTICLES.c.id.in_(part))
                ):
                    taken[article_id] = url or "no URL"
            seen_ids: set[str] = set()
            batch: list[dict[str, Any]] = []
            for row in fresh.values():
                if row["id"] in taken or row["id"] in seen_ids:
                    other = taken.get(row["id"], "an earlier record of this run")
                    result.problems.append(
                        f"{row['origin']}: id {row['id']!r} already belongs to another article "
                        f"({other}); give this one another id, or ingest with --assign-ids"
                    )
                    continue
                seen_ids.add(row["id"])
                batch.append(row)
            if batch:
                statement = upsert(connection, ARTICLES).on_conflict_do_nothing()
                connection.execute(statement, batch)
                result.stored.extend(row["id"] for row in batch)
        return result

    def count_articles(self, unclustered: bool = False) -> int:
        """Return how many articles the store holds (or how many wait for clustering)."""
        query = select(func.count()).select_from(ARTICLES)
        if unclustered:
            query = query.where(ARTICLES.c.cluster_id.is_(None))
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    # ------------------------------------------------------------------- clusters

    def cluster_row(self, connection: Connection, cluster_id: str) -> Any:
        row = (
            connection.execute(select(CLUSTERS).where(CLUSTERS.c.id == cluster_id))
            .mappings()
            .first()
        )
        if row is None:
            raise InputError(
                f"no cluster {cluster_id!r} in the article store; list clusters with "
                "`storydesk clusters`"
            )
        if row["status"] == "merged":
            raise InputError(
                f"cluster {cluster_id!r} was merged into {row['merged_into']!r}; use that id"
            )
        return row

    def member_rows(self, connection: Connection, cluster_ids: Sequence[str]) -> list[Any]:
        rows: list[Any] = []
        for part in chunks(list(cluster_ids)):
            rows.extend(
                connection.execute(
                    select(
                        ARTICLES.c.id,
                        ARTICLES.c.cluster_id,
                        ARTICLES.c.outlet,
                        ARTICLES.c.title,
                        ARTICLES.c.url,
                        ARTICLES.c.lean,
                        ARTICLES.c.published_at,
                        ARTICLES.c.duplicate_of,
                    )
                    .where(ARTICLES.c.cluster_id.in_(part))
                    .order_by(ARTICLES.c.published_at, ARTICLES.c.id)
                ).mappings()
            )
        return rows

    def get_cluster(self, cluster_id: str) -> Cluster:
        """Return a cluster with its articles, each with its lean."""
        registry = self.registry()
        with self.engine.connect() as connection:
            row = self.cluster_row(connection, cluster_id)
            articles = (
                connection.execute(
                    select(ARTICLES)
                    .where(ARTICLES.c.cluster_id == cluster_id)
                    .order_by(ARTICLES.c.published_at, ARTICLES.c.id)
                )
                .mappings()
                .all()
            )
        if not articles:
            raise InputError(
                f"cluster {cluster_id!r} has no articles left; it was split or emptied"
            )
        return Cluster(
            id=row["id"],
            title=row["title"],
            articles=[
                Article(
                    id=article["id"],
                    outlet=article["outlet"],
                    title=article["title"],
                    url=article["url"],
                    published_at=_aware(article["published_at"], article["utc_offset"]),
                    text=article["text"],
                    lean=article["lean"] or registry.lean_of(article["outlet"], article["url"]),
                )
                for article in articles
            ],
        )

    def list_clusters(
        self,
        *,
        limit: int | None = 50,
        offset: int = 0,
        since: datetime | None = None,
        min_articles: int = 1,
        with_articles: bool = True,
    ) -> list[ClusterSummary]:
        """Return clusters, most recently active first."""
        registry = self.registry()
        query = (
            select(CLUSTERS)
            .where(CLUSTERS.c.status == "active", CLUSTERS.c.size >= min_articles)
            .order_by(CLUSTERS.c.last_at.desc(), CLUSTERS.c.id)
            .offset(offset)
        )
        if limit:
            query = query.limit(limit)
        if since is not None:
            query = query.where(CLUSTERS.c.last_at >= since)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
            members = (
                self.member_rows(connection, [row["id"] for row in rows]) if with_articles else []
            )
        by_cluster: dict[str, list[ArticleSummary]] = defaultdict(list)
        for member in members:
            by_cluster[member["cluster_id"]].append(
                ArticleSummary(
                    id=member["id"],
                    outlet=member["outlet"],
                    title=member["title"],
                    url=member["url"],
                    lean=member["lean"] or registry.lean_of(member["outlet"], member["url"]),
                    published_at=member["published_at"],
                    duplicate_of=member["duplicate_of"],
                )
            )
        return [
            ClusterSummary(
                id=row["id"],
                title=row["title"],
                size=row["size"],
                unique_size=row["unique_size"],
                first_at=row["first_at"],
                last_at=row["last_at"],
                edited=row["edited"],
                articles=by_cluster.get(row["id"], []),
            )
            for row in rows
        ]

    def cluster_summary(self, cluster_id: str) -> ClusterSummary:
        """Return one cluster as listed, with its articles."""
        registry = self.registry()
        with self.engine.connect() as connection:
            row = self.cluster_row(connection, cluster_id)
            members = self.member_rows(connection, [cluster_id])
        return ClusterSummary(
            id=row["id"],
            title=row["title"],
            size=row["size"],
            unique_size=row["unique_size"],
            first_at=row["first_at"],
            last_at=row["last_at"],
            edited=row["edited"],
            articles=[
                ArticleSummary(
                    id=m["id"],
                    outlet=m["outlet"],
                    title=m["title"],
                    url=m["url"],
                    lean=m["lean"] or registry.lean_of(m["outlet"], m["url"]),
                    published_at=m["published_at"],
                    duplicate_of=m["duplicate_of"],
                )
                for m in members
            ],
        )

    def related(self, cluster_id: str, limit: int = 5) -> list[RelatedStory]:
        """Return clusters about the same subject within a month, closest first."""
        with self.engine.connect() as connection:
            row = self.cluster_row(connection, cluster_id)
            mine: dict[str, float] = {
                term: float(weight) for term, weight in (row["centroid"] or {}).items()
            }
            if not mine:
                return []
            norm = math.sqrt(sum(w * w for w in mine.values())) or 1.0
            strongest = sorted(mine, key=mine.__getitem__, reverse=True)[: KEY_TERMS * 2]
            window = timedelta(days=RELATED_WINDOW_DAYS)
            candidates = connection.execute(
                select(CLUSTER_TERMS.c.cluster_id, func.count().label("shared"))
                .join(CLUSTERS, CLUSTERS.c.id == CLUSTER_TERMS.c.cluster_id)
                .where(
                    CLUSTER_TERMS.c.term.in_(strongest),
                    CLUSTER_TERMS.c.cluster_id != cluster_id,
                    CLUSTERS.c.status == "active",
                    CLUSTERS.c.last_at >= row["first_at"] - window,
                    CLUSTERS.c.first_at <= row["last_at"] + window,
                )
                .group_by(CLUSTER_TERMS.c.cluster_id)
                .order_by(func.count().desc())
                .limit(max(limit * 10, 50))
            ).all()
            ids = [candidate for candidate, shared in candidates if shared >= 2]
            others = (
                connection.execute(
                    select(
                        CLUSTERS.c.id,
                        CLUSTERS.c.title,
                        CLUSTERS.c.size,
                        CLUSTERS.c.last_at,
                        CLUSTERS.c.centroid,
                    ).where(CLUSTERS.c.id.in_(ids))
                )
                .mappings()
                .all()
                if ids
                else []
            )
        scored: list[RelatedStory] = []
        for other in others:
            centroid = other["centroid"] or {}
            other_norm = math.sqrt(sum(float(w) ** 2 for w in centroid.values())) or 1.0
            dot = sum(weight * float(centroid.get(term, 0.0)) for term, weight in mine.items())
            score = dot / (norm * other_norm)
            if score > 0.05:
                scored.append(
                    RelatedStory(
                        other["id"], other["title"], score, other["size"], other["last_at"]
                    )
                )
        scored.sort(key=lambda item: (-item.score, item.id))
        return scored[:limit]

    def blindspot(
        self, cluster_id: str, window_days: float = BLINDSPOT_WINDOW_DAYS
    ) -> BlindspotReport:
        """Report whether one side barely covered a cluster, and how many feeds each side has."""
        registry = self.registry()
        with self.engine.connect() as connection:
            row = self.cluster_row(connection, cluster_id)
            members = self.member_rows(connection, [cluster_id])
            window = timedelta(days=window_days)
            outlets_all = connection.execute(
                select(ARTICLES.c.outlet, ARTICLES.c.domain, ARTICLES.c.lean).distinct()
            ).all()
            outlets_near = connection.execute(
                select(ARTICLES.c.outlet, ARTICLES.c.domain, ARTICLES.c.lean)
                .where(
                    ARTICLES.c.published_at >= row["first_at"] - window,
                    ARTICLES.c.published_at <= row["last_at"] + window,
                )
                .distinct()
            ).all()
        counts: Counter[str] = Counter()
        unrated = 0
        for member in members:
            if member["duplicate_of"]:
                continue
            side = side_of(member["lean"] or registry.lean_of(member["outlet"], member["url"]))
            if side is None:
                unrated += 1
            else:
                counts[side] += 1

        def outlets_by_side(rows: Sequence[Any]) -> SideCounts:
            seen: dict[str, set[str]] = defaultdict(set)
            for outlet, domain, lean in rows:
                record = registry.lookup(outlet, domain)
                side = side_of(lean or (record.lean if record else "unrated"))
                if side is not None:
                    seen[side].add(record.name if record else normalize_name(outlet))
            return SideCounts(**{side: len(names) for side, names in seen.items()})

        return judge(
            cluster_id,
            SideCounts(**counts),
            unrated,
            outlets_by_side(outlets_all),
            outlets_by_side(outlets_near),
            window_days,
        )

    # ------------------------------------------------------------------- stories

    def save_story(self, story: Story) -> None:
        """Store a story as a new revision; an existing revision is never overwritten."""
        data = json.loads(story.model_dump_json())
        now = utcnow()
        try:
            with self.engine.begin() as connection:
                existing = connection.execute(
                    select(REVISIONS.c.data).where(
                        REVISIONS.c.story_id == story.id, REVISIONS.c.revision == story.revision
                    )
                ).first()
                if existing is not None:
                    if existing.data == data:
                        return
                    latest = connection.execute(
                        select(func.max(REVISIONS.c.revision)).where(
                            REVISIONS.c.story_id == story.id
                        )
                    ).scalar_one()
                    raise InputError(
                        f"story {story.id!r} already has revision {story.revision}; revisions are "
                        f"never overwritten: save the change as revision {int(latest) + 1}"
                    )
                upsert_story_head(connection, story, now)
                insert_revision(connection, story, data, now)
        except IntegrityError:
            raise InputError(
                f"story {story.id!r} revision {story.revision} was saved by someone else just now; "
                "reload the story and save your change as the next revision"
            ) from None

    def get_story(self, story_id: str, revision: int | None = None) -> Story:
        """Return a story's latest revision, or the given one."""
        with self.engine.connect() as connection:
            query = select(REVISIONS.c.data, REVISIONS.c.revision).where(
                REVISIONS.c.story_id == story_id
            )
            if revision is None:
                query = query.order_by(REVISIONS.c.revision.desc()).limit(1)
            else:
                query = query.where(REVISIONS.c.revision == revision)
            row = connection.execute(query).first()
            if row is None:
                known = (
                    connection.execute(
                        select(REVISIONS.c.revision)
                        .where(REVISIONS.c.story_id == story_id)
                        .order_by(REVISIONS.c.revision)
                    )
                    .scalars()
                    .all()
                )
        if row is None:
            if known:
                raise InputError(
                    f"story {story_id!r} has no revision {revision}; it has "
                    f"{', '.join(map(str, known))}"
                )
            raise InputError(f"no story {story_id!r} in the article store")
        return Story.model_validate(row.data)

    def story_revisions(self, story_id: str) -> list[int]:
        """Return the revision numbers of a story, oldest first."""
        with self.engine.connect() as connection:
            return [
                int(value)
                for value in connection.execute(
                    select(REVISIONS.c.revision)
                    .where(REVISIONS.c.story_id == story_id)
                    .order_by(REVISIONS.c.revision)
                ).scalars()
            ]

    def list_stories(
        self,
        *,
        cluster_id: str | None = None,
        status: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[Story]:
        """Return the latest revision of each story, most recently updated first."""
        query = (
            select(REVISIONS.c.data)
            .join(
                STORIES,
                and_(
                    STORIES.c.id == REVISIONS.c.story_id,
                    STORIES.c.latest_revision == REVISIONS.c.revision,
                ),
            )
            .order_by(STORIES.c.updated_at.desc(), STORIES.c.id)
            .offset(offset)
        )
        if cluster_id is not None:
            query = query.where(STORIES.c.cluster_id == cluster_id)
        if status is not None:
            query = query.where(STORIES.c.status == status)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [Story.model_validate(data) for data in connection.execute(query).scalars()]

    # ------------------------------------------------------------------- statistics

    def term_stats(
        self, connection: Connection, terms: Iterable[str] | None = None
    ) -> tuple[dict[str, int], int]:
        """Return document frequencies (of some terms, or all) and the document count."""
        df: dict[str, int] = {}
        if terms is None:
            for term, value in connection.execute(select(TERM_STATS.c.term, TERM_STATS.c.df)):
                df[term] = int(value)
        else:
            for part in chunks(sorted(set(terms))):
                for term, value in connection.execute(
                    select(TERM_STATS.c.term, TERM_STATS.c.df).where(TERM_STATS.c.term.in_(part))
                ):
                    df[term] = int(value)
        documents = connection.execute(
            select(META.c.value).where(META.c.key == "documents")
        ).scalar_one_or_none()
        return df, int(documents or 0)


def _record_from_row(row: Any) -> SourceRecord:
    return SourceRecord(
        name=row["name"],
        lean=row["lean"],
        domains=tuple(row["domains"] or ()),
        aliases=tuple(row["aliases"] or ()),
        factuality=row["factuality"],
        owner=row["owner"],
        country=row["country"],
        rating_source=row["rating_source"],
        rating_url=row["rating_url"],
        kind=row["kind"],
    )


def insert_revision(
    connection: Connection, story: Story, data: dict[str, Any], now: datetime
) -> None:
    """Write the story's revision row (its JSON `data`): the one insert of a revision, the
    store's and the desk's revision log's."""
    connection.execute(
        insert(REVISIONS).values(
            story_id=story.id,
            revision=story.revision,
            status=story.review.status,
            data=data,
            created_at=now,
        )
    )


def upsert_story_head(connection: Connection, story: Story, now: datetime) -> None:
    """Point the story's row at this revision when it is the newest (or the same one, whose
    review status may have moved): the one rule for a story's head, the store's and the desk's."""
    head = connection.execute(
        select(STORIES.c.latest_revision).where(STORIES.c.id == story.id)
    ).first()
    if head is None:
        connection.execute(
            insert(STORIES).values(
                id=story.id,
                cluster_id=story.cluster_id,
                latest_revision=story.revision,
                status=story.review.status,
                title=story.title,
                created_at=now,
                updated_at=now,
            )
        )
    elif story.revision >= head.latest_revision:
        connection.execute(
            update(STORIES)
            .where(STORIES.c.id == story.id)
            .values(
                latest_revision=story.revision,
                status=story.review.status,
                title=story.title,
                cluster_id=story.cluster_id,
                updated_at=now,
            )
        )
