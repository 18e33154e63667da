"""classify: category from the page's list, sentiment, and a neutral headline."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from agent.checks.claims import fallback_title, title_problems
from agent.checks.drafts import Classification as ClassificationData
from agent.checks.drafts import FlagData, flag
from agent.checks.evidence import Evidence
from agent.checks.text import words
from agent.context import Context, context_of
from agent.nodes.common import evidence_of, try_ask, with_prefix
from agent.prompts import load_prompt
from agent.schemas import CATEGORIES, Category, Sentiment
from agent.state import CallRecord, StoryState

_NEGATIVE = frozenset(
    "killed died dead death deaths injured wounded capsized crash crashed disaster attack attacks "
    "war bombing shooting flood floods fire fires collapse collapsed arrested charged fraud "
    "victims casualties destroyed evacuated outbreak recession layoffs drowned missing losses "
    "evicted eviction evictions homeless bankrupt".split()
)
_POSITIVE = frozenset(
    "won win wins victory celebrated celebrate record breakthrough recovered rescued growth "
    "improved improves cure award awarded agreement peace".split()
)


# Words that file a story under a category of the page. General vocabulary of each beat, not
# fitted to one story; a story goes where its words point most (titles count twice).
_CATEGORY_WORDS: dict[Category, frozenset[str]] = {
    "Politics": frozenset(
        "senate senator senators congress congressional house lawmakers legislation bill bills "
        "democrat democrats democratic republican republicans gop election elections vote voters "
        "voting ballot campaign president biden trump obama administration governor governors "
        "white partisan filibuster impeachment caucus speaker pelosi mcconnell schumer "
        "immigration border migrants asylum policy supreme justices".split()
    ),
    "Economy": frozenset(
        "economy economic inflation prices jobs unemployment wages recession gdp growth interest "
        "rate rates fed federal-reserve reserve bank central spending tax taxes debt deficit "
        "market markets stocks consumer workers labor employers rent landlords tenants "
        "eviction housing mortgage".split()
    ),
    "Business": frozenset(
        "company companies corporate ceo shares shareholders profit profits revenue merger "
        "acquisition firm firms industry startup sales retailer earnings".split()
    ),
    "Health": frozenset(
        "covid covid-19 coronavirus pandemic vaccine vaccines vaccinated vaccination virus "
        "health hospital hospitals patients cdc fda disease cases masks mask omicron delta "
        "doctors medical drug drugs".split()
    ),
    "International": frozenset(
        "israel israeli palestinian palestinians gaza iran iranian china chinese russia russian "
        "ukraine ukrainian europe european eu nato un afghanistan taliban syria korea japan "
        "japanese taiwan minister foreign diplomatic embassy ally allies alliance defense "
        "defence military troops war sanctions".split()
    ),
    "Environment": frozenset(
        "climate emissions carbon energy oil gas pipeline renewable solar wind environmental "
        "epa warming fossil drilling coal electric".split()
    ),
    "Technology": frozenset(
        "cyber cyberattack hackers hack hacking ransomware software tech technology facebook "
        "twitter google apple amazon microsoft data online internet app ai".split()
    ),
    "Crime & Law": frozenset(
        "police court judge trial charged charges prosecutors murder shooting crime criminal "
        "arrested jury verdict lawsuit fbi investigation sentenced prison attorney "
        "justice".split()
    ),
    "Culture": frozenset(
        "racism racial race culture media film music art history holiday christmas "
        "thanksgiving".split()
    ),
    "General": frozenset(
        "ferry capsized storm hurricane earthquake flood floods wildfire fire crash disaster "
        "rescue rescuers coastguard tornado explosion collapse".split()
    ),
    "Sports": frozenset(
        "game games team teams season player players league nfl nba mlb olympics coach "
        "championship tournament".split()
    ),
    "Education": frozenset("school schools students teachers education university".split()),
}


class Classification(BaseModel):
    """The model's answer: the headline first, then category and sentiment."""

    title: str = Field(min_length=3, max_length=120)
    category: Category
    sentiment: Sentiment


def deterministic_category(evidence: Evidence) -> tuple[Category, dict[Category, float]]:
    """The page category the evidence's own words point to most, with each category's score."""
    counts: dict[Category, float] = dict.fromkeys(_CATEGORY_WORDS, 0.0)
    texts = [(a.title, 2.0) for a in evidence.originals()]
    texts += [(s.text, 1.0) for a in evidence.originals() for s in a.sentences]
    for text, weight in texts:
        for word in words(text):
            for category, lexicon in _CATEGORY_WORDS.items():
                if word in lexicon:
                    counts[category] += weight
    total = sum(counts.values())
    if not total:
        return "General", counts
    best = max(counts, key=lambda c: (counts[c], c == "Politics"))
    return best, {c: v / total for c, v in counts.items()}


