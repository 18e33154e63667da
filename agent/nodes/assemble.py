"""assemble (deterministic): the story, with every count computed from data."""

from __future__ import annotations

import time

from langgraph.config import get_config
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from agent.checks.drafts import DraftItem
from agent.checks.evidence import Evidence
from agent.checks.meter import blindspot_side, shares
from agent.context import Context, context_of
from agent.errors import ModelOutputError
from agent.nodes.common import article_ids_of, evidence_of
from agent.prompts import load_prompt
from agent.schemas import (
    Bias,
    Coverage,
    CoverageItem,
    Distribution,
    FactCheck,
    Flag,
    Party,
    Provenance,
    Review,
    Side,
    Story,
    SummarySentence,
    TimelineEvent,
    Tokens,
)
from agent.state import JSONObject, StoryState


def bias_meter(evidence: Evidence) -> Bias:
    """Count articles by side (syndicated copies once) and outlets."""
    originals = evidence.originals()
    counts = {"left": 0, "center": 0, "right": 0}
    unrated = 0
    for article in originals:
        if article.side is None:
            unrated += 1
        else:
            counts[article.side] += 1
    percent = shares(counts)
    return Bias(
        sources=len({a.outlet.strip().lower() for a in evidence.articles}),
        articles=len(originals),
        left=counts["left"],
        center=counts["center"],
        right=counts["right"],
        unrated=unrated,
        distribution=Distribution(**percent),
    )


def coverage_of(evidence: Evidence) -> Coverage:
    """List every article (copies too) under its side."""
    coverage = Coverage()
    for article in evidence.articles:
        item = CoverageItem(
            article_id=article.id,
            outlet=article.outlet,
            title=article.title,
            url=article.url,
            duplicate_of=article.duplicate_of,
        )
        getattr(coverage, article.side or "unrated").append(item)
    return coverage


def blindspot_of(bias: Bias) -> Side | None:
    """The side (left or right) that barely covered the story: the meter's one rule."""
    return blindspot_side({"left": bias.left, "center": bias.center, "right": bias.right})


def provenance_of(state: StoryState, context: Context, evidence: Evidence) -> Provenance:
    calls = state.get("calls") or []
    prompt_ids = ["prefix"] + sorted({c["prompt_id"] for c in calls})
    gateway = context.get_gateway()
    return Provenance(
        backend=gateway.backend_name,
        model=gateway.model,
        prompts={pid: load_prompt(pid).label for pid in prompt_ids},
        article_ids=[a.id for a in evidence.articles],
        tokens=Tokens(
            prompt=sum(c["prompt_tokens"] for c in calls),
            completion=sum(c["completion_tokens"] for c in calls),
        ),
        seconds=round(time.time() - state["started_at"], 2)
        if state.get("started_at")
        else round(sum(c["seconds"] for c in calls), 2),
        created_at=context.get_now(),
    )


def story_id(cluster_id: str, thread_id: str | None) -> str:
    """One story per draft thread: the thread id is the story id (older threads map to one)."""
    if thread_id and thread_id.startswith("story-"):
        return thread_id
    suffix = thread_id.rsplit(":", 1)[-1] if thread_id and ":" in thread_id else thread_id
    return f"story-{cluster_id}" + (f"-{suffix}" if suffix else "")


def build_story(state: StoryState, context: Context, thread_id: str | None = None) -> Story:
    """Put the checked sections, the meter and the provenance together."""
    evidence = evidence_of(state)
    bias = bias_meter(evidence)
    classification = state["classification"]

    def cites(item: DraftItem) -> list[str]:
        return article_ids_of(item["citations"])

    # The same flag raised twice (a model naming one unfounded party twice) is shown once.
    flags = list(
        {
            (f.kind, f.section, f.index, f.message): f
            for f in (Flag.model_validate(raw) for raw in state.get("flags") or [])
        }.values()
    )
    outlets = {a.outlet.strip().lower() for a in evidence.originals()}
    if len(outlets) == 1:
        flags.append(
            Flag(
                kind="single_source",
                section="sources",
                message=(
                    f"only one outlet ({evidence.originals()[0].outlet}) reported this story: "
                    "nothing here is corroborated by another source; confirm it before publishing"
                ),
            )
        )
    provenance = provenance_of(state, context, evidence)
    if thread_id:
        provenance = provenance.model_copy(update={"thread_id": thread_id})
    return Story(
        id=story_id(evidence.cluster_id, thread_id),
        cluster_id=evidence.cluster_id,
        revision=1,
        title=classification["title"],
        category=classification["category"],
        sentiment=classification["sentiment"],
        summary=[
            SummarySentence(text=i["text"], citations=cites(i)) for i in state.get("summary") or []
        ],
        timeline=[
            TimelineEvent(
                date=i["date"], precision=i["precision"], event=i["event"], citations=cites(i)
            )
            for i in state.get("timeline") or []
        ],
        who_benefited=[
            Party(party=i["party"], explanation=i["explanation"], citations=cites(i))
            for i in state.get("who_benefited") or []
        ],
        who_impacted=[
            Party(party=i["party"], explanation=i["explanation"], citations=cites(i))
            for i in state.get("who_impacted") or []
        ],
        section_notes=dict(state.get("section_notes") or {}),
        bias=bias,
        coverage=coverage_of(evidence),
        blindspot=blindspot_of(bias),
        fact_check=FactCheck.model_validate(state["fact_check"]),
        review=Review(status="needs_review", flags=flags),
        provenance=provenance,
    )


class AssembleUpdate(TypedDict):
    story: JSONObject
    history: list[JSONObject]


def assemble(state: StoryState, runtime: Runtime[Context]) -> AssembleUpdate:
    """Build the story for review; refuse one the model had no part in."""
    context = context_of(runtime)
    calls = state.get("calls") or []
    if calls and all(call["failed"] for call in calls):
        # Each node fell back to the evidence: that is a broken model setup, not a draft.
        gateway = context.get_gateway()
        raise ModelOutputError(
            f"model {gateway.model!r} ({gateway.backend_name}) returned invalid output for every "
            f"one of {len(calls)} calls; check STORYDESK_MODEL and OPENAI_BASE_URL, or use a "
            "model that follows a JSON schema"
        )
    thread_id = (get_config().get("configurable") or {}).get("thread_id")
    story = build_story(state, context, thread_id)
    data = story.model_dump(mode="json")
    return {"story": data, "history": [data]}
