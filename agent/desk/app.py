"""The desk's HTTP API (JSON, OpenAPI at /docs) and the editors' pages, on one app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from agent.desk.auth import AuthError, LoginRequired, Sessions, bearer_user
from agent.desk.config import DeskSettings
from agent.desk.runtime import Desk
from agent.desk.service import (
    NotFound,
    ReviewRequest,
    diff,
    failing_edits,
    get_story,
    post_cluster,
    preview_edit,
    review,
    trigger,
)
from agent.errors import ConfigError, InputError, StorydeskError
from agent.settings import Settings
from agent.store.jobs import STATUSES, Conflict
from agent.store.users import ROLES, UserRecord

HERE = Path(__file__).parent
SIDES = ("left", "center", "right")
MAX_OFFSET = 10**9
"""Past this an offset is a mistake, and the store's integers (SQLite: 64 bits) overflow."""


class DraftRequest(BaseModel):
    """Options of a draft."""

    priority: int = Field(default=0, ge=-100, le=100, description="Higher runs first.")


class EditCheck(BaseModel):
    """An edit to fact-check without saving it."""

    story: dict[str, Any] = Field(description="The edited Story, or just the fields that change.")


class NewUser(BaseModel):
    """A user to create."""

    name: str
    role: str = Field(description=f"One of {', '.join(ROLES)}.")


def _need(role: str) -> Callable[[Request], UserRecord]:
    def dependency(request: Request) -> UserRecord:
        return bearer_user(request, request.app.state.desk.users, role)

    return dependency


# Module-level, so that FastAPI can resolve them from the routes' (string) annotations.
Viewer = Annotated[UserRecord, Depends(_need("viewer"))]
Editor = Annotated[UserRecord, Depends(_need("editor"))]
Admin = Annotated[UserRecord, Depends(_need("admin"))]


def _page(limit: int, offset: int, total: int, items: list[Any]) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


log = logging.getLogger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_AWAY = (
    f"the database is not reachable; retry in a few seconds (Retry-After: "
    f"{DATABASE_RETRY_AFTER_SECONDS} s). Nothing of this request was saved."
)


