"""The fact-check node's entry points: check_summary (SummEdits) and the model verifier that asks
once per claim and evidence."""

from __future__ import annotations

from datetime import datetime

from agent.checks.consistency import (  # noqa: E402
    summary_counts,
)
from agent.checks.factcheck import Source
from agent.nodes.fact_check import check_summary

PUB = datetime.fromisoformat("2026-01-16T09:00:00+09:00")


S1 = Source(
    "a1", "a1.s1", "Koizumi met Hegseth at the Pentagon on Thursday for about 50 minutes.", PUB
)


S2 = Source(
    "a2", "a2.s1", 'Koizumi said the alliance "had never been stronger" after the talks.', PUB
)


DOC = (
    "Protesters from Greenpeace poured red paint outside the Russian embassy in London on "
    "Friday, the eve of the first anniversary of the invasion of Ukraine. Police arrested "
    "three people. The European Union said it was not consulted. Sales of the paint rose "
    "by 12 percent, the Food and Drug Administration said."
)


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
