"""What the desk does, for the API and the pages alike: clusters in, drafts queued, decisions
recorded as resume jobs, stories and their revisions out."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.desk.runtime import Desk, test_kill_at
from agent.errors import InputError
from agent.schemas import Cluster, Story, parse_cluster, side_of
from agent.store.jobs import Conflict, JobView, digest
from agent.store.users import UserRecord


class NotFound(InputError):
    """The thing asked for does not exist (HTTP 404)."""


class ReviewRequest(BaseModel):
    """An editor's decision on one revision of a story."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["approve", "reject", "edit", "redraft"]
    revision: int = Field(ge=1, le=10**9, description="The revision the decision was made on.")
    note: str = Field(default="", max_length=4000)
    story: dict[str, Any] | None = Field(
        default=None, description="For edit: the edited Story (or just the fields that change)."
    )
    override: bool = Field(
        default=False,
        description="For approve: approve although edited claims fail the fact-check "
        "(recorded with the editor's name).",
    )


def content_hash(cluster: Cluster) -> str:
    """Return the hash of a cluster's articles: the same content drafts once at a time."""
    articles = sorted(
        (a.model_dump(mode="json") for a in cluster.articles), key=lambda a: str(a["id"])
    )
    return digest(articles)


def thread_for(cluster_id: str) -> Callable[[str], tuple[str, str]]:
    """Return how a draft of this cluster names its graph thread and its story from a key.

    The thread id is the story id (agent.nodes.assemble.story_id keeps a story id given as the
    thread), so a re-claimed job resumes the one thread of its story.
    """

    def name(key: str) -> tuple[str, str]:
        story = f"story-{cluster_id}-{key}"
        return story, story

    return name


def post_cluster(desk: Desk, data: Any, user: UserRecord) -> tuple[Cluster, bool]:
    """Validate and store a cluster; return it and whether it is new."""
    cluster = parse_cluster(data)
    rows = cluster.model_dump(mode="json")
    for article, given in zip(rows["articles"], cluster.articles, strict=True):
        lean = given.lean or desk_lean(desk, given.outlet, given.url)
        article["side"] = side_of(lean)  # type: ignore[arg-type]
    created = desk.jobs.put_cluster(rows, content_hash(cluster), user.name)
    return cluster, created


def desk_lean(desk: Desk, outlet: str, url: str | None) -> str:
    """The registry's lean for an outlet (used to file a posted cluster by side)."""
    from agent.store.store import Store

    return str(Store(desk.engine).lean_of(outlet, url))


def find_cluster(desk: Desk, cluster_id: str) -> Cluster:
    """Return a posted cluster, or one of the article store's, by id."""
    row = desk.jobs.get_cluster(cluster_id)
    if row is not None:
        return Cluster.model_validate(row["data"])
    from agent.store.store import Store

    try:
        return Store(desk.engine).get_cluster(cluster_id)
    except InputError:
        raise NotFound(
            f"no cluster {cluster_id!r}; POST it to /api/clusters first, or list them with "
            "GET /api/clusters"
        ) from None


def trigger(
    desk: Desk, cluster_id: str, user: UserRecord, priority: int = 0
) -> tuple[JobView, bool]:
    """Queue a draft of a cluster, or return the job already drafting the same content."""
    cluster = find_cluster(desk, cluster_id)
    job, created = desk.jobs.create_draft(
        cluster=cluster.model_dump(mode="json"),
        content_hash=content_hash(cluster),
        thread_for=thread_for(cluster.id),
        created_by=user.name,
        priority=priority,
        max_attempts=desk.desk.max_attempts,
    )
    if created:
        desk.enqueue(job.id, job.priority)
    return job, created


def get_story(desk: Desk, story_id: str, revision: int | None = None) -> Story:
    """Return a story's latest revision (or one), with the outcome of its review."""
    from agent.store.store import Store

    try:
        story = Store(desk.engine).get_story(story_id, revision)
    except InputError as error:
        raise NotFound(str(error)) from None
    head = desk.jobs.head(story_id)
    if head is None or story.revision != head["latest_revision"]:
        return story
    review = story.review.model_copy(update={"status": head["status"]})
    action = desk.jobs.action_on(story_id, story.revision)
    if action is not None and head["status"] in ("approved", "rejected"):
        review = review.model_copy(update={"reviewer": action["actor"], "notes": action["note"]})
    return story.model_copy(update={"review": review})


def failing_edits(story: Story) -> list[dict[str, Any]]:
    """The edited claims the fact-check does not support (what an approval must override)."""
    return [
        {"section": f.section, "index": f.index, "message": f.message}
        for f in story.review.flags
        if f.kind == "edit"
    ]


