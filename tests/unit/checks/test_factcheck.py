"""The fact-check rules (check_claim) and the conflict finder."""

from __future__ import annotations

from datetime import datetime

from agent.checks.factcheck import Source, check_claim, find_conflicts, quantities
from agent.checks.neutrality import loaded_words

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