def _database_errors() -> list[type[Exception]]:
    """The errors that mean the database is away, not that the request was wrong: SQLAlchemy's
    operational errors and pool timeouts, and psycopg's own (the checkpointer's pool)."""
    kinds: list[type[Exception]] = [OperationalError, SQLAlchemyTimeout]
    try:
        import psycopg
    except ImportError:
        return kinds
    return [*kinds, psycopg.OperationalError]


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def create_app(settings: Settings, desk_settings: DeskSettings | None = None) -> FastAPI:
    """Build the app for these settings (opening and migrating the store)."""
    desk = Desk.open(settings, desk_settings)
    sessions = Sessions(desk.users)
    app = FastAPI(
        title="storydesk",
        summary="Draft, review and approve neutral, fact-checked stories.",
        version="0.1.0",
    )
    app.state.desk = desk
    app.state.sessions = sessions

    def role(name: str) -> dict[str, Any]:
        # Each route says which role it needs, in the OpenAPI document: the auth test walks
        # every route with it, so a new endpoint cannot forget its check.
        return {
            "openapi_extra": {"x-role": name, "security": [{"bearer": []}]},
            "responses": {
                401: {"description": "no valid token"},
                403: {"description": "role too low"},
            },
        }

    # ------------------------------------------------------------------ errors

    @app.exception_handler(AuthError)
    async def _auth_error(request: Request, error: AuthError) -> Response:
        if request.url.path.startswith("/api/"):
            headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
            return JSONResponse(
                {"error": error.message, "status": error.status},
                status_code=error.status,
                headers=headers,
            )
        from agent.desk.pages import error_page

        return error_page(request, error.status, error.message)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, error: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(error.next_url)}", status_code=303)

    @app.exception_handler(StorydeskError)
    async def _storydesk_error(request: Request, error: StorydeskError) -> Response:
        status = 409 if isinstance(error, Conflict) else 404 if isinstance(error, NotFound) else 422
        if isinstance(error, ConfigError):
            status = 503
        if request.url.path.startswith("/api/"):
            body: dict[str, Any] = {"error": str(error), "status": status}
            story_id = request.path_params.get("story_id")
            if isinstance(error, Conflict) and story_id:
                # The loser of a race gets what it lost to: the revision to reload and decide on.
                head = desk.jobs.head(str(story_id))
                if head is not None:
                    body["current_revision"] = head["latest_revision"]
                    body["story_status"] = head["status"]
            return JSONResponse(body, status_code=status)
        from agent.desk.pages import error_page

        return error_page(request, status, str(error))

    async def _database_away(request: Request, error: Exception) -> Response:
        # The database stopped answering or refused the connection: nothing was committed
        # (a request's writes are one transaction), so the client may simply try again.
        log.warning(
            "%s %s: the database is not reachable (%s)",
            request.method,
            request.url.path,
            _first_line(error),
        )
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"error": DATABASE_AWAY, "status": 503}, status_code=503, headers=headers
            )
        from agent.desk.pages import error_page

        page = error_page(request, 503, DATABASE_AWAY)
        page.headers.update(headers)
        return page

    for kind in _database_errors():
        app.add_exception_handler(kind, _database_away)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        # FastAPI's own refusals (a body it cannot parse, e.g. JSON nested past the parser's
        # depth; an unknown route) answer in the desk's error shape too.
        if request.url.path.startswith("/api/"):
            message = str(error.detail)
            if error.status_code == 400:
                message += "; send one JSON object (see `storydesk schema cluster`)"
            return JSONResponse(
                {"error": message, "status": error.status_code},
                status_code=error.status_code,
                headers=getattr(error, "headers", None),
            )
        return await http_exception_handler(request, error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
            for e in error.errors()
        ]
        return JSONResponse(
            {"error": "the request is not valid: " + "; ".join(problems), "status": 422},
            status_code=422,
        )

    # ------------------------------------------------------------------ clusters

    @app.post("/api/clusters", status_code=201, tags=["clusters"], **role("editor"))
    def create_cluster(
        user: Editor,
        data: Annotated[
            dict[str, Any], Body(description="A cluster (see `storydesk schema cluster`).")
        ],
    ) -> dict[str, Any]:
        """Store a cluster of articles (the cluster input format); a repeat replaces it."""
        cluster, created = post_cluster(desk, data, user)
        return {"id": cluster.id, "created": created}

    @app.get("/api/clusters", tags=["clusters"], **role("viewer"))
    def list_clusters(
        user: Viewer,
        side: str | None = Query(None, description="Only clusters with coverage from this side."),
        since: Annotated[
            datetime | None, Query(description="Latest article at or after (ISO 8601).")
        ] = None,
        until: Annotated[
            datetime | None, Query(description="First article before (ISO 8601).")
        ] = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> dict[str, Any]:
        """List posted clusters, latest news first."""
        if side is not None and side not in SIDES:
            raise InputError(f"side must be one of {', '.join(SIDES)}, not {side!r}")
        rows, total = desk.jobs.list_clusters(
            side=side, since=since, until=until, limit=limit, offset=offset
        )
        items = [
            {
                "id": r["id"],
                "title": r["title"],
                "articles": r["articles"],
                "sides": r["sides"],
                "content_hash": r["content_hash"],
                "first_at": r["first_at"].isoformat(),
                "last_at": r["last_at"].isoformat(),
            }
            for r in rows
        ]
        return _page(limit, offset, total, items)

    @app.get("/api/clusters/{cluster_id}", tags=["clusters"], **role("viewer"))
    def read_cluster(cluster_id: str, user: Viewer) -> dict[str, Any]:
        """Return a cluster as the cluster input format."""
        from agent.desk.service import find_cluster

        return find_cluster(desk, cluster_id).model_dump(mode="json")

    @app.post(
        "/api/clusters/{cluster_id}/drafts", status_code=202, tags=["drafts"], **role("editor")
    )
    def create_draft(
        user: Editor,
        cluster_id: str,
        response: Response,
        options: Annotated[DraftRequest | None, Body()] = None,
    ) -> dict[str, Any]:
        """Queue a draft; the same cluster content while a draft is active returns that job."""
        job, created = trigger(desk, cluster_id, user, (options or DraftRequest()).priority)
        if not created:
            response.status_code = 200
        return {
            "job_id": job.id,
            "story_id": job.story_id,
            "created": created,
            "status": job.status,
        }

    # ------------------------------------------------------------------ jobs

    @app.get("/api/jobs", tags=["jobs"], **role("viewer"))
    def list_jobs(
        user: Viewer,
        status: str | None = Query(None, description=f"One of {', '.join(STATUSES)}."),
        kind: str | None = Query(None, description="draft or review."),
        cluster_id: str | None = None,
        story_id: str | None = None,
        since: Annotated[
            datetime | None, Query(description="Created at or after (ISO 8601).")
        ] = None,
        until: Annotated[datetime | None, Query(description="Created before (ISO 8601).")] = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> dict[str, Any]:
        """List jobs, newest first, with counts per status."""
        if status is not None and status not in STATUSES:
            raise InputError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        jobs, total = desk.jobs.find(
            status=status,
            kind=kind,
            cluster_id=cluster_id,
            story_id=story_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
        page = _page(limit, offset, total, [_job_json(j) for j in jobs])
        page["counts"] = desk.jobs.counts()
        return page

    @app.get("/api/jobs/{job_id}", tags=["jobs"], **role("viewer"))
    def read_job(job_id: str, user: Viewer) -> dict[str, Any]:
        """Return a job: status, node, attempts, reason, events."""
        try:
            return _job_json(desk.jobs.get(job_id), events=True)
        except InputError as error:
            raise NotFound(str(error)) from None

    @app.post("/api/jobs/{job_id}/retry", tags=["jobs"], **role("editor"))
    def retry_job(job_id: str, user: Editor) -> dict[str, Any]:
        """Queue a failed job again, with fresh attempts."""
        try:
            desk.jobs.get(job_id)
        except InputError as error:
            raise NotFound(str(error)) from None
        job = desk.jobs.retry(job_id, user.name)
        desk.enqueue(job.id, job.priority)
        return _job_json(job)

    # ------------------------------------------------------------------ stories

    @app.get("/api/stories", tags=["stories"], **role("viewer"))
    def list_stories(
        user: Viewer,
        status: str | None = Query(None, description="needs_review, approved or rejected."),
        cluster_id: str | None = None,
        side: str | None = Query(None, description="Only stories with coverage from this side."),
        blindspot: str | None = Query(None, description="Only stories with this blindspot."),
        since: Annotated[
            datetime | None, Query(description="Drafted at or after (ISO 8601).")
        ] = None,
        until: Annotated[datetime | None, Query(description="Drafted before (ISO 8601).")] = None,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
    ) -> dict[str, Any]:
        """List stories (latest revision of each), most recently changed first."""
        from agent.store.store import Store

        for name, value in (("side", side), ("blindspot", blindspot)):
            if value is not None and value not in SIDES:
                raise InputError(f"{name} must be one of {', '.join(SIDES)}, not {value!r}")
        stories = Store(desk.engine).list_stories(cluster_id=cluster_id, status=status, limit=None)

        def keep(story: Any) -> bool:
            created = story.provenance.created_at
            return (
                (side is None or bool(getattr(story.coverage, side)))
                and (blindspot is None or story.blindspot == blindspot)
                and (since is None or created >= since)
                and (until is None or created < until)
            )

        matching = [s for s in stories if keep(s)]
        items = [
            {
                "id": s.id,
                "cluster_id": s.cluster_id,
                "revision": s.revision,
                "status": s.review.status,
                "title": s.title,
                "category": s.category,
                "blindspot": s.blindspot,
                "sides": [x for x in SIDES if getattr(s.coverage, x)],
                "created_at": s.provenance.created_at.isoformat(),
            }
            for s in matching[offset : offset + limit]
        ]
        return _page(limit, offset, len(matching), items)

    @app.get("/api/stories/{story_id}", tags=["stories"], **role("viewer"))
    def read_story(
        user: Viewer,
        story_id: str,
        revision: int | None = Query(
            None, ge=1, le=MAX_OFFSET, description="A past revision (default: latest)."
        ),
    ) -> dict[str, Any]:
        """Return the Story (its latest revision, or the one asked for)."""
        return get_story(desk, story_id, revision).model_dump(mode="json")

    @app.get("/api/stories/{story_id}/revisions", tags=["stories"], **role("viewer"))
    def list_revisions(story_id: str, user: Viewer) -> dict[str, Any]:
        """List a story's revisions (who, when, model or editor) and the decisions on them."""
        revisions = desk.jobs.revisions(story_id)
        if not revisions:
            raise NotFound(f"no story {story_id!r}; list stories with GET /api/stories")
        actions = {a["revision"]: a for a in desk.jobs.actions(story_id)}
        items = []
        for r in revisions:
            action = actions.get(r["revision"])
            items.append(
                {
                    "revision": r["revision"],
                    "author": r["author"],
                    "kind": r["kind"],
                    "created_at": r["created_at"].isoformat(),
                    "decision": None
                    if action is None
                    else {
                        "action": action["action"],
                        "by": action["actor"],
                        "note": action["note"],
                        "at": action["created_at"].isoformat(),
                        "overrides": action["overrides"],
                        "job_id": action["job_id"],
                    },
                }
            )
        return {"story_id": story_id, "items": items}

    @app.get("/api/stories/{story_id}/diff", tags=["stories"], **role("viewer"))
    def diff_revisions(
        user: Viewer,
        story_id: str,
        a: int = Query(ge=1, le=MAX_OFFSET, description="The older revision."),
        b: int = Query(ge=1, le=MAX_OFFSET, description="The newer revision."),
    ) -> dict[str, Any]:
        """Return a unified diff of two revisions' content."""
        return {"story_id": story_id, "a": a, "b": b, "diff": diff(desk, story_id, a, b)}

    @app.post("/api/stories/{story_id}/check", tags=["stories"], **role("editor"))
    def check_edit(user: Editor, story_id: str, edit: EditCheck) -> dict[str, Any]:
        """Fact-check an edit without saving it: the claims it would fail, before approval."""
        preview = preview_edit(desk, story_id, edit.story, user)
        return {
            "story": preview.model_dump(mode="json"),
            "failing": failing_edits(preview),
        }

    @app.post("/api/stories/{story_id}/review", status_code=202, tags=["stories"], **role("editor"))
    def review_story(
        user: Editor,
        story_id: str,
        request: ReviewRequest,
        response: Response,
    ) -> dict[str, Any]:
        """Approve, reject, edit or redraft a revision; a stale or contrary one gets 409."""
        job, created = review(desk, story_id, request, user)
        if created:
            desk.enqueue(job.id, job.priority)
        else:
            response.status_code = 200
        return {"job_id": job.id, "story_id": story_id, "created": created, "status": job.status}

    # ------------------------------------------------------------------ users

    @app.get("/api/users", tags=["users"], **role("admin"))
    def list_users(user: Admin) -> dict[str, Any]:
        """List users (never their tokens)."""
        return {"items": [u.as_json() for u in desk.users.all()]}

    @app.post("/api/users", status_code=201, tags=["users"], **role("admin"))
    def add_user(new: NewUser, user: Admin) -> dict[str, Any]:
        """Create a user; the token is in this answer only."""
        record, token = desk.users.add(new.name, new.role)
        return {**record.as_json(), "token": token}

    @app.delete("/api/users/{name}", tags=["users"], **role("admin"))
    def revoke_user(name: str, user: Admin) -> dict[str, Any]:
        """Revoke a user's token."""
        try:
            return desk.users.revoke(name).as_json()
        except InputError as error:
            raise NotFound(str(error)) from None

    # ------------------------------------------------------------------ pages

    from agent.desk.pages import router

    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


def _job_json(job: Any, events: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = job.as_json()
    data.pop("payload", None)
    if not events:
        data.pop("events", None)
    return data
