"""The desk's durable job table, review records and revision authors (persistence only).

Every state change is one conditional UPDATE, so two workers, a reaper and a web request can
race on a row and exactly one of them wins. huey carries job ids; this table is the truth.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from agent.errors import InputError
from agent.schemas import Story
from agent.store.models import DeskCluster, Job, ReviewAction, RevisionMeta, utcnow
from agent.store.store import REVISIONS, STORIES, insert_revision, upsert_story_head

JOBS = cast(Table, Job.__table__)
ACTIONS = cast(Table, ReviewAction.__table__)
META = cast(Table, RevisionMeta.__table__)
CLUSTERS = cast(Table, DeskCluster.__table__)

ACTIVE = ("queued", "running", "needs_review")
"""A draft in one of these holds its cluster content's key: triggering again returns it."""
STATUSES = ("queued", "running", "needs_review", "approved", "rejected", "done", "failed")


class Conflict(InputError):
    """The request was made on a state that has moved on (HTTP 409)."""


def new_id() -> str:
    """Return a fresh job id."""
    return uuid.uuid4().hex


def digest(data: Any) -> str:
    """Return the sha256 of a JSON value in canonical form."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _event(kind: str, **details: Any) -> dict[str, Any]:
    return {"at": utcnow().isoformat(), "event": kind, **details}


@dataclass
class JobView:
    """A job as the API shows it."""

    row: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None

    def as_json(self) -> dict[str, Any]:
        """Return the job as JSON-able values."""
        out: dict[str, Any] = {}
        for key, value in self.row.items():
            if key == "active_key":
                continue
            out[key] = value.isoformat() if isinstance(value, datetime) else value
        return out


def _view(row: RowMapping | None) -> JobView | None:
    return JobView(dict(row)) if row is not None else None


class Jobs:
    """Jobs, review actions and revisions of the desk, on the store's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ reads

    def get(self, job_id: str) -> JobView:
        """Return a job, or raise naming it."""
        with self.engine.connect() as connection:
            row = connection.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().first()
        if row is None:
            raise InputError(f"no job {job_id!r}; list jobs with GET /api/jobs")
        return JobView(dict(row))

    def find(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        cluster_id: str | None = None,
        story_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[JobView], int]:
        """Return a page of jobs, newest first, and how many match."""
        conditions = []
        if status:
            conditions.append(JOBS.c.status == status)
        if kind:
            conditions.append(JOBS.c.kind == kind)
        if cluster_id:
            conditions.append(JOBS.c.cluster_id == cluster_id)
        if story_id:
            conditions.append(JOBS.c.story_id == story_id)
        if since:
            conditions.append(JOBS.c.created_at >= since)
        if until:
            conditions.append(JOBS.c.created_at < until)
        where = and_(*conditions) if conditions else None
        query = select(JOBS).order_by(JOBS.c.created_at.desc(), JOBS.c.id).limit(limit)
        count = select(func.count()).select_from(JOBS)
        if where is not None:
            query = query.where(where)
            count = count.where(where)
        with self.engine.connect() as connection:
            rows = connection.execute(query.offset(offset)).mappings().all()
            total = int(connection.execute(count).scalar_one())
        return [JobView(dict(r)) for r in rows], total

    def counts(self) -> dict[str, int]:
        """Return how many jobs are in each status (every status, zeros included)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(JOBS.c.status, func.count()).group_by(JOBS.c.status)
            ).all()
        counts = dict.fromkeys(STATUSES, 0)
        counts.update({status: int(n) for status, n in rows})
        return counts

    def draft_of(self, story_id: str) -> JobView | None:
        """Return the draft job that made a story."""
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    select(JOBS)
                    .where(JOBS.c.story_id == story_id, JOBS.c.kind == "draft")
                    .order_by(JOBS.c.created_at.desc())
                )
                .mappings()
                .first()
            )
        return _view(row)

    # ------------------------------------------------------------------ enqueue

    def create_draft(
        self,
        *,
        cluster: dict[str, Any],
        content_hash: str,
        thread_for: Callable[[str], tuple[str, str]],
        created_by: str,
        priority: int = 0,
        max_attempts: int = 3,
    ) -> tuple[JobView, bool]:
        """Add a draft job, or return the active one for the same cluster content.

        `thread_for(key)` names the graph thread and the story it will make, from a key unique
        to this job. Returns (job, created).
        """
        cluster_id = cluster["id"]
        key = f"draft:{cluster_id}:{content_hash}"
        existing = self._active(key)
        if existing is not None:
            return existing, False
        job_id = new_id()
        thread_id, story_id = thread_for(job_id[:12])
        now = utcnow()
        row = {
            "id": job_id,
            "kind": "draft",
            "status": "queued",
            "priority": priority,
            "cluster_id": cluster_id,
            "content_hash": content_hash,
            "story_id": story_id,
            "thread_id": thread_id,
            "active_key": key,
            "payload": {"cluster": cluster},
            "revision": None,
            "attempts": 0,
            "max_attempts": max_attempts,
            "events": [_event("queued", by=created_by)],
            "created_by": created_by,
            "created_at": now,
            "updated_at": now,
            "enqueued_at": now,
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(JOBS).values(**row))
        except IntegrityError:
            # Another request inserted the same key between our look and our insert.
            existing = self._active(key)
            if existing is None:
                raise
            return existing, False
        return self.get(job_id), True

    def _active(self, key: str) -> JobView | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(select(JOBS).where(JOBS.c.active_key == key)).mappings().first()
            )
        return _view(row)

    def submit_review(
        self,
        *,
        story_id: str,
        revision: int,
        action: str,
        actor: str,
        note: str,
        payload: dict[str, Any],
        overrides: list[dict[str, Any]],
        draft: JobView,
        request_hash: str,
        before_commit: Callable[[], None] | None = None,
    ) -> tuple[JobView, bool]:
        """Record a decision on a revision and queue its resume job, in one transaction.

        One decision per revision (a unique key): the same submission (by `request_hash`)
        again returns its first job (created False); a different one raises Conflict.
        `before_commit()` runs inside the transaction, after its rows are written.
        """
        payload_hash = request_hash
        job_id = new_id()
        now = utcnow()
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(ACTIONS).values(
                        story_id=story_id,
                        revision=revision,
                        action=action,
                        actor=actor,
                        note=note,
                        payload_hash=payload_hash,
                        job_id=job_id,
                        overrides=overrides,
                        created_at=now,
                    )
                )
                connection.execute(
                    insert(JOBS).values(
                        id=job_id,
                        kind="review",
                        status="queued",
                        priority=10,  # an editor is waiting on it; drafts can wait
                        cluster_id=draft.cluster_id,
                        content_hash=draft.content_hash,
                        story_id=story_id,
                        thread_id=draft.thread_id,
                        active_key=None,
                        payload=payload,
                        revision=revision,
                        attempts=0,
                        max_attempts=draft.max_attempts,
                        events=[_event("queued", by=actor, action=action)],
                        created_by=actor,
                        created_at=now,
                        updated_at=now,
                        enqueued_at=now,
                    )
                )
                if before_commit is not None:
                    before_commit()
        except IntegrityError:
            first = self.action_on(story_id, revision)
            if first is None:
                raise
            if first["payload_hash"] == payload_hash:
                return self.get(first["job_id"]), False
            raise Conflict(
                f"revision {revision} of {story_id} was already answered ({first['action']} by "
                f"{first['actor']}); reload the story and act on its latest revision"
            ) from None
        return self.get(job_id), True

    def action_on(self, story_id: str, revision: int) -> dict[str, Any] | None:
        """Return the decision made on a revision, if any."""
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    select(ACTIONS).where(
                        ACTIONS.c.story_id == story_id, ACTIONS.c.revision == revision
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row is not None else None

    def actions(self, story_id: str) -> list[dict[str, Any]]:
        """Return every decision on a story, oldest first."""
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    select(ACTIONS).where(ACTIONS.c.story_id == story_id).order_by(ACTIONS.c.id)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def retry(self, job_id: str, by: str) -> JobView:
        """Queue a failed job again with fresh attempts; Conflict if it is not failed."""
        job = self.get(job_id)
        if job.status != "failed":
            raise Conflict(
                f"job {job_id} is {job.status}, not failed; only a failed job is retried"
            )
        values: dict[str, Any] = {
            "status": "queued",
            "attempts": 0,
            "claimed_by": None,
            "lease_expires_at": None,
            "not_before": None,
            "enqueued_at": utcnow(),
            "updated_at": utcnow(),
            "finished_at": None,
            "events": [*job.events, _event("retried", by=by, after=job.reason)],
        }
        if job.kind == "draft":
            values["active_key"] = f"draft:{job.cluster_id}:{job.content_hash}"
        try:
            with self.engine.begin() as connection:
                done = connection.execute(
                    update(JOBS)
                    .where(JOBS.c.id == job_id, JOBS.c.status == "failed")
                    .values(**values)
                ).rowcount
        except IntegrityError:
            other = self._active(values["active_key"])
            raise Conflict(
                f"the same cluster content is already being drafted by job "
                f"{other.id if other else '?'}; follow that job instead"
            ) from None
        if not done:
            raise Conflict(f"job {job_id} changed while retrying; reload it")
        return self.get(job_id)

    # ------------------------------------------------------------------ workers

    def claim(self, job_id: str, worker: str, lease: float) -> JobView | None:
        """Take a queued job for this worker with a lease; None when another has it."""
        now = utcnow()
        with self.engine.begin() as connection:
            job = connection.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().first()
            if job is None or job["status"] != "queued":
                return None
            if job["not_before"] is not None and job["not_before"] > now:
                return None
            attempt = int(job["attempts"]) + 1
            claimed = connection.execute(
                update(JOBS)
                .where(
                    JOBS.c.id == job_id,
                    JOBS.c.status == "queued",
                    JOBS.c.attempts == job["attempts"],
                )
                .values(
                    status="running",
                    claimed_by=worker,
                    attempts=attempt,
                    lease_expires_at=now + timedelta(seconds=lease),
                    started_at=job["started_at"] or now,
                    updated_at=now,
                    events=[*job["events"], _event("claimed", worker=worker, attempt=attempt)],
                )
            ).rowcount
        return self.get(job_id) if claimed else None

    def renew(self, job_id: str, worker: str, lease: float) -> bool:
        """Extend the lease; False when the job is no longer this worker's."""
        now = utcnow()
        with self.engine.begin() as connection:
            return bool(
                connection.execute(
                    update(JOBS)
                    .where(
                        JOBS.c.id == job_id,
                        JOBS.c.claimed_by == worker,
                        JOBS.c.status == "running",
                    )
                    .values(lease_expires_at=now + timedelta(seconds=lease), updated_at=now)
                ).rowcount
            )

    def set_node(self, job_id: str, worker: str, node: str) -> None:
        """Record which graph node the running job is in."""
        with self.engine.begin() as connection:
            connection.execute(
                update(JOBS)
                .where(JOBS.c.id == job_id, JOBS.c.claimed_by == worker)
                .values(node=node, updated_at=utcnow())
            )

    def note(self, job_id: str, worker: str, kind: str, **details: Any) -> None:
        """Append an event to a job this worker holds."""
        with self.engine.begin() as connection:
            events = connection.execute(
                select(JOBS.c.events).where(JOBS.c.id == job_id, JOBS.c.claimed_by == worker)
            ).scalar()
            if events is None:
                return
            connection.execute(
                update(JOBS)
                .where(JOBS.c.id == job_id, JOBS.c.claimed_by == worker)
                .values(events=[*events, _event(kind, worker=worker, **details)])
            )

    def finish(
        self,
        connection: Connection,
        job_id: str,
        worker: str,
        status: str,
        *,
        keep_active: bool = False,
        story_id: str | None = None,
    ) -> bool:
        """Mark a held job finished (inside the caller's transaction); False if not held."""
        now = utcnow()
        values: dict[str, Any] = {
            "status": status,
            "lease_expires_at": None,
            "updated_at": now,
            "finished_at": now,
            "reason": None,
        }
        if not keep_active:
            values["active_key"] = None
        if story_id:
            values["story_id"] = story_id
        return bool(
            connection.execute(
                update(JOBS)
                .where(JOBS.c.id == job_id, JOBS.c.claimed_by == worker, JOBS.c.status == "running")
                .values(**values)
            ).rowcount
        )

    def settle_draft(self, connection: Connection, story_id: str, status: str) -> None:
        """Move a story's draft job to the review outcome (approved, rejected, needs_review)."""
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if status in ("approved", "rejected"):
            values["active_key"] = None
            values["finished_at"] = utcnow()
        connection.execute(
            update(JOBS)
            .where(
                JOBS.c.story_id == story_id,
                JOBS.c.kind == "draft",
                JOBS.c.status.in_(("needs_review",)),
            )
            .values(**values)
        )

    def give_up_or_retry(
        self, job_id: str, worker: str, reason: str, backoff: float, *, final: bool = False
    ) -> str:
        """After a failed attempt: queue again after `backoff` s, or fail on the last attempt."""
        now = utcnow()
        with self.engine.begin() as connection:
            job = (
                connection.execute(
                    select(JOBS).where(JOBS.c.id == job_id, JOBS.c.claimed_by == worker)
                )
                .mappings()
                .first()
            )
            if job is None or job["status"] != "running":
                return "lost"
            last = final or job["attempts"] >= job["max_attempts"]
            values = _failure(job, reason, now, backoff, last)
            connection.execute(
                update(JOBS)
                .where(JOBS.c.id == job_id, JOBS.c.claimed_by == worker)
                .values(**values)
            )
        return str(values["status"])

    def reap(self, requeue_after: float, backoff_base: float) -> list[tuple[str, int]]:
        """Re-queue expired leases (or fail them after the last attempt); return the ids (and
        priorities) of queued jobs that are due and were last sent `requeue_after` s ago."""
        now = utcnow()
        with self.engine.begin() as connection:
            expired = (
                connection.execute(
                    select(JOBS).where(JOBS.c.status == "running", JOBS.c.lease_expires_at < now)
                )
                .mappings()
                .all()
            )
            for job in expired:
                last = job["attempts"] >= job["max_attempts"]
                reason = (
                    f"worker {job['claimed_by']} stopped answering (lease expired) during "
                    f"attempt {job['attempts']} of {job['max_attempts']}"
                    + (f", in node {job['node']}" if job["node"] else "")
                )
                if last:
                    reason += (
                        "; check the worker's log and memory (a draft that kills its worker "
                        "each time is too large for it), then retry"
                    )
                backoff = backoff_base * (2 ** max(0, job["attempts"] - 1))
                values = _failure(job, reason, now, backoff, last)
                values["events"] = [
                    *job["events"],
                    _event("lease_expired", worker=job["claimed_by"], attempt=job["attempts"]),
                ]
                connection.execute(
                    update(JOBS)
                    .where(
                        JOBS.c.id == job["id"],
                        JOBS.c.status == "running",
                        JOBS.c.claimed_by == job["claimed_by"],
                        JOBS.c.lease_expires_at == job["lease_expires_at"],
                    )
                    .values(**values)
                )
            due = connection.execute(
                select(JOBS.c.id, JOBS.c.priority)
                .where(
                    JOBS.c.status == "queued",
                    or_(JOBS.c.not_before.is_(None), JOBS.c.not_before <= now),
                    or_(
                        JOBS.c.enqueued_at.is_(None),
                        JOBS.c.enqueued_at <= now - timedelta(seconds=requeue_after),
                    ),
                )
                .order_by(JOBS.c.priority.desc(), JOBS.c.created_at)
            ).all()
            if due:
                connection.execute(
                    update(JOBS).where(JOBS.c.id.in_([d.id for d in due])).values(enqueued_at=now)
                )
        return [(str(d.id), int(d.priority)) for d in due]

    # ------------------------------------------------------------------ revisions

    def record_revision(
        self,
        connection: Connection,
        story: Story,
        *,
        author: str,
        kind: str,
        job_id: str | None,
    ) -> bool:
        """Store a revision once (unique story id + revision); a second write of the same
        revision only moves the story's status. Returns whether the revision was new."""
        data = json.loads(story.model_dump_json())
        now = utcnow()
        exists = connection.execute(
            select(REVISIONS.c.id).where(
                REVISIONS.c.story_id == story.id, REVISIONS.c.revision == story.revision
            )
        ).first()
        upsert_story_head(connection, story, now)
        if exists is not None:
            return False
        insert_revision(connection, story, data, now)
        connection.execute(
            insert(META).values(
                story_id=story.id,
                revision=story.revision,
                author=author,
                kind=kind,
                job_id=job_id,
                created_at=now,
            )
        )
        return True

    def revisions(self, story_id: str) -> list[dict[str, Any]]:
        """Return every revision of a story with its author, kind and time, oldest first."""
        query = (
            select(
                REVISIONS.c.revision,
                REVISIONS.c.status,
                REVISIONS.c.created_at,
                META.c.author,
                META.c.kind,
                META.c.job_id,
            )
            .select_from(
                REVISIONS.outerjoin(
                    META,
                    and_(
                        META.c.story_id == REVISIONS.c.story_id,
                        META.c.revision == REVISIONS.c.revision,
                    ),
                )
            )
            .where(REVISIONS.c.story_id == story_id)
            .order_by(REVISIONS.c.revision)
        )
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(query).mappings().all()]

    def head(self, story_id: str) -> dict[str, Any] | None:
        """Return the story's head row (latest revision, status), if it exists."""
        with self.engine.connect() as connection:
            row = (
                connection.execute(select(STORIES).where(STORIES.c.id == story_id))
                .mappings()
                .first()
            )
        return dict(row) if row is not None else None

    # ------------------------------------------------------------------ clusters

    def put_cluster(self, data: dict[str, Any], content_hash: str, by: str) -> bool:
        """Store a posted cluster (replacing an earlier one of the same id); True if new."""
        articles = data["articles"]
        times = sorted(a["published_at"] for a in articles)
        sides = sorted({a["side"] for a in articles if a.get("side")})
        clean = {
            **data,
            "articles": [{k: v for k, v in a.items() if k != "side"} for a in articles],
        }
        now = utcnow()
        values = {
            "title": data.get("title") or articles[0]["title"],
            "data": clean,
            "content_hash": content_hash,
            "articles": len(articles),
            "sides": sides,
            "first_at": datetime.fromisoformat(times[0]),
            "last_at": datetime.fromisoformat(times[-1]),
            "updated_at": now,
        }
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(CLUSTERS).where(CLUSTERS.c.id == data["id"]).values(**values)
            ).rowcount
            if changed:
                return False
            try:
                with connection.begin_nested():
                    connection.execute(
                        insert(CLUSTERS).values(
                            id=data["id"], created_by=by, created_at=now, **values
                        )
                    )
            except IntegrityError:
                connection.execute(
                    update(CLUSTERS).where(CLUSTERS.c.id == data["id"]).values(**values)
                )
                return False
        return True

    def get_cluster(self, cluster_id: str) -> dict[str, Any] | None:
        """Return a posted cluster's row, if there is one."""
        with self.engine.connect() as connection:
            row = (
                connection.execute(select(CLUSTERS).where(CLUSTERS.c.id == cluster_id))
                .mappings()
                .first()
            )
        return dict(row) if row is not None else None

    def list_clusters(
        self,
        *,
        side: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """Return a page of posted clusters, latest news first, and how many match."""
        conditions = []
        if since:
            conditions.append(CLUSTERS.c.last_at >= since)
        if until:
            conditions.append(CLUSTERS.c.first_at < until)
        query = select(CLUSTERS).order_by(CLUSTERS.c.last_at.desc(), CLUSTERS.c.id)
        if conditions:
            query = query.where(and_(*conditions))
        with self.engine.connect() as connection:
            rows = [dict(r) for r in connection.execute(query).mappings().all()]
        if side:
            # Sides live in a JSON list; filtering here keeps one query for both databases.
            rows = [r for r in rows if side in (r["sides"] or [])]
        return rows[offset : offset + limit], len(rows)


def _failure(
    job: RowMapping, reason: str, now: datetime, backoff: float, last: bool
) -> dict[str, Any]:
    if last:
        return {
            "status": "failed",
            "reason": reason,
            "claimed_by": None,
            "lease_expires_at": None,
            "active_key": None,
            "updated_at": now,
            "finished_at": now,
        }
    return {
        "status": "queued",
        "reason": reason,
        "claimed_by": None,
        "lease_expires_at": None,
        "not_before": now + timedelta(seconds=backoff),
        "enqueued_at": None,
        "updated_at": now,
    }
