"""Date resolution against the publication date, and as a property: a future-tense event never
lands before its article."""

from __future__ import annotations

import calendar
from datetime import date, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from agent.checks.dates import display_date, find_dates

PUBLISHED = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
FUTURE_VERBS = st.sampled_from(
    [
        "will visit Tokyo",
        "is due to visit Tokyo",
        "is scheduled to visit Tokyo",
        "plans to visit Tokyo",
    ]
)
WEEKDAY = st.sampled_from(list(calendar.day_name))
MONTH = st.sampled_from(list(calendar.month_name)[1:])


def _not_before(found: str, published: date) -> bool:
    # Compare at the found date's precision: "2026-01" is not before 2026-01-17.
    return found >= published.isoformat()[: len(found)]


def _resolved(sentence: str, published: date) -> list[str]:
    return [d.date for d in find_dates(sentence, published)]


RELATIVE = st.one_of(
    WEEKDAY.map(lambda d: f"on {d}"),
    WEEKDAY.map(lambda d: f"next {d}"),
    WEEKDAY.map(lambda d: f"this {d}"),
    MONTH.map(lambda m: f"in {m}"),
    st.sampled_from(["tomorrow", "next month", "next year", "this month", "this year"]),
)


@given(PUBLISHED, FUTURE_VERBS, RELATIVE)
def test_a_future_event_said_relatively_is_not_before_the_article(
    published: date, verb: str, when: str
) -> None:
    sentence = f"The minister {verb} {when}, officials said."
    found = _resolved(sentence, published)
    assert found, sentence
    assert all(_not_before(d, published) for d in found), (sentence, published, found)


@given(PUBLISHED, WEEKDAY)
def test_a_past_weekday_is_not_after_the_article(published: date, weekday: str) -> None:
    found = _resolved(f"The minister visited Tokyo on {weekday}, officials said.", published)
    assert len(found) == 1 and found[0] <= published.isoformat()
    assert (published - date.fromisoformat(found[0])).days < 7


@given(PUBLISHED, FUTURE_VERBS, MONTH, st.integers(1, 28))
@example(date(2026, 1, 17), "will visit Tokyo", "January", 5)
def test_a_future_month_and_day_is_not_before_the_article(
    published: date, verb: str, month: str, day: int
) -> None:
    sentence = f"The minister {verb} on {month} {day}, officials said."
    found = _resolved(sentence, published)
    assert found and all(_not_before(d, published) for d in found), (sentence, published, found)


PUB = datetime.fromisoformat("2026-01-16T09:00:00+09:00")  # a Friday


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The two met on Thursday at the Pentagon.", [("2026-01-15", "day")]),
        ("He took office in October 2025.", [("2025-10", "month")]),
        ("Last month, aircraft directed radar at Japanese jets.", [("2025-12", "month")]),
        ("Her remarks in November raised concerns.", [("2025-11", "month")]),
        ("They met on Jan. 15 in Washington.", [("2026-01-15", "day")]),
        ("The treaty was signed on December 20.", [("2025-12-20", "day")]),
        ("It was signed on 3 March 2024.", [("2024-03-03", "day")]),
        ("The meeting took place today.", [("2026-01-16", "day")]),
        ("Talks will resume on Monday.", [("2026-01-19", "day")]),
        ("The plan was first proposed in 2019.", [("2019", "year")]),
        ("They may meet again.", []),
        ("Inflation was 2.5% in the period.", []),
    ],
)
def test_dates_resolve_against_the_publication_date(
    sentence: str, expected: list[tuple[str, str]]
) -> None:
    assert [(d.date, d.precision) for d in find_dates(sentence, PUB)] == expected


def test_publication_date_is_never_assumed() -> None:
    assert find_dates("The ministers agreed to strengthen the alliance.", PUB) == []


def test_display_date() -> None:
    assert display_date("2026-01-15") == "January 15, 2026"
    assert display_date("2025-10") == "October 2025"
    assert display_date("2025") == "2025"


@pytest.mark.parametrize(
    ("sentence", "published", "expected"),
    [
        (
            "Officials said Thursday that the ferry, which is expected to reopen, had capsized.",
            PUB,
            ["2026-01-15"],
        ),
        (
            "The deal was signed Wednesday and will take effect next month.",
            PUB,
            ["2026-01-14", "2026-02"],
        ),
        (
            "He said on Dec. 31 that he would resign.",
            datetime.fromisoformat("2026-01-05T09:00:00+00:00"),
            ["2025-12-31"],
        ),
        (
            "In December, officials said the plant would close.",
            datetime.fromisoformat("2026-01-05T09:00:00+00:00"),
            ["2025-12"],
        ),
        ("Demonstrators plan to march 5 miles.", PUB, []),
        ("The summit is scheduled for March 3.", PUB, ["2026-03-03"]),
    ],
)
def test_future_words_govern_only_their_own_clause(
    sentence: str, published: datetime, expected: list[str]
) -> None:
    assert [d.date for d in find_dates(sentence, published)] == expected


def test_timeline_dates_must_be_calendar_dates() -> None:
    from pydantic import ValidationError

    from agent.schemas import TimelineEvent

    with pytest.raises(ValidationError, match="not a calendar date"):
        TimelineEvent(date="2026-13-01", precision="day", event="x", citations=["a1"])
    assert (
        TimelineEvent(date="2025-10", precision="month", event="x", citations=["a1"]).date
        == "2025-10"
    )
