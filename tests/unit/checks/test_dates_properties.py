"""Date resolution as a property: a future-tense event never lands before its article."""

from __future__ import annotations

import calendar
from datetime import date

from hypothesis import example, given
from hypothesis import strategies as st

from agent.checks.dates import find_dates

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