def review(
    desk: Desk, story_id: str, request: ReviewRequest, user: UserRecord
) -> tuple[JobView, bool]:
    """Record a decision on a revision and queue the resume; 409 when stale or contrary."""
    from agent.nodes.review import ReviewDecision, apply_decision

    request_hash = digest({"request": request.model_dump(mode="json"), "actor": user.name})
    first = desk.jobs.action_on(story_id, request.revision)
    if first is not None:
        # A repeat of the same submission gets its first answer; anything else is a conflict.
        if first["payload_hash"] == request_hash:
            return desk.jobs.get(first["job_id"]), False
        raise Conflict(
            f"revision {request.revision} of {story_id} was already answered ({first['action']} "
            f"by {first['actor']}); reload the story and act on its latest revision"
        )
    payload: dict[str, Any] = {
        "action": "reject" if request.action == "redraft" else request.action,
        "reviewer": user.name,
        "notes": request.note,
        "changes": {},
        "redraft": request.action == "redraft",
    }
    if request.action == "edit":
        payload["changes"] = edit_changes(desk, story_id, request.story)
    if request.action in ("reject", "redraft") and not request.note.strip():
        raise InputError(f"{request.action} needs a `note`: the reason, for the record")
    head = desk.jobs.head(story_id)
    if head is None:
        raise NotFound(f"no story {story_id!r}; list stories with GET /api/stories")
    if request.revision != head["latest_revision"]:
        raise Conflict(
            f"revision {request.revision} is not the latest of {story_id} (that is "
            f"{head['latest_revision']}); reload the story and decide on it"
        )
    if head["status"] != "needs_review":
        raise Conflict(f"{story_id} is {head['status']}, not waiting for review")
    story = get_story(desk, story_id)
    overrides: list[dict[str, Any]] = []
    if request.action == "approve":
        overrides = failing_edits(story)
        if overrides and not request.override:
            claims = "; ".join(
                f"{o['section']} #{(o['index'] or 0) + 1}: {o['message']}" for o in overrides
            )
            raise Conflict(
                f"edited claims fail the fact-check ({claims}); edit them, or approve with "
                "override (recorded under your name)"
            )
        overrides = [{**o, "by": user.name} for o in overrides]
    if request.action == "edit":
        # Refuse a bad edit now, with its reasons, not in a worker after the editor has left.
        decision = ReviewDecision.model_validate(
            {k: payload[k] for k in ("action", "reviewer", "notes", "changes")}
        )
        apply_decision(story, decision)
    test_kill_at("review:checked")
    job, created = desk.jobs.submit_review(
        story_id=story_id,
        revision=request.revision,
        action=request.action,
        actor=user.name,
        note=request.note,
        payload=payload,
        overrides=overrides,
        draft=_draft_job(desk, story_id),
        request_hash=request_hash,
        before_commit=lambda: test_kill_at("review:in_transaction"),
    )
    test_kill_at("review:recorded")
    return job, created


def edit_changes(desk: Desk, story_id: str, fields: dict[str, Any] | None) -> dict[str, Any]:
    """Return what an edit changes (the fields an editor may change that differ)."""
    from agent.nodes.review import EDITABLE

    if not fields:
        raise InputError("an edit needs `story`: the edited Story, or the fields that change")
    current = get_story(desk, story_id).model_dump(mode="json")
    stray = sorted(set(fields) - set(current))
    if stray:
        raise InputError(f"`story` has fields a Story does not: {', '.join(stray)}")
    changes = {k: v for k, v in fields.items() if k in EDITABLE and v != current.get(k)}
    if not changes:
        raise InputError(f"the edit changes nothing an editor may change ({', '.join(EDITABLE)})")
    return changes


def preview_edit(
    desk: Desk, story_id: str, fields: dict[str, Any] | None, user: UserRecord
) -> Story:
    """Fact-check an edit without saving it: the story as the edit would make it."""
    from agent.nodes.common import evidence_of
    from agent.nodes.review import ReviewDecision, apply_decision, recheck

    changes = edit_changes(desk, story_id, fields)
    story = get_story(desk, story_id)
    decision = ReviewDecision(action="edit", reviewer=user.name, changes=changes)
    edited = apply_decision(story, decision)
    values = desk.thread_values(_draft_job(desk, story_id).thread_id)
    if "evidence" not in values:
        raise NotFound(f"the draft thread of {story_id} holds no evidence to check against")
    return recheck(edited, evidence_of(values))


def _draft_job(desk: Desk, story_id: str) -> JobView:
    draft = desk.jobs.draft_of(story_id)
    if draft is None:
        raise NotFound(f"story {story_id!r} was not drafted by the desk; it has no review thread")
    return draft


def revision_lines(story: Story) -> list[str]:
    """Return a story's editable content as lines, for a diff."""
    lines = [
        f"title: {story.title}",
        f"category: {story.category}",
        f"sentiment: {story.sentiment}",
    ]
    for i, s in enumerate(story.summary, 1):
        lines.append(f"summary {i}: {s.text} [{', '.join(s.citations)}]")
    for i, e in enumerate(story.timeline, 1):
        lines.append(f"timeline {i}: {e.date} ({e.precision}) {e.event} [{', '.join(e.citations)}]")
    for name in ("who_benefited", "who_impacted"):
        for i, p in enumerate(getattr(story, name), 1):
            lines.append(f"{name} {i}: {p.party}: {p.explanation} [{', '.join(p.citations)}]")
    for section, note in sorted(story.section_notes.items()):
        lines.append(f"note on {section}: {note}")
    return lines


def diff(desk: Desk, story_id: str, a: int, b: int) -> list[str]:
    """Return a unified diff of two revisions' content."""
    old = get_story(desk, story_id, a)
    new = get_story(desk, story_id, b)
    return list(
        difflib.unified_diff(
            revision_lines(old),
            revision_lines(new),
            f"revision {a}",
            f"revision {b}",
            lineterm="",
            n=2,
        )
    )
