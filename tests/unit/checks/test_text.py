"""Sentences, numbers, names and dates: the deterministic ground of the fact-check."""

from __future__ import annotations

from datetime import datetime

import pytest

from agent.checks.dates import display_date, find_dates
from agent.checks.text import names, numbers, quotes, split_sentences

PUB = datetime.fromisoformat("2026-01-16T09:00:00+09:00")  # a Friday


def test_sentences_keep_abbreviations_and_are_exact_substrings() -> None:
    text = (
        "Japanese Defense Minister Shinjiro Koizumi met U.S. Defense Secretary Pete Hegseth on Jan. 15 "
        'at the Pentagon.  The talks lasted about 50 minutes. Mr. Koizumi said 2.5 percent was "not enough."\n'
        "A new paragraph starts here."
    )
    sentences = split_sentences(text)
    assert len(sentences) == 4
    assert sentences[0].endswith("at the Pentagon.")
    assert all(s in text for s in sentences)


def test_numbers_in_digits_and_words() -> None:
    assert numbers("about 50 minutes, 1,500 euros and 2.5 million people") == [50, 1500, 2.5e6]
    assert numbers("Nine people died") == [9]


def test_quotes_and_names() -> None:
    assert quotes('He said the alliance "had never been stronger" today.') == [
        "had never been stronger"
    ]
    found = names("On Thursday, Shinjiro Koizumi met Pete Hegseth at the Pentagon.")
    assert "Shinjiro Koizumi" in found and "Pete Hegseth" in found
    assert not any("Thursday" in n for n in found)


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
