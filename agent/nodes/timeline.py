"""extract_timeline: dates found by rule in the evidence, events phrased by the model."""

from __future__ import annotations

import re
from datetime import datetime

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from agent.checks.claims import NOT_ENOUGH_EVIDENCE
from agent.checks.dates import FoundDate, find_dates
from agent.checks.drafts import DraftEvent, FlagData
from agent.checks.evidence import Evidence
from agent.checks.text import content_words, is_prose, jaccard, numbers, shared_words
from agent.context import Context, context_of
from agent.llm.gateway import Choice
from agent.nodes.common import evidence_of, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.schemas import Precision
from agent.state import CallRecord, StoryState

MAX_CANDIDATES = 14
MAX_EVENTS = 8
_PRECISION_RANK = {"day": 0, "month": 1, "year": 2}


class DateCandidate(TypedDict):
    """A date a selected sentence speaks of, offered to the model as `id`."""

    id: str
    date: str
    precision: Precision
    expression: str
    sentence: str
    article: str
    text: str
    support: int
    """How many articles give this date."""


def date_candidates(evidence: Evidence) -> list[DateCandidate]:
    """Every date the selected sentences speak of, resolved against their article's date."""
    selected = set(evidence.selected)
    found: list[DateCandidate] = []
    seen: set[tuple[str, str]] = set()
    for article in evidence.originals():
        for sentence in article.sentences:
            if sentence.id not in selected:
                continue
            for date in primary_dates(sentence.text, article.published_at):
                key = (date.date, sentence.id)
                if key in seen:
                    continue
                seen.add(key)
                found.append(
                    DateCandidate(
                        id="",
                        date=date.date,
                        precision=date.precision,
                        expression=date.expression,
                        sentence=sentence.id,
                        article=article.id,
                        text=sentence.text,
                        support=0,
                    )
                )
    # Most corroborated dates first, then the most precise; keep the list short for the prompt.
    support = {
        c["date"]: len({x["article"] for x in found if x["date"] == c["date"]}) for c in found
    }
    found.sort(key=lambda c: (-support[c["date"]], _PRECISION_RANK[c["precision"]], c["date"]))
    kept = found[:MAX_CANDIDATES]
    for candidate in kept:
        candidate["support"] = support[candidate["date"]]
    kept.sort(key=lambda c: (c["date"], c["sentence"]))
    for index, candidate in enumerate(kept, start=1):
        candidate["id"] = f"d{index}"
    return kept


def primary_dates(text: str, published: datetime) -> list[FoundDate]:
    """The date a sentence tells an event of: one per sentence, so one sentence is one event.

    A deadline ("extended through Oct. 3") is no event in itself; a sentence in the future
    tense is not dated before its article; of the rest the most precise date, first, stands.
    """
    pub = published.date()
    dates = [
        d
        for d in find_dates(text, published)
        if not d.deadline and not (d.future and d.date < pub.isoformat()[: len(d.date)])
    ]
    if not dates:
        return []
    return [min(dates, key=lambda d: (_PRECISION_RANK[d.precision], d.start))]


class TimelineItem(BaseModel):
    # An event the model phrases for one of the offered dates.
    candidate: Choice
    event: str = Field(min_length=1, max_length=240)


class TimelineDraft(BaseModel):
    # The schema the model fills; the call's choices are the candidates' ids.
    events: list[TimelineItem] = Field(min_length=0, max_length=6)


def _strip_date(text: str, expression: str) -> str:
    """Remove a leading date from the event text ('Jan. 15: ...' -> '...')."""
    text = " ".join(text.split())
    pattern = re.compile(r"^\s*(on\s+)?" + re.escape(expression) + r"\s*[:,\-–]?\s*", re.I)
    return pattern.sub("", text).strip() or text


SAME_DAY_EVENT = 0.3
"""Two events of one date whose words overlap this much (Jaccard, or the share of the shorter
one's words) tell the same happening."""
SAME_EVENT = 0.6
"""Two events of any dates sharing this much of the shorter one's words are one happening told
twice ("Inflation fell…" in two articles); the first, best-supported date stands."""


