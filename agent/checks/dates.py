"""Find the dates a sentence speaks of, resolved against its article's publication date.

"on Thursday" in an article published Friday 2026-01-16 is 2026-01-15; "last month" is the
month before publication; "in October 2025" is a month. The publication date is only ever the
event date when the text says so ("today", a weekday that falls on it).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

Precision = Literal["day", "month", "year"]

MONTHS = {
    name.lower(): index
    for index in range(1, 13)
    for name in (calendar.month_name[index], calendar.month_abbr[index])
}
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})-(?P<day>\d{2})\b")),
    ("mdy", re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,)?\s+{_YEAR}\b", re.I)),
    ("dmy", re.compile(rf"\b{_DAY}\s+{_MONTH}(?:,)?\s+{_YEAR}\b", re.I)),
    (
        "md",
        re.compile(
            rf"\b{_MONTH}\s+{_DAY}\b(?!\s*(?:,\s*)?(?:19|20)\d{{2}})(?!\s*(?:%|percent))", re.I
        ),
    ),
    ("dm", re.compile(rf"\b{_DAY}\s+{_MONTH}\b(?!\s*(?:,\s*)?(?:19|20)\d{{2}})", re.I)),
    ("my", re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b", re.I)),
    ("relmonth", re.compile(r"\b(?P<rel>last|this|next)\s+month\b", re.I)),
    ("relyear", re.compile(r"\b(?P<rel>last|this|next)\s+year\b", re.I)),
    ("relday", re.compile(r"\b(?P<rel>today|yesterday|tomorrow|tonight)\b", re.I)),
    ("weekday", re.compile(rf"\b(?P<rel>last|next|this|on)?\s*{_WEEKDAY}\b", re.I)),
    (
        "inmonth",
        re.compile(
            rf"\b(?:in|since|from|until|by|during|early|late|mid-?)\s+{_MONTH}\b(?!\s+\d)", re.I
        ),
    ),
    (
        "year",
        re.compile(rf"\b(?:in|since|from|until|by|during|of|early|late|mid-?)\s+{_YEAR}\b", re.I),
    ),
]

# Words that put the date they govern in the future. "would" counts only in the date's own
# clause, before it: "said it would open an investigation on Monday" is the next Monday, while
# in "said Thursday that he would resign" the date comes first and is the past.
_FUTURE = re.compile(
    r"\b(will|shall|would|plans? to|planning to|intends? to|is to|are to|is due|are due|"
    r"scheduled|expected to|set to|is going to|are going to)\b",
    re.I,
)
# A date that bounds something ("extended through Oct. 3", "until March 1") is a deadline: it
# lies ahead of the sentence's news more often than not, and is no event in itself.
_DEADLINE = re.compile(
    r"\b(through|thru|until|till|by|extended to|extends to|extending it to|expires?(?: on)?|"
    r"expiring(?: on)?|deadline(?: of)?|no later than|effective|starting|beginning)\s*$",
    re.I,
)
_CLAUSE = re.compile(r"[,;:]|\bthat\b|\bwhich\b|\bwho\b|\band\b|\bbut\b", re.I)
# Month names that are also ordinary words: only a capitalised one is a month.
_AMBIGUOUS_MONTHS = ("may", "march")


def _future_word(sentence: str, start: int) -> str | None:
    """The future word that governs the date at `start` (in its clause, before it), if any."""
    before = sentence[max(0, start - 60) : start]
    clause = _CLAUSE.split(before)[-1]
    found = _FUTURE.findall(clause)
    return found[-1].lower() if found else None


def _future_near(sentence: str, start: int) -> bool:
    """True when a future word governs the date at `start`: in its clause, before it."""
    return _future_word(sentence, start) is not None


@dataclass(frozen=True)
class FoundDate:
    """A date expression in a sentence, resolved."""

    date: str
    precision: Precision
    expression: str
    start: int
    relative: bool
    end: int = 0
    """Where the expression ends in the sentence."""
    deadline: bool = False
    """The date bounds something ("through Oct. 3") rather than telling when it happened."""
    future: bool = False
    """The sentence speaks of the date in the future tense."""


def _fmt(year: int, month: int | None = None, day: int | None = None) -> tuple[str, Precision]:
    if month is None:
        return f"{year:04d}", "year"
    if day is None:
        return f"{year:04d}-{month:02d}", "month"
    return f"{year:04d}-{month:02d}-{day:02d}", "day"


def _month_of(token: str) -> int | None:
    token = token.lower().rstrip(".")
    if token.isdigit():
        value = int(token)
        return value if 1 <= value <= 12 else None
    return MONTHS.get(token)


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def forget() -> None:
    """Drop the remembered dates."""
    _find_dates.cache_clear()


def find_dates(sentence: str, published: datetime | date) -> list[FoundDate]:
    """Return the dates the sentence speaks of, resolved against the publication date."""
    offset = published.utcoffset() if isinstance(published, datetime) else None
    return list(_find_dates(sentence, published, offset))


@lru_cache(maxsize=16384)
def _find_dates(
    sentence: str, published: datetime | date, offset: timedelta | None
) -> list[FoundDate]:
    # Remembered (the checks read each evidence sentence claim after claim); the caller gets a
    # copy. The offset is in the key: the same instant in another zone may be another date.
    pub = published.date() if isinstance(published, datetime) else published
    taken: list[tuple[int, int]] = []
    found: list[FoundDate] = []

    def overlaps(start: int, end: int) -> bool:
        return any(start < e and s < end for s, e in taken)

    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(sentence):
            if overlaps(match.start(), match.end()):
                continue
            said = _future_word(sentence, match.start())
            future = said is not None
            deadline = bool(_DEADLINE.search(sentence[max(0, match.start() - 30) : match.start()]))
            # "will", "is due to", "is scheduled to" look ahead of the article; "would" is also
            # the past's future ("said it would vote on Jan. 5", reported after the vote).
            resolved = _resolve(
                kind, match, pub, future, deadline, ahead=future and said != "would"
            )
            if resolved is None:
                continue
            text, precision = resolved
            taken.append((match.start(), match.end()))
            found.append(
                FoundDate(
                    date=text,
                    precision=precision,
                    expression=match.group(0).strip(),
                    start=match.start(),
                    end=match.end(),
                    relative=kind
                    in ("md", "dm", "relmonth", "relyear", "relday", "weekday", "inmonth"),
                    deadline=deadline,
                    future=future,
                )
            )
    found.sort(key=lambda f: f.start)
    return found


def _resolve(
    kind: str,
    match: re.Match[str],
    pub: date,
    future: bool,
    deadline: bool = False,
    ahead: bool = False,
) -> tuple[str, Precision] | None:
    """Resolve one match; `ahead`: the tense puts the date on or after the article."""
    groups = match.groupdict()
    if kind in ("iso", "mdy", "dmy"):
        month = _month_of(groups["month"])
        year, day = int(groups["year"]), int(groups["day"])
        if month is None or not _valid(year, month, day):
            return None
        return _fmt(year, month, day)
    if kind in ("md", "dm"):
        month = _month_of(groups["month"])
        day = int(groups["day"])
        if month is None or not 1 <= day <= 31:
            return None
        # "May 5" is also "may 5 people…", "march 5 miles": the month needs its capital.
        if groups["month"].lower() in _AMBIGUOUS_MONTHS and not groups["month"][0].isupper():
            return None
        year = pub.year
        later = future or deadline
        if (
            _valid(year, month, day)
            and date(year, month, day) > pub + timedelta(days=31)
            and not later
        ):
            year -= 1  # "Dec. 20" in an article of early January
        elif _valid(year, month, day) and date(year, month, day) < pub - timedelta(
            days=0 if ahead else 60 if future else 180
        ):
            # "will visit on Jan. 5" is the next Jan. 5; "until Jan. 10" in December is next
            # year's; "would" and deadlines roll forward only when far behind the article.
            year += 1
        if not _valid(year, month, day):
            return None
        return _fmt(year, month, day)
    if kind == "my":
        month = _month_of(groups["month"])
        if month is None or (
            groups["month"].lower() in _AMBIGUOUS_MONTHS and not groups["month"][0].isupper()
        ):
            return None
        return _fmt(int(groups["year"]), month)
    if kind == "inmonth":
        month = _month_of(groups["month"])
        if month is None or (
            groups["month"].lower() in ("may", "march") and not groups["month"][0].isupper()
        ):
            return None
        year = pub.year
        if month > pub.month and not (future or deadline):
            year -= 1
        elif month < pub.month and future:
            year += 1
        return _fmt(year, month)
    if kind == "year":
        return _fmt(int(groups["year"]))
    if kind == "relmonth":
        shift = {"last": -1, "this": 0, "next": 1}[groups["rel"].lower()]
        index = pub.year * 12 + pub.month - 1 + shift
        return _fmt(index // 12, index % 12 + 1)
    if kind == "relyear":
        shift = {"last": -1, "this": 0, "next": 1}[groups["rel"].lower()]
        return _fmt(pub.year + shift)
    if kind == "relday":
        shift = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}[groups["rel"].lower()]
        when = pub + timedelta(days=shift)
        return _fmt(when.year, when.month, when.day)
    if kind == "weekday":
        target = WEEKDAYS[groups["weekday"].lower()]
        rel = (groups.get("rel") or "").lower()
        if rel == "next" or (future and rel != "last"):
            delta = (target - pub.weekday()) % 7 or 7
            when = pub + timedelta(days=delta)
        else:
            delta = (pub.weekday() - target) % 7
            if rel == "last" and delta == 0:
                delta = 7
            when = pub - timedelta(days=delta)
        return _fmt(when.year, when.month, when.day)
    return None


def display_date(value: str) -> str:
    """Render an ISO date of any precision for people: 'Jan. 15, 2026', 'October 2025'."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    month = calendar.month_name[parts[1]]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    return f"{month} {parts[2]}, {parts[0]}"
