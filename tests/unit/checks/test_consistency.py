"""Alignment of a summary to a whole document (SummEdits): names, findings and the calibration
that weighs them."""

from __future__ import annotations

import pytest

from agent.checks.consistency import (  # noqa: E402
    SHIPPED,
    claim_findings,
    count_findings,
    fit_calibration,
    index_evidence,
    name_in_evidence,
)

DOC = (
    "Protesters from Greenpeace poured red paint outside the Russian embassy in London on "
    "Friday, the eve of the first anniversary of the invasion of Ukraine. Police arrested "
    "three people. The European Union said it was not consulted. Sales of the paint rose "
    "by 12 percent, the Food and Drug Administration said."
)


INDEX = index_evidence([DOC])


def kinds(claim: str) -> list[str]:
    return sorted(f.kind for f in claim_findings(claim, INDEX))


def test_names_match_demonyms_acronyms_and_short_forms_only() -> None:
    assert name_in_evidence("Russia", INDEX)  # the document says "Russian"
    assert name_in_evidence("Ukrainian", INDEX)  # the document says "Ukraine"
    assert name_in_evidence("EU", INDEX)  # initials of "European Union"
    assert name_in_evidence("FDA", INDEX)  # initials of "Food and Drug Administration"
    assert name_in_evidence("U.K.", index_evidence(["British police made arrests."]))
    assert not name_in_evidence("Moscow", INDEX)
    assert not name_in_evidence("U.S.", INDEX)
    assert not name_in_evidence("Greenland", INDEX)


def test_a_paraphrase_with_new_ordinary_words_has_no_findings() -> None:
    # Synonyms the document never uses are what paraphrase does: they are not held against it.
    claim = (
        "On the eve of the invasion's first anniversary, Greenpeace demonstrators splashed "
        "red paint in front of London's Russian embassy."
    )
    assert kinds(claim) == []
    # A sentence's first word is capitalised anyway: not a name.
    assert kinds("Demonstrators splashed red paint outside the Russian embassy.") == []


def test_a_swapped_name_number_or_ordinal_is_found() -> None:
    assert kinds("Protesters poured red paint outside the Russian embassy in Moscow.") == ["names"]
    assert kinds("Police arrested four people.") == ["numbers"]
    assert kinds("It was the eve of the second anniversary of the invasion.") == ["numbers"]
    assert kinds("Sales of the paint rose by 12 percent.") == []


def test_negation_and_antonyms_are_found_against_the_aligned_sentence() -> None:
    assert kinds("The European Union said it was consulted.") == ["negation"]
    assert kinds("Police did not arrest three people.") == ["negation"]
    assert kinds("Sales of the paint fell by 12 percent.") == ["antonyms"]


def test_a_verbatim_sentence_has_no_findings() -> None:
    for sentence in (
        "Police arrested three people.",
        "The European Union said it was not consulted.",
        "Sales of the paint rose by 12 percent, the Food and Drug Administration said.",
    ):
        assert kinds(sentence) == [], sentence


def test_the_calibration_weighs_findings_and_refuses_one_label() -> None:
    rows = [({"names": 1}, 0)] * 8 + [({"names": 0}, 1)] * 8 + [({"names": 1}, 1)] * 2
    calibration = fit_calibration(rows)
    assert calibration.weights["names"] > 0
    assert not calibration.consistent({"names": 1}) and calibration.consistent({"names": 0})
    with pytest.raises(ValueError, match="both labels"):
        fit_calibration([({"names": 1}, 0)] * 3)


def test_a_finding_that_goes_with_consistency_gets_no_weight() -> None:
    # Here antonyms happen to come with consistent summaries: an accident of the sample that
    # must not teach the checker that an antonym makes a summary true.
    rows = (
        [({"names": 1, "antonyms": 0}, 0)] * 6
        + [({"names": 0, "antonyms": 1}, 1)] * 6
        + [({"names": 0, "antonyms": 0}, 1)] * 6
    )
    calibration = fit_calibration(rows)
    assert "antonyms" not in calibration.weights and calibration.weights["names"] > 0


def test_shipped_calibration_flags_any_single_finding() -> None:
    assert SHIPPED.consistent(count_findings([]))
    for kind in SHIPPED.weights:
        assert not SHIPPED.consistent({kind: 1}), kind
