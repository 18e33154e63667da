"""Tables of the article store (SQLAlchemy 2); the Alembic migrations create exactly these.

Times are stored in UTC (the column type converts); an article also keeps its original UTC
offset, because "on Thursday" must be read in the outlet's own time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 128


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime}


class Source(Base):
    """An outlet rating imported into the store (on top of the packaged default registry)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    """The folded name; one row per outlet."""
    name: Mapped[str] = mapped_column(String(300))
    lean: Mapped[str] = mapped_column(String(16))
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    factuality: Mapped[str | None] = mapped_column(String(40))
    owner: Mapped[str | None] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(80))
    rating_source: Mapped[str] = mapped_column(String(200))
    rating_url: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClusterRow(Base):
    """A story cluster: articles about one event."""

    __tablename__ = "clusters"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")
    """active, or merged (then merged_into names the cluster that holds its articles)."""
    merged_into: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    size: Mapped[int] = mapped_column(Integer, default=0)
    unique_size: Mapped[int] = mapped_column(Integer, default=0)
    """Articles counted once per syndicated copy."""
    first_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column(index=True)
    mean_at: Mapped[datetime] = mapped_column()
    """Mean publication time of the articles: where the story sits in time."""
    centroid: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Term -> summed TF-IDF weight of the members (the strongest terms only)."""
    title_score: Mapped[float] = mapped_column(Float, default=0.0)
    embedding: Mapped[list[float] | None] = mapped_column(JSON, default=None)
    """Sum of the members' sentence embeddings, when clustered with --embeddings."""
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    """An editor split or merged it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleRow(Base):
    """One article as ingested."""

    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_cluster_id_published_at", "cluster_id", "published_at"),)

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    identity: Mapped[str] = mapped_column(String(80), unique=True)
    """Digest of the normalized URL, or of the content when there is no URL: one row per article."""
    url: Mapped[str | None] = mapped_column(Text)
    domain: Mapped[str | None] = mapped_column(String(255))
    outlet: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(index=True)
    utc_offset: Mapped[int | None] = mapped_column(Integer)
    """The publication time's original UTC offset, in minutes."""
    lean: Mapped[str | None] = mapped_column(String(16))
    """The lean given with the article; when empty the registry decides."""
    content_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str | None] = mapped_column(Text)
    """Where it was ingested from (file and line, or URL)."""
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    cluster_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("clusters.id", ondelete="SET NULL")
    )
    duplicate_of: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    """The article this one is a syndicated copy of (same cluster)."""


class ClusterTerm(Base):
    """A cluster's strongest terms, indexed for related-story lookup."""

    __tablename__ = "cluster_terms"

    cluster_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("clusters.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    weight: Mapped[float] = mapped_column(Float)


class TermStat(Base):
    """Document frequency of a term over every clustered article (for IDF)."""

    __tablename__ = "term_stats"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    df: Mapped[int] = mapped_column(Integer)


class Meta(Base):
    """Store-wide counters (e.g. how many articles the term statistics cover)."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class StoryRow(Base):
    """A story; its content lives in its revisions."""

    __tablename__ = "stories"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    cluster_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    latest_revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoryRevision(Base):
    """One revision of a story, never overwritten."""

    __tablename__ = "story_revisions"
    __table_args__ = (UniqueConstraint("story_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    story_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("stories.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


metadata = Base.metadata


# --------------------------------------------------------------------------- the desk
# Appended for the editorial desk (migration 0003); the tables above keep their meaning.


class DeskCluster(Base):
    """A cluster posted over the desk's API, kept as given (the article store's own clusters
    are drafted from the store)."""

    __tablename__ = "desk_clusters"

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The cluster input, as JSON."""
    content_hash: Mapped[str] = mapped_column(String(64))
    articles: Mapped[int] = mapped_column(Integer)
    sides: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The sides (left, center, right) its articles' leans cover, as given."""
    first_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """A unit of desk work (a draft, or the resume of a draft with an editor's decision).

    The row is the truth; the queue (huey) only carries its id. A worker owns a running job
    while its lease lasts; the reaper re-queues it when the lease runs out.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_not_before", "status", "not_before"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    """draft or review."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    """queued, running, needs_review, approved, rejected, done (a review job), failed."""
    priority: Mapped[int] = mapped_column(Integer, default=0)
    cluster_id: Mapped[str] = mapped_column(String(ID_LENGTH), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    story_id: Mapped[str] = mapped_column(String(300), index=True)
    thread_id: Mapped[str] = mapped_column(String(300))
    """The LangGraph thread; one per story."""
    active_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    """Set while a draft is queued, running or in review: the same cluster content cannot be
    drafted twice at once (the unique key is what makes concurrent triggers agree)."""
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    revision: Mapped[int | None] = mapped_column(Integer)
    """For a review job: the revision the decision was made on."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    not_before: Mapped[datetime | None] = mapped_column()
    """Backoff: no worker claims it before this time."""
    enqueued_at: Mapped[datetime | None] = mapped_column()
    node: Mapped[str | None] = mapped_column(String(64))
    """The graph node it is in (or last finished)."""
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it failed (or why the last attempt did), in words a person can act on."""
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """What happened to it: claims, lease expiries, resumes, retries."""
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class ReviewAction(Base):
    """An editor's decision on one revision of a story; one per revision, never two."""

    __tablename__ = "review_actions"
    __table_args__ = (UniqueConstraint("story_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    story_id: Mapped[str] = mapped_column(String(300), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    payload_hash: Mapped[str] = mapped_column(String(64))
    """Of the submission: a repeat of the same one gets the first answer, not a conflict."""
    job_id: Mapped[str] = mapped_column(String(32))
    overrides: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Failing checks the editor approved anyway (claim, verdict, note), under their name."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RevisionMeta(Base):
    """Who made a revision of a story, when, and how (model or editor)."""

    __tablename__ = "revision_meta"
    __table_args__ = (UniqueConstraint("story_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    story_id: Mapped[str] = mapped_column(String(300), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    """model or editor."""
    job_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A desk user; only the sha256 of the token is kept."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    """viewer, editor or admin."""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class DeskSecret(Base):
    """Server secrets shared by every replica (the session-cookie signing key)."""

    __tablename__ = "desk_secrets"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
