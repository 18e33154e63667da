"""human_review: pause for the editor; finalize: record the decision. Nothing happens before
the interrupt that a resume would repeat."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import TypedDict

from agent.checks.claims import run_checks, sources_of, to_fact_check
from agent.checks.drafts import Classification, DraftEvent, DraftParty, Drafts, DraftSentence
from agent.checks.evidence import Evidence
from agent.checks.factcheck import Source, best_matches
from agent.context import Context, context_of
from agent.errors import InputError
from agent.nodes.common import evidence_of
from agent.schemas import Flag, Party, Story
from agent.state import JSONObject, StoryState

EDITABLE = (
    "title",
    "category",
    "sentiment",
    "summary",
    "timeline",
    "who_benefited",
    "who_impacted",
    "section_notes",
)
"""What an editor may change; counts, meter, coverage and provenance come from data."""


class ReviewDecision(BaseModel):
    """The editor's answer to a story waiting for review."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["approve", "edit", "reject"]
    reviewer: str = Field(min_length=1)
    notes: str = ""
    changes: dict[str, Any] = Field(
        default_factory=dict, description=f"For edit: new values of {', '.join(EDITABLE)}."
    )


def apply_decision(story: Story, decision: ReviewDecision) -> Story:
    """Return the story after the decision; an edit is a new revision, checked like any story."""
    review = story.review.model_copy(
        update={"reviewer": decision.reviewer, "notes": decision.notes}
    )
    if decision.action == "approve":
        return story.model_copy(update={"review": review.model_copy(update={"status": "approved"})})
    if decision.action == "reject":
        return story.model_copy(update={"review": review.model_copy(update={"status": "rejected"})})
    unknown = sorted(set(decision.changes) - set(EDITABLE))
    if unknown:
        raise InputError(f"an edit may change {', '.join(EDITABLE)}; not {', '.join(unknown)}")
    if not decision.changes:
        raise InputError("an edit needs `changes`: the fields to change and their new values")
    data = story.model_dump(mode="json")
    data.update(decision.changes)
    data["revision"] = story.revision + 1
    data["review"] = {**review.model_dump(mode="json"), "status": "needs_review"}
    try:
        edited = Story.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5]
        )
        raise InputError(f"the edited story is not valid: {problems}") from None
    known = set(story.provenance.article_ids)
    stray = sorted(edited.cited_ids() - known)
    if stray:
        raise InputError(f"the edit cites articles that are not in the cluster: {', '.join(stray)}")
    return edited


def recheck(story: Story, evidence: Evidence) -> Story:
    """Fact-check an edited revision as a draft is checked (rules only, no model call).

    The editor's text stands, but the page says what its sources do and do not support; flags
    tied to positions of the earlier revision are dropped, since the items may have moved.
    """
    sources = sources_of(evidence)
    by_article: dict[str, list[Source]] = {}
    for source in sources.values():
        by_article.setdefault(source.article_id, []).append(source)

    def cited(claim: str, citations: list[str]) -> list[str]:
        """The article ids an editor cites, as the two sentences of them nearest the claim."""
        own = [s for article_id in citations for s in by_article.get(article_id, [])]
        return [s.sentence_id for s in best_matches(claim, own, k=2)]

    def party(p: Party) -> DraftParty:
        return DraftParty(
            party=p.party, explanation=p.explanation, citations=cited(p.explanation, p.citations)
        )

    drafts = Drafts(
        classification=Classification(
            title=story.title, category=story.category, sentiment=story.sentiment
        ),
        summary=[
            DraftSentence(text=s.text, citations=cited(s.text, s.citations)) for s in story.summary
        ],
        timeline=[
            DraftEvent(
                date=e.date,
                precision=e.precision,
                event=e.event,
                citations=cited(e.event, e.citations),
            )
            for e in story.timeline
        ],
        who_benefited=[party(p) for p in story.who_benefited],
        who_impacted=[party(p) for p in story.who_impacted],
    )
    checked, conflicts = run_checks(drafts, evidence, None)
    fact_check = to_fact_check(checked, conflicts)
    flags = [f for f in story.review.flags if f.index is None and f.kind != "edit"]
    flags += [
        Flag(
            kind="edit",
            section=c.section,
            index=c.index,
            message=f"the edited text is {c.verdict}: {c.note}",
        )
        for c in fact_check.claims
        if c.verdict != "supported"
    ]
    review = story.review.model_copy(update={"flags": flags})
    return story.model_copy(update={"fact_check": fact_check, "review": review})


class ReviewUpdate(TypedDict):
    story: JSONObject
    history: list[JSONObject]
    decision: JSONObject


def human_review(state: StoryState, runtime: Runtime[Context]) -> ReviewUpdate:
    """Wait for the editor's decision on the current revision."""
    story = Story.model_validate(state["story"])
    answer = interrupt({"story": state["story"], "actions": ["approve", "edit", "reject"]})
    decision = ReviewDecision.model_validate(answer)
    updated = apply_decision(story, decision)
    if decision.action == "edit":
        updated = recheck(updated, evidence_of(state))
    data = updated.model_dump(mode="json")
    return {"story": data, "history": [data], "decision": decision.model_dump(mode="json")}


class NoUpdate(TypedDict):
    pass


def finalize(state: StoryState, runtime: Runtime[Context]) -> NoUpdate:
    """Store every revision of the reviewed story (never overwriting one)."""
    context = context_of(runtime)
    latest: dict[int, Story] = {}
    for data in state.get("history") or []:
        story = Story.model_validate(data)
        latest[story.revision] = story  # a revision's last state: drafted, then reviewed
    stories = [story for _, story in sorted(latest.items())]
    if context.store is not None:
        for story in stories:
            context.store.save_story(story)
        return {}
    from agent.store.db import open_store

    with open_store(context.get_settings()) as store:
        for story in stories:
            store.save_story(story)
    return {}