def sentiment_cues(evidence: Evidence) -> tuple[int, int]:
    """Count clearly negative and clearly positive words in the evidence."""
    index = evidence.sentence_index()
    words_in = [w for sid in evidence.selected for w in words(index[sid][1].text)]
    return sum(w in _NEGATIVE for w in words_in), sum(w in _POSITIVE for w in words_in)


def sentiment_flags(evidence: Evidence, sentiment: str) -> list[FlagData]:
    """Flag a sentiment the evidence's own words clearly argue against (the editor decides)."""
    negative, positive = sentiment_cues(evidence)
    if sentiment == "positive" and negative >= 3 and negative > 2 * positive:
        reason = (
            f"{negative} clearly negative words (killed, disaster, …) against {positive} positive"
        )
    elif sentiment == "negative" and positive >= 3 and positive > 2 * negative:
        reason = f"{positive} clearly positive words against {negative} negative"
    else:
        return []
    return [
        flag("sentiment", "title", f"sentiment {sentiment!r} is doubtful: the sources use {reason}")
    ]


SENTIMENT_CLEAR = 0.3
"""A mean VADER compound score at least this far from 0 decides the sentiment by itself."""


@lru_cache(maxsize=1)
def vader_analyzer() -> Any:
    """VADER's analyser (its lexicon ships in the package), loaded once per process."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def lexicon_sentiment(evidence: Evidence) -> float:
    """The mean VADER compound score of the evidence sentences (-1 negative .. 1 positive)."""
    analyzer = vader_analyzer()
    scores = [
        analyzer.polarity_scores(s.text)["compound"]
        for a in evidence.originals()
        for s in a.sentences
    ]
    return sum(scores) / len(scores) if scores else 0.0


def decide_sentiment(evidence: Evidence, model: Sentiment | None) -> tuple[Sentiment, str]:
    """The sentiment and what decided it: harm words, the lexicon, or the model where unsure.

    A story whose evidence is dominated by deaths, disasters or losses is never positive.
    """
    negative, positive = sentiment_cues(evidence)
    if negative >= 2 and negative > 2 * positive:
        return "negative", "harm"
    score = lexicon_sentiment(evidence)
    if score >= SENTIMENT_CLEAR:
        return "positive", "lexicon"
    if score <= -SENTIMENT_CLEAR:
        return "negative", "lexicon"
    if model is None:
        return "neutral", "lexicon"
    # Unsure: the model's answer, unless the lexicon leans the other way.
    if (model == "positive" and score < 0) or (model == "negative" and score > 0):
        return "neutral", "lexicon"
    return model, "model"


class ClassifyUpdate(TypedDict):
    classification: ClassificationData
    calls: list[CallRecord]
    flags: list[FlagData]


def classify(state: StoryState, runtime: Runtime[Context]) -> ClassifyUpdate:
    """Headline, category and sentiment: the model's where they pass, else the evidence's."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    task = load_prompt("classify").render(categories=", ".join(CATEGORIES))
    answer, calls, flags = try_ask(
        context,
        "classify",
        with_prefix(context, evidence, task),
        Classification,
        max_tokens=120,
        section="title",
    )
    title = " ".join(answer.title.split()).strip(" .\"'") if answer is not None else ""
    problems = title_problems(title, evidence) if title else ["the model gave none"]
    title_origin = "model"
    if problems:
        composed = fallback_title(evidence)
        title_origin = (
            "composed"
            if composed != "" and not any(composed == a.title for a in evidence.originals())
            else "source"
        )
        flags.append(
            flag(
                "title",
                "title",
                f"the model's headline {title!r} could not stand ({'; '.join(problems[:3])}); "
                + (
                    "a headline was composed from the facts the sources share"
                    if title_origin == "composed"
                    else "a neutral source headline stands in"
                ),
            )
        )
        title = composed
    category, _ = deterministic_category(evidence)
    if (
        category == "General"
        and answer is not None
        and not any(
            w in _CATEGORY_WORDS["General"] for a in evidence.originals() for w in words(a.title)
        )
    ):
        category = answer.category  # the evidence's words point nowhere: the model's choice
    sentiment, sentiment_by = decide_sentiment(
        evidence, answer.sentiment if answer is not None else None
    )
    if answer is not None and answer.sentiment != sentiment:
        by = "the harm words" if sentiment_by == "harm" else "the VADER lexicon"
        flags.append(
            flag(
                "sentiment",
                "title",
                f"the model's sentiment {answer.sentiment!r} was overruled by {by} "
                f"of the evidence: {sentiment!r}",
            )
        )
    return {
        "classification": ClassificationData(title=title, category=category, sentiment=sentiment),
        "calls": calls,
        "flags": flags + sentiment_flags(evidence, sentiment),
    }
