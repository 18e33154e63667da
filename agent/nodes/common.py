"""What the model-calling nodes share: the evidence prefix, id enums, and the call record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from agent.checks.drafts import FlagData, flag
from agent.checks.evidence import Evidence
from agent.checks.factcheck import Source, VerdictName, Verifier
from agent.context import Context
from agent.errors import ModelOutputError
from agent.llm.gateway import Gateway, LLMResult
from agent.prompts import RenderedPrompt, load_prompt
from agent.schemas import Section, Verdict
from agent.state import CallRecord

T = TypeVar("T", bound=BaseModel)


def evidence_of(state: Mapping[str, object]) -> Evidence:
    return Evidence.model_validate(state["evidence"])


def format_evidence(evidence: Evidence) -> str:
    """Number the selected sentences under their article, as every prompt shows them."""
    selected = set(evidence.selected)
    blocks = []
    for article in evidence.originals():
        lines = [s for s in article.sentences if s.id in selected]
        if not lines:
            continue
        header = (
            f"Article {article.id}: {article.outlet} ({article.lean}), published "
            f"{article.published_at.date().isoformat()}: {article.title}"
        )
        blocks.append("\n".join([header, *(f"[{s.id}] {s.text}" for s in lines)]))
    return "\n\n".join(blocks)


def id_enum(ids: list[str]) -> Any:
    """A Literal of the given ids, for a model built at run time (evals' single-prompt story);
    the nodes' models are static and name their ids as `Choice` fields instead."""
    if not ids:
        raise ValueError("no ids to cite")
    return Literal[tuple(ids)]


def with_prefix(context: Context, evidence: Evidence, task: RenderedPrompt) -> RenderedPrompt:
    """Put the shared instructions-and-evidence prefix before a task prompt."""
    prefix = load_prompt("prefix").render(
        today=context.get_now().date().isoformat(), evidence=format_evidence(evidence)
    )
    return RenderedPrompt(
        id=task.id,
        version=task.version,
        template_sha256=task.template_sha256,
        messages=prefix.messages + task.messages,
    )


def ask(
    context: Context,
    node: str,
    prompt: RenderedPrompt,
    output: type[T],
    *,
    max_tokens: int,
    choices: Sequence[str] | None = None,
) -> tuple[T, CallRecord]:
    """Call the model through the gateway and record the call for provenance."""
    result: LLMResult[T] = context.get_gateway().structured(
        prompt, output, max_tokens=max_tokens, choices=choices
    )
    return result.value, record(node, result)


def try_ask(
    context: Context,
    node: str,
    prompt: RenderedPrompt,
    output: type[T],
    *,
    max_tokens: int,
    section: Section,
    choices: Sequence[str] | None = None,
) -> tuple[T | None, list[CallRecord], list[FlagData]]:
    """Like ask(), but a model that keeps failing the schema yields None and a flag, not a crash.

    The node then falls back to the evidence itself (true by construction), as DESIGN.md asks.
    """
    try:
        value, call = ask(context, node, prompt, output, max_tokens=max_tokens, choices=choices)
    except ModelOutputError as error:
        calls = [failed_record(node, prompt, error)]
        message = f"{node}: the model's output stayed invalid ({error}); the evidence stands in"
        return None, calls, [flag("fallback", section, message)]
    return value, [call], []


def failed_record(node: str, prompt: RenderedPrompt, error: ModelOutputError) -> CallRecord:
    usage = error.usage
    return CallRecord(
        node=node,
        prompt_id=prompt.id,
        prompt=prompt.label,
        prompt_tokens=getattr(usage, "prompt_tokens", 0),
        completion_tokens=getattr(usage, "completion_tokens", 0),
        seconds=round(getattr(usage, "seconds", 0.0), 3),
        cached=False,
        failed=True,
    )


def record(node: str, result: LLMResult[Any]) -> CallRecord:
    return CallRecord(
        node=node,
        prompt_id=result.prompt.id,
        prompt=result.prompt.label,
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
        seconds=round(result.usage.seconds, 3),
        cached=result.usage.cached,
        failed=False,
    )


def article_ids_of(sentence_ids: list[str]) -> list[str]:
    """Map sentence ids (a3.s7) to their article ids, keeping first-seen order."""
    seen: dict[str, None] = {}
    for sentence_id in sentence_ids:
        seen.setdefault(sentence_id.rsplit(".s", 1)[0], None)
    return list(seen)


class VerifyAnswer(BaseModel):
    verdict: Verdict


def run_verifier(context: Context, calls: list[CallRecord], evidence: Evidence) -> Verifier | None:
    """The model's verifier when the run asks for model verdicts (else the rules alone); its
    questions follow the run's shared prefix."""
    if not context.get_settings().use_model_verdicts:
        return None
    return model_verifier(context.get_gateway(), calls, context=context, evidence=evidence)


def model_verifier(
    gateway: Gateway,
    calls: list[CallRecord] | None = None,
    *,
    context: Context | None = None,
    evidence: Evidence | None = None,
) -> Verifier:
    """A verifier that asks the model, for claims the rules could not settle.

    Given the run's context and evidence, each question follows the shared prefix (the model
    has already read the numbered evidence: llama.cpp and hosted caches reuse it); without them
    (a free-standing document) it stands alone after the fact-checker's instructions.
    Verdicts are remembered per (claim, evidence): the final round re-checks settled claims
    after a fallback, and must not ask the model again about the ones it already judged.
    """
    asked: dict[tuple[str, tuple[str, ...]], tuple[VerdictName, str]] = {}

    def verify(claim: str, evidence_: list[Source]) -> tuple[VerdictName, str]:
        key = (claim, tuple(s.sentence_id for s in evidence_))
        if key not in asked:
            asked[key] = ask_model(claim, evidence_)
        return asked[key]

    def prompt_for(claim: str, shown: list[Source]) -> RenderedPrompt:
        if context is not None and evidence is not None:
            task = load_prompt("verify").render(
                claim=claim, evidence="\n".join(f"[{s.sentence_id}] {s.text}" for s in shown)
            )
            return with_prefix(context, evidence, task)
        task = load_prompt("verify").render(
            claim=claim, evidence="\n".join(f"- {s.text}" for s in shown)
        )
        alone = load_prompt("fact_checker").render()
        return RenderedPrompt(
            task.id, task.version, task.template_sha256, alone.messages + task.messages
        )

    def ask_model(claim: str, shown: list[Source]) -> tuple[VerdictName, str]:
        prompt = prompt_for(claim, shown)
        try:
            result = gateway.structured(prompt, VerifyAnswer, max_tokens=20)
        except ModelOutputError as error:
            if calls is not None:
                calls.append(failed_record("fact_check", prompt, error))
            return "unsupported", "the rules could not settle it and the model gave no verdict"
        if calls is not None:
            calls.append(record("fact_check", result))
        verdict = result.value.verdict
        reason = "" if verdict == "supported" else f"the model judged it {verdict}"
        return verdict, reason

    return verify
