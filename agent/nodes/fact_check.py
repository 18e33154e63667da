"""fact_check: every claim of every section against its evidence; conflicts between sources.

It only reports verdicts. The router sends failing claims to revise while the bound allows, and
to settle after it.
"""

from __future__ import annotations

from datetime import datetime

from langgraph.runtime import Runtime
from pydantic import JsonValue
from typing_extensions import TypedDict

from agent.checks.claims import Checked, Target, run_checks, to_fact_check
from agent.checks.factcheck import ClaimResult, Source, best_matches
from agent.context import Context, context_of
from agent.llm.gateway import Gateway
from agent.nodes.common import evidence_of, model_verifier, run_verifier
from agent.schemas import FactCheck
from agent.state import CallRecord, StoryState


class FactCheckUpdate(TypedDict):
    fact_check: dict[str, JsonValue]
    calls: list[CallRecord]


def fact_check(state: StoryState, runtime: Runtime[Context]) -> FactCheckUpdate:
    """Check every claim of the drafts against the evidence; report the verdicts."""
    context = context_of(runtime)
    evidence = evidence_of(state)
    calls: list[CallRecord] = []
    verifier = run_verifier(context, calls, evidence)
    checked, conflicts = run_checks(state, evidence, verifier)
    return {"fact_check": to_fact_check(checked, conflicts).model_dump(mode="json"), "calls": calls}


def check_summary(
    document: str,
    summary: str,
    *,
    gateway: Gateway | None,
    now: datetime,
    use_model: bool = True,
) -> FactCheck:
    """Check a free-standing summary against one document (the SummEdits task).

    Each sentence is aligned to the whole document (names, figures, negation, antonyms:
    agent/checks/consistency.py) and the shipped calibration weighs what the summary's sentences say
    that the document does not. Where that finds nothing and model verdicts are on, the model
    judges each sentence against the document sentences it aligns to.
    """
    from agent.checks.consistency import SHIPPED, count_findings, index_document, summary_findings

    index = index_document(document)
    pool = [Source("doc", s.sentence_id, s.text, now) for s in index.sentences]
    verifier = model_verifier(gateway) if (gateway is not None and use_model) else None
    found = summary_findings(document, summary)
    flagged = not SHIPPED.consistent(count_findings(f for _, fs in found for f in fs))
    checked: list[Checked] = []
    for position, (sentence, findings) in enumerate(found):
        evidence = best_matches(sentence, pool, k=3)
        if flagged and findings:
            contradiction = any(f.kind in ("negation", "antonyms") for f in findings)
            result = ClaimResult(
                "contradicted" if contradiction else "unsupported",
                [f.detail for f in findings],
                evidence,
            )
        elif verifier is not None:
            verdict, reason = verifier(sentence, evidence)
            result = ClaimResult(verdict, [reason] if reason else [], evidence, method="model")
        else:
            result = ClaimResult("supported", [], evidence)
        checked.append((Target("summary", position, sentence), result))
    return to_fact_check(checked, [])
