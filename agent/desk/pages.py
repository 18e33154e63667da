"""The editors' pages, rendered on the server (Jinja2, autoescaped: article text stays text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from agent.desk.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    AuthError,
    Sessions,
    check_csrf,
    session_user,
)
from agent.desk.runtime import Desk
from agent.desk.service import (
    ReviewRequest,
    diff,
    failing_edits,
    get_story,
    preview_edit,
    review,
    trigger,
)
from agent.errors import InputError
from agent.schemas import CATEGORIES, Story, precision_of
from agent.store.jobs import STATUSES, Conflict

HERE = Path(__file__).parent
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_MONTHS = "Jan. Feb. March April May June July Aug. Sept. Oct. Nov. Dec.".split()


def human_date(value: str, precision: str) -> str:
    """Write a timeline date as the page does: Jan. 15, 2026 / October 2025 / 2025."""
    parts = value.split("-")
    if precision == "year" or len(parts) == 1:
        return parts[0]
    month = int(parts[1])
    if precision == "month" or len(parts) == 2:
        full = (
            "January February March April May June July August September October November December"
        )
        return f"{full.split()[month - 1]} {parts[0]}"
    return f"{_MONTHS[month - 1]} {int(parts[2])}, {parts[0]}"


_env.filters["human_date"] = human_date
templates = Jinja2Templates(env=_env)
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25


def _desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def _sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def _render(request: Request, name: str, code: int = 200, **values: Any) -> Response:
    return templates.TemplateResponse(request, name, values, status_code=code)


def error_page(request: Request, status: int, message: str) -> Response:
    """Render an error as a page that says what to do."""
    return _render(request, "error.html", code=status, status_code=status, message=message)


def _safe_next(value: str | None) -> str:
    # Only a path on this site: a login link must not bounce the editor elsewhere.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"


# ---------------------------------------------------------------------- login


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    cookie, nonce = _sessions(request).login_nonce()
    response = _render(request, "login.html", nonce=nonce, next=_safe_next(next), user=None)
    response.set_cookie(
        LOGIN_COOKIE,
        cookie,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    sessions = _sessions(request)
    next_url = _safe_next(str(form.get("next") or "/"))
    if not sessions.check_login_nonce(
        request.cookies.get(LOGIN_COOKIE), str(form.get("nonce", ""))
    ):
        raise AuthError(403, "the login form is stale or came from another site; reload it")
    user = sessions.users.authenticate(str(form.get("token", "")).strip())
    if user is None:
        cookie, nonce = sessions.login_nonce()
        response = _render(
            request,
            "login.html",
            code=401,
            nonce=nonce,
            next=next_url,
            user=None,
            message="That token is unknown or revoked; ask an admin for one.",
        )
        response.set_cookie(LOGIN_COOKIE, cookie, max_age=3600, httponly=True, samesite="strict")
        return response
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sessions.issue(user),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    user, csrf = session_user(request, _sessions(request), "viewer")
    form = await request.form()
    check_csrf(request, csrf, str(form.get("csrf", "")))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ---------------------------------------------------------------------- queue


@router.get("/")
def queue(request: Request, status: str | None = None, page: int = 1) -> Response:
    user, csrf = session_user(request, _sessions(request), "viewer")
    desk = _desk(request)
    status = status if status in STATUSES else None
    page = max(1, page)
    jobs, total = desk.jobs.find(status=status, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    clusters, _ = desk.jobs.list_clusters(limit=20)
    return _render(
        request,
        "queue.html",
        user=user,
        csrf=csrf,
        jobs=jobs,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        status=status,
        statuses=STATUSES,
        counts=desk.jobs.counts(),
        clusters=clusters,
    )


@router.get("/jobs/{job_id}/status")
def job_status(request: Request, job_id: str) -> Response:
    session_user(request, _sessions(request), "viewer")
    try:
        job = _desk(request).jobs.get(job_id)
    except InputError as error:
        return JSONResponse({"error": str(error)}, status_code=404)
    return JSONResponse(
        {"status": job.status, "node": job.node, "attempts": job.attempts, "reason": job.reason}
    )


@router.post("/clusters/{cluster_id}/draft")
async def draft_cluster(request: Request, cluster_id: str) -> Response:
    user, csrf = session_user(request, _sessions(request), "editor")
    form = await request.form()
    check_csrf(request, csrf, str(form.get("csrf", "")))
    trigger(_desk(request), cluster_id, user)
    return RedirectResponse("/", status_code=303)


@router.post("/jobs/{job_id}/retry")
async def retry(request: Request, job_id: str) -> Response:
    user, csrf = session_user(request, _sessions(request), "editor")
    form = await request.form()
    check_csrf(request, csrf, str(form.get("csrf", "")))
    desk = _desk(request)
    job = desk.jobs.retry(job_id, user.name)
    desk.enqueue(job.id, job.priority)
    return RedirectResponse(_safe_next(str(form.get("next") or "/")), status_code=303)


# ---------------------------------------------------------------------- story


def _pending_job(desk: Desk, story: Story) -> Any:
    """The review job of the latest revision, while it has not finished."""
    action = desk.jobs.action_on(story.id, story.revision)
    if action is None:
        return None
    job = desk.jobs.get(action["job_id"])
    return job if job.status in ("queued", "running", "failed") else None


def web_url(url: str | None) -> bool:
    """Whether a URL may be linked: http(s) only, never javascript:, data: or the like."""
    return bool(url) and str(url).strip().lower().startswith(("http://", "https://"))


_env.globals["web_url"] = web_url


def _article_links(story: Story) -> dict[str, dict[str, Any]]:
    links: dict[str, dict[str, Any]] = {}
    number = 0
    for side in ("left", "center", "right", "unrated"):
        for item in getattr(story.coverage, side):
            number += 1
            links[item.article_id] = {
                "n": number,
                "url": item.url if web_url(item.url) else f"#article-{item.article_id}",
                "outlet": item.outlet,
                "title": item.title,
            }
    return links


def _flags_by_item(story: Story) -> dict[tuple[str, int | None], list[Any]]:
    found: dict[tuple[str, int | None], list[Any]] = {}
    for flag in story.review.flags:
        found.setdefault((flag.section, flag.index), []).append(flag)
    return found


def _claims_by_item(story: Story) -> dict[tuple[str, int], Any]:
    return {(c.section, c.index): c for c in story.fact_check.claims}


@router.get("/stories/{story_id}")
def story_page(request: Request, story_id: str, revision: int | None = None) -> Response:
    user, csrf = session_user(request, _sessions(request), "viewer")
    desk = _desk(request)
    story = get_story(desk, story_id, revision)
    head = desk.jobs.head(story_id) or {}
    latest = story.revision == head.get("latest_revision")
    actions = {a["revision"]: a for a in desk.jobs.actions(story_id)}
    revisions = desk.jobs.revisions(story_id)
    return _render(
        request,
        "story.html",
        user=user,
        csrf=csrf,
        story=story,
        latest=latest,
        status=story.review.status,
        links=_article_links(story),
        flags=_flags_by_item(story),
        claims=_claims_by_item(story),
        failing=failing_edits(story),
        pending=_pending_job(desk, story) if latest else None,
        draft=desk.jobs.draft_of(story_id),
        actions=actions,
        revisions=revisions,
        author=revisions[0]["author"] if revisions else story.provenance.model,
    )


@router.post("/stories/{story_id}/review")
async def review_form(request: Request, story_id: str) -> Response:
    user, csrf = session_user(request, _sessions(request), "editor")
    form = await request.form()
    check_csrf(request, csrf, str(form.get("csrf", "")))
    try:
        revision = int(str(form.get("revision", "")))
    except ValueError:
        raise InputError("the form lacks the revision it was made on; reload the page") from None
    action = str(form.get("action", ""))
    if action not in ("approve", "reject", "redraft"):
        raise InputError(f"unknown action {action!r}; use the page's buttons")
    request_model = ReviewRequest(
        action=action,  # type: ignore[arg-type]
        revision=revision,
        note=str(form.get("note", "")),
        override=form.get("override") == "on",
    )
    job, created = review(_desk(request), story_id, request_model, user)
    if created:
        _desk(request).enqueue(job.id, job.priority)
    return RedirectResponse(f"/stories/{quote(story_id)}", status_code=303)


def _items(form: Any, section: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Read a section's rows from the edit form: changed, removed (ticked) and added ones."""
    rows = []
    count = int(str(form.get(f"{section}-count", "0")) or 0)
    for index in [*range(count), "new"]:
        prefix = f"{section}-{index}-"
        if form.get(prefix + "remove") == "on":
            continue
        values = {name: str(form.get(prefix + name, "")).strip() for name in fields}
        cites = [c.strip() for c in str(form.get(prefix + "citations", "")).split(",") if c.strip()]
        if index == "new" and not any(values.values()):
            continue
        row: dict[str, Any] = {**values, "citations": cites}
        if section == "timeline":
            row["precision"] = precision_of(values["date"])
        rows.append(row)
    return rows


