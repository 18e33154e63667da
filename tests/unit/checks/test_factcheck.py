"""The fact-check rules, the conflict finder and the SummEdits entry point."""

from __future__ import annotations

from datetime import datetime

import pytest

from agent.checks.factcheck import Source, check_claim, find_conflicts, quantities
from agent.checks.neutrality import loaded_words
from agent.nodes.fact_check import check_summary

PUB = datetime.fromisoformat("2026-01-16T09:00:00+09:00")
S1 = Source(
    "a1", "a1.s1", "Koizumi met Hegseth at the Pentagon on Thursday for about 50 minutes.", PUB
)
S2 = Source(
    "a2", "a2.s1", 'Koizumi said the alliance "had never been stronger" after the talks.', PUB
)
S3 = Source("a3", "a3.s1", "The ministers did not discuss trade tariffs at the meeting.", PUB)
POOL = [S1, S2, S3]


def verdict(claim: str, cited: list[Source], **kwargs: object) -> tuple[str, str]:
    result = check_claim(claim, cited, POOL, **kwargs)  # type: ignore[arg-type]
    return result.verdict, result.note


def test_faithful_paraphrase_is_supported() -> None:
    assert (
        verdict("Koizumi met Hegseth at the Pentagon on Thursday for about 50 minutes.", [S1])[0]
        == "supported"
    )


def test_changed_number_contradicts() -> None:
    result, note = verdict(
        "Koizumi met Hegseth at the Pentagon on Thursday for about 90 minutes.", [S1]
    )
    assert result == "contradicted" and "90" in note


def test_changed_date_contradicts() -> None:
    result, note = verdict(
        "Koizumi met Hegseth at the Pentagon on Tuesday for about 50 minutes.", [S1]
    )
    assert result == "contradicted" and "2026-01-13" in note


def test_swapped_name_contradicts() -> None:
    result, note = verdict(
        "Koizumi met Austin at the Pentagon on Thursday for about 50 minutes.", [S1]
    )
    assert result == "contradicted" and "Austin" in note


def test_quote_must_be_verbatim() -> None:
    result, note = verdict('Koizumi said the alliance "was never stronger" after the talks.', [S2])
    assert result != "supported" and "verbatim" in note


def test_flipped_negation_contradicts() -> None:
    result, note = verdict("The ministers discussed trade tariffs at the meeting.", [S3])
    assert result == "contradicted" and "negation" in note


def test_unrelated_claim_is_unsupported() -> None:
    result, _ = verdict("Tokyo will host the next summit of the alliance.", [S1])
    assert result == "unsupported"


def test_loaded_word_the_sources_do_not_use_fails() -> None:
    result, note = verdict(
        "Koizumi slammed Hegseth at the Pentagon on Thursday for about 50 minutes.", [S1]
    )
    assert result != "supported" and "slammed" in note
    assert loaded_words("A reckless, so-called plan") == ["reckless", "so-called"]


def test_miscited_claim_is_recited_to_its_real_evidence() -> None:
    result = check_claim(
        "Koizumi met Hegseth at the Pentagon on Thursday for about 50 minutes.", [S3], POOL
    )
    assert result.verdict == "supported" and result.recited
    assert [e.sentence_id for e in result.evidence] == ["a1.s1"]


def test_model_settles_only_what_the_rules_leave_open() -> None:
    asked: list[str] = []

    def verifier(claim: str, evidence: list[Source]) -> tuple[str, str]:
        asked.append(claim)
        return "contradicted", "the model judged it contradicted"

    # Word-for-word: the rules decide, the model is not asked.
    assert check_claim(S1.text, [S1], POOL, verifier=verifier).verdict == "supported"  # type: ignore[arg-type]
    assert asked == []
    # A looser paraphrase with nothing the rules can hold against it goes to the model.
    loose = "At the Pentagon on Thursday, Koizumi held roughly 50 minutes of meetings with Hegseth."
    result = check_claim(loose, [S1], POOL, verifier=verifier)  # type: ignore[arg-type]
    assert asked == [loose] and result.verdict == "contradicted" and result.method == "model"


def test_conflicting_figures_between_articles() -> None:
    a = Source(
        "f1", "f1.s1", "At least 12 people were killed when the ferry capsized on Friday.", PUB
    )
    b = Source(
        "f2", "f2.s1", "Nine people died when the ferry capsized on Friday, police said.", PUB
    )
    c = Source(
        "f3", "f3.s1", "The coastguard said 12 people were killed when the ferry capsized.", PUB
    )
    conflicts = find_conflicts([a, b, c])
    assert len(conflicts) == 2
    assert {v.article_id for x in conflicts for v in x.values} == {"f1", "f2", "f3"}
    assert all(x.about.startswith("deaths") for x in conflicts)
    assert find_conflicts([a, c]) == []  # agreeing sources are no conflict


def test_durations_compare_in_minutes() -> None:
    s = Source("f1", "f1.s1", "Rescue crews took an hour to reach the ferry.", PUB)
    assert [(q.unit, q.value) for q in quantities(s)] == [("duration in minutes", 60.0)]
    t = Source("f2", "f2.s1", "The talks lasted 2 hours.", PUB)
    assert [(q.unit, q.value) for q in quantities(t)] == [("duration in minutes", 120.0)]


