"""The name rule: a sentence copied from the evidence never fails it, whatever its names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from agent.checks.factcheck import Source, rule_check
from agent.checks.text import names

PUBLISHED = datetime(2026, 1, 16, 12, tzinfo=UTC)

# Tokens a news sentence carries: camel-case and all-caps names, initials, possessives,
# hyphenated and apostrophe names, titles, months, plain words.
TOKENS = st.sampled_from(
    [
        "BioNTech",
        "JPMorgan",
        "McDonald's",
        "iPhone",
        "PayPal",
        "O'Brien",
        "Jean-Luc",
        "U.S.",
        "NATO",
        "Pete",
        "Hegseth",
        "Defense",
        "Secretary",
        "Pfizer",
        "Chase",
        "Müller",
        "the",
        "said",
        "shares",
        "rose",
        "and",
        "in",
        "Monday",
        "of",
        "a",
        "Bank",
        "New",
        "York",
        "DeSantis",
        "MacArthur",
        "YouTube",
        "eBay",
        "AstraZeneca",
    ]
)
SENTENCE = st.lists(TOKENS, min_size=3, max_size=14).map(lambda ws: " ".join(ws) + ".")


def _name_problems(claim: str, evidence: list[str]) -> list[str]:
    cited = [Source("a1", f"a1-s{i}", text, PUBLISHED) for i, text in enumerate(evidence)]
    problems, _, _ = rule_check(claim, cited)
    return [p for p in problems if "name" in p]


@pytest.mark.parametrize(
    "sentence",
    [
        "BioNTech and Pfizer said the vaccine works.",
        "JPMorgan Chase raised its forecast on Monday.",
        "McDonald's and PayPal reported results.",
        "Florida Governor Ron DeSantis signed the bill.",
    ],
)
def test_a_verbatim_sentence_with_camel_case_names_passes(sentence: str) -> None:
    assert _name_problems(sentence, ["An earlier sentence.", sentence]) == []


@given(SENTENCE, SENTENCE, SENTENCE)
@example("BioNTech shares rose.", "the said.", "JPMorgan said.")
def test_any_verbatim_sentence_passes_the_name_rule(before: str, claim: str, after: str) -> None:
    assert _name_problems(claim, [before, claim, after]) == [], claim
    assert _name_problems(claim, [claim]) == [], claim


def test_a_camel_case_name_is_one_name() -> None:
    assert "BioNTech" in names("Shares of BioNTech rose.")
    assert "JPMorgan Chase" in names("Analysts at JPMorgan Chase said so.")


def test_an_invented_camel_case_name_still_fails() -> None:
    assert _name_problems("BioNTech said the vaccine works.", ["Pfizer said the vaccine works."])
