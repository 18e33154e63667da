"""draft_summary: a neutral summary whose every sentence cites the evidence it rests on."""

from __future__ import annotations

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from agent.checks.drafts import DraftSentence, FlagData, ItemNote, flag
from agent.checks.evidence import Evidence
from agent.checks.extractive import SummaryLine, cut_off, extractive_summary, redundant
from agent.checks.text import content_words, is_prose, not_reporting, numbers
from agent.context import Context, context_of
from agent.llm.gateway import Choice
from agent.nodes.common import evidence_of, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.state import CallRecord, StoryState

MAX_SENTENCES = 5


class SummaryItem(BaseModel):
    # One sentence the model drafts: the evidence sentence ids first (chosen), then the text.
    # The field names are the Story's (and the prompt's): renaming one changes what the model
    # is asked, and so the recorded cassettes.
    citations: list[Choice] = Field(min_length=1, max_length=3)
    text: str = Field(min_length=1, max_length=320)


class SummaryDraft(BaseModel):
    # The schema the model fills; the call's choices are the evidence's selected sentences.
    sentences: list[SummaryItem] = Field(min_length=1, max_length=MAX_SENTENCES)


def model_lines(
    evidence: Evidence, items: list[SummaryItem]
) -> tuple[list[SummaryLine], list[str]]:
    """The model's sentences that go to the fact-check: prose, news, saying nothing twice.

    Whether each stands is the fact-check's call (rules, then the model's verdict where the
    settings ask for it, then revise and fallback); here only what can never stand is dropped.
    """
    index = evidence.sentence_index()
    sources = [sentence.text for article in evidence.originals() for sentence in article.sentences]
    kept: list[SummaryLine] = []
    dropped: list[str] = []
    for item in items:
        text = " ".join(item.text.split())
        cites = [c for c in dict.fromkeys(item.citations) if c in index]
        # A summary sentence is a sentence: a headline fragment or a cut-off excerpt ("linked
        # to the...") does not count. A source's sentence copied whole is a choice among the
        # sources, which the extractive summary makes from every article's words; the model's
        # own sentences (a stronger model's prose) are what it adds.
        if (
            not (is_prose(text) and text.rstrip("\"”’')").endswith((".", "!", "?")) and cites)
            or cut_off(text)
            or not_reporting(text) is not None
            or redundant(text, [line.text for line in kept])
            or any(copied(text, source) for source in sources)
        ):
            dropped.append(text)
            continue
        kept.append(SummaryLine(text, cites))
    return kept, dropped


COPIED = 0.9
"""A sentence sharing this much of its content words with a source sentence, both ways, is
that sentence copied."""


def copied(text: str, source: str) -> bool:
    """True when the text is the source sentence copied (give or take a word or its marks),
    with the same figures: one with another figure is a claim for the fact-check."""
    mine, theirs = set(content_words(text)), set(content_words(source))
    both = len(mine & theirs)
    return (
        bool(mine and theirs)
        and min(both / len(mine), both / len(theirs)) >= COPIED
        and set(numbers(text)) == set(numbers(source))
    )


class SummaryUpdate(TypedDict):
    summary: list[DraftSentence]
    calls: list[CallRecord]
    flags: list[FlagData]


def draft_sentence(line: SummaryLine) -> DraftSentence:
    """A summary line as the drafts carry it; what made it (two figures stated) is its note."""
    sentence = DraftSentence(text=line.text, citations=list(line.sentences))
    if line.origin is not None:
        sentence["notes"] = [ItemNote(kind=line.origin.kind, message=line.origin.message)]
    return sentence


def draft_summary(state: StoryState, runtime: Runtime[Context]) -> SummaryUpdate:
    """The model's checked sentences first, then an extractive multi-document summary."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    prompt = with_prefix(context, evidence, load_prompt("summary").render())
    draft, calls, flags = try_ask(
        context,
        "draft_summary",
        prompt,
        SummaryDraft,
        max_tokens=600,
        section="summary",
        choices=evidence.selected,
    )
    items = list(draft.sentences) if draft is not None else []
    accepted, rejected = model_lines(evidence, items)
    lines = extractive_summary(evidence, keep=accepted)
    if rejected:
        flags.append(
            flag(
                "extractive",
                "summary",
                f"{len(rejected)} of the model's {len(items)} sentences were not prose, not news, "
                "repeated another or copied a source's sentence whole; the rest of the summary "
                "is built from the sources' own sentences (shared facts first, then what each "
                "side adds)",
            )
        )
    return {"summary": [draft_sentence(line) for line in lines], "calls": calls, "flags": flags}