def test_check_summary_for_summedits() -> None:
    document = (
        "The city council approved a budget of 2 million dollars on Monday. "
        "The mayor said the money would go to parks. Critics said the plan was rushed."
    )
    good = check_summary(
        document,
        "The council approved a budget of 2 million dollars on Monday.",
        gateway=None,
        now=PUB,
    )
    bad = check_summary(
        document,
        "The council rejected a budget of 3 million dollars on Monday.",
        gateway=None,
        now=PUB,
    )
    assert good.unsupported == good.contradicted == 0
    assert bad.unsupported + bad.contradicted == 1


def test_reviewed_false_acceptances_are_caught() -> None:
    def single(claim: str, evidence: str) -> str:
        return check_claim(claim, [Source("a", "a.s1", evidence, PUB)], []).verdict

    assert (
        single("15 people died in the crash", "Three people died in the crash on Jan. 15")
        == "contradicted"
    )
    assert (
        single(
            "On Jan. 15, Koizumi met Hegseth at the Pentagon.",
            "Koizumi met Hegseth at the Pentagon on Thursday.",
        )
        == "supported"
    )
    assert (
        single(
            "Pete Vance met Koizumi at the White House.",
            "Vice President JD Vance met Koizumi at the White House, after Pete Hegseth left.",
        )
        == "contradicted"
    )
    assert (
        single(
            "Unemployment increased to 5.2 percent in March.",
            "Unemployment fell to 5.2 percent in March.",
        )
        == "contradicted"
    )
    assert (
        single(
            "Smith called the plan ‘a disaster’ for farmers.",
            "Smith called the plan a success for farmers.",
        )
        != "supported"
    )
    assert (
        single(
            "Prime Minister Müller met the delegation.",
            "Prime Minister Schröder met the delegation.",
        )
        != "supported"
    )
    assert (
        single(
            "Defense Minister Koizumi met Hegseth at the Pentagon.",
            "Defense Minister Shinjiro Koizumi met Pete Hegseth at the Pentagon.",
        )
        == "supported"
    )


def test_the_model_is_asked_once_per_claim_and_evidence() -> None:
    from agent.llm.fake import FakeModel
    from agent.llm.gateway import Gateway
    from agent.nodes.fact_check import model_verifier

    fake = FakeModel().respond("VerifyAnswer", lambda r: {"verdict": "supported"})
    verify = model_verifier(Gateway(fake))
    assert verify("Koizumi met Hegseth.", [S1]) == ("supported", "")
    assert verify("Koizumi met Hegseth.", [S1]) == ("supported", "")
    assert verify("Koizumi met Hegseth.", [S2])[0] == "supported"
    assert len(fake.calls("VerifyAnswer")) == 2


# ------------------------------------------------ alignment to a whole document (SummEdits)

from agent.checks.consistency import (  # noqa: E402
    SHIPPED,
    claim_findings,
    count_findings,
    fit_calibration,
    index_evidence,
    name_in_evidence,
    summary_counts,
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


def test_check_summary_passes_a_paraphrase_and_flags_a_swap() -> None:
    true = check_summary(
        DOC,
        "Greenpeace demonstrators splashed red paint outside London's Russian embassy. "
        "Three people were arrested.",
        gateway=None,
        now=PUB,
    )
    assert true.unsupported == 0 and true.contradicted == 0 and true.supported == 2
    false = check_summary(
        DOC,
        "Greenpeace demonstrators splashed red paint outside Moscow's Russian embassy. "
        "Three people were arrested.",
        gateway=None,
        now=PUB,
    )
    assert false.unsupported == 1 and "Moscow" in false.claims[0].note
    assert false.claims[1].verdict == "supported"
    assert summary_counts(DOC, "Sales of the paint fell by 12 percent.")["antonyms"] == 1


def test_graph_names_allow_demonyms_and_whole_names_but_not_mixed_names() -> None:
    def single(claim: str, evidence: str) -> str:
        return check_claim(claim, [Source("a1", "a1.s1", evidence, PUB)], []).verdict

    assert (
        single(
            "Activists gathered at the London Russian embassy on Friday.",
            "Activists gathered at the Russian embassy in London on Friday.",
        )
        == "supported"
    )
    assert (
        single(
            "Russia's embassy in London was painted on Friday.",
            "The Russian embassy in London was painted on Friday.",
        )
        == "supported"
    )
    assert (
        single(
            "Activists gathered at the Moscow Russian embassy on Friday.",
            "Activists gathered at the Russian embassy in London on Friday.",
        )
        != "supported"
    )


def test_check_summary_asks_the_model_only_where_the_findings_are_silent() -> None:
    from agent.llm.fake import FakeModel
    from agent.llm.gateway import Gateway

    fake = FakeModel().respond("VerifyAnswer", lambda r: {"verdict": "contradicted"})
    checked = check_summary(
        DOC,
        "Three people were arrested by police. The protest happened in Moscow.",
        gateway=Gateway(fake),
        now=PUB,
    )
    # The Moscow sentence is settled by the rules; only the other one goes to the model.
    assert len(fake.calls("VerifyAnswer")) == 1
    assert [c.verdict for c in checked.claims] == ["contradicted", "unsupported"]
    assert "model" in checked.claims[0].note and "Moscow" in checked.claims[1].note