def merge_events(events: list[DraftEvent]) -> list[DraftEvent]:
    """Merge events that tell the same happening; their citations join."""
    merged: list[DraftEvent] = []
    for event in events:
        words_here = set(content_words(event["event"]))
        for other in merged:
            same_day = other["date"] == event["date"] and (
                jaccard(words_here, content_words(other["event"])) >= SAME_DAY_EVENT
                or shared_words(event["event"], other["event"]) >= SAME_DAY_EVENT
            )
            if same_day or shared_words(event["event"], other["event"]) >= SAME_EVENT:
                other["citations"] = list(dict.fromkeys(other["citations"] + event["citations"]))
                break
        else:
            merged.append(event)
    return merged


def corroborate(events: list[DraftEvent], candidates: list[DateCandidate]) -> None:
    """Cite every other sentence that gives the same date and tells the same event."""
    for event in events:
        words_here = set(content_words(event["event"]))
        figures = set(numbers(event["event"]))
        for candidate in candidates:
            if candidate["date"] != event["date"] or candidate["sentence"] in event["citations"]:
                continue
            # Same date, same words and the same figures: a sentence that gives another
            # figure (nine dead, not 12) tells a different account and is not cited for this one.
            if (
                jaccard(words_here, content_words(candidate["text"])) >= 0.3
                and set(numbers(candidate["text"])) == figures
            ):
                event["citations"].append(candidate["sentence"])


class TimelineUpdate(TypedDict, total=False):
    timeline: list[DraftEvent]
    section_notes: dict[str, str]
    calls: list[CallRecord]
    flags: list[FlagData]


def rule_events(candidates: list[DateCandidate]) -> list[DraftEvent]:
    """The dates the timeline keeps, up to MAX_EVENTS, each as its sentence in the evidence's
    own words, so background ("took office in October 2025") is not lost. The
    best-corroborated dates first, day-precise before vague: the budget goes to them."""
    events: list[DraftEvent] = []
    covered: set[str] = set()
    by_support = sorted(
        candidates, key=lambda c: (-c["support"], _PRECISION_RANK[c["precision"]], c["date"])
    )
    for candidate in by_support:
        if len(events) >= MAX_EVENTS:
            break
        if candidate["date"] not in covered and is_prose(candidate["text"]):
            covered.add(candidate["date"])
            events.append(
                DraftEvent(
                    date=candidate["date"],
                    precision=candidate["precision"],
                    event=candidate["text"],
                    citations=[candidate["sentence"]],
                )
            )
    return events


def extract_timeline(state: StoryState, runtime: Runtime[Context]) -> TimelineUpdate:
    """Find the dated candidates, choose the dates by rule, let the model phrase them."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    candidates = date_candidates(evidence)
    if not candidates:
        return {
            "timeline": [],
            "section_notes": {"timeline": NOT_ENOUGH_EVIDENCE["timeline"]},
        }
    by_id = {c["id"]: c for c in candidates}
    listing = "\n".join(
        f'{c["id"]}: {c["date"]} ({c["precision"]}; "{c["expression"]}" in {c["sentence"]})'
        for c in candidates
    )
    prompt = with_prefix(context, evidence, load_prompt("timeline").render(candidates=listing))
    draft, calls, flags = try_ask(
        context,
        "extract_timeline",
        prompt,
        TimelineDraft,
        max_tokens=500,
        section="timeline",
        choices=[c["id"] for c in candidates],
    )
    # The rule chooses the dates (the best-corroborated, day-precise first); the model only
    # phrases them: an event it phrases for a date the rule chose replaces that date's
    # sentence, and a date it picks beyond those is not added. So a weak model cannot displace
    # a corroborated date, and a strong one still writes the events.
    events = rule_events(candidates)
    phrased: dict[str, DraftEvent] = {}
    for item in draft.events if draft is not None else []:
        candidate = by_id[item.candidate]
        text = _strip_date(item.event, candidate["expression"])
        if candidate["date"] in phrased or not is_prose(text, 3):
            continue
        phrased[candidate["date"]] = DraftEvent(
            date=candidate["date"],
            precision=candidate["precision"],
            event=text,
            citations=[candidate["sentence"]],
        )
    events = [phrased.get(event["date"], event) for event in events]
    events = merge_events(events)
    corroborate(events, candidates)
    events.sort(key=lambda e: e["date"])
    return {"timeline": events, "calls": calls, "flags": flags}
