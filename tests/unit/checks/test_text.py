"""Sentences, numbers, quotes and names: the deterministic ground of the fact-check."""

from __future__ import annotations

from agent.checks.text import names, numbers, quotes, split_sentences


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