def _edit_page(
    request: Request,
    desk: Desk,
    story_id: str,
    user: Any,
    csrf: str,
    *,
    code: int = 200,
    message: str = "",
    preview: Story | None = None,
) -> Response:
    current = get_story(desk, story_id)
    shown = preview or current  # a checked edit stays in the form, with its fact-check
    return _render(
        request,
        "edit.html",
        code=code,
        user=user,
        csrf=csrf,
        story=shown,
        base_revision=current.revision,
        categories=CATEGORIES,
        claims=_claims_by_item(shown),
        flags=_flags_by_item(shown),
        links=_article_links(current),
        preview=preview,
        failing=failing_edits(preview) if preview else [],
        message=message,
    )


@router.get("/stories/{story_id}/edit")
def edit_form(request: Request, story_id: str) -> Response:
    user, csrf = session_user(request, _sessions(request), "editor")
    return _edit_page(request, _desk(request), story_id, user, csrf)


@router.post("/stories/{story_id}/edit")
async def edit(request: Request, story_id: str) -> Response:
    user, csrf = session_user(request, _sessions(request), "editor")
    form = await request.form()
    check_csrf(request, csrf, str(form.get("csrf", "")))
    try:
        revision = int(str(form.get("revision", "")))
    except ValueError:
        raise InputError("the form lacks the revision it was made on; reload the page") from None
    edited = {
        "title": str(form.get("title", "")).strip(),
        "category": str(form.get("category", "")),
        "sentiment": str(form.get("sentiment", "")),
        "summary": _items(form, "summary", ("text",)),
        "timeline": _items(form, "timeline", ("date", "event")),
        "who_benefited": _items(form, "who_benefited", ("party", "explanation")),
        "who_impacted": _items(form, "who_impacted", ("party", "explanation")),
    }
    desk = _desk(request)
    if form.get("intent") == "check":
        try:
            preview = preview_edit(desk, story_id, edited, user)
        except Conflict:
            raise
        except InputError as error:
            return _edit_page(request, desk, story_id, user, csrf, code=422, message=str(error))
        return _edit_page(request, desk, story_id, user, csrf, preview=preview)
    try:
        job, created = review(
            desk,
            story_id,
            ReviewRequest(
                action="edit", revision=revision, note=str(form.get("note", "")), story=edited
            ),
            user,
        )
    except Conflict:
        raise
    except InputError as error:
        return _edit_page(request, desk, story_id, user, csrf, code=422, message=str(error))
    if created:
        desk.enqueue(job.id, job.priority)
    return RedirectResponse(f"/stories/{quote(story_id)}", status_code=303)


@router.get("/stories/{story_id}/history")
def history(
    request: Request, story_id: str, a: int | None = None, b: int | None = None
) -> Response:
    user, csrf = session_user(request, _sessions(request), "viewer")
    desk = _desk(request)
    revisions = desk.jobs.revisions(story_id)
    if not revisions:
        raise InputError(f"no story {story_id!r}")
    numbers = [r["revision"] for r in revisions]
    newer = b if b is not None and b in numbers else numbers[-1]
    older = (
        a if a is not None and a in numbers else (numbers[-2] if len(numbers) > 1 else numbers[0])
    )
    return _render(
        request,
        "history.html",
        user=user,
        csrf=csrf,
        story_id=story_id,
        revisions=revisions,
        actions={x["revision"]: x for x in desk.jobs.actions(story_id)},
        a=older,
        b=newer,
        diff=diff(desk, story_id, older, newer),
    )
