"""The model gateway: validation, semantic retries, cache and accounting."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field

from agent.errors import ModelOutputError
from agent.llm.backends import Completion, Sampling
from agent.llm.cache import ResponseCache
from agent.llm.fake import FakeModel
from agent.llm.gateway import Gateway
from agent.prompts import Message, RenderedPrompt, load_prompt


class Answer(BaseModel):
    name: str = Field(min_length=2)
    count: int


def prompt(text: str = "Name something.") -> RenderedPrompt:
    return RenderedPrompt(
        "test", "1", "0" * 64, (Message("system", "Be brief."), Message("user", text))
    )


def test_returns_a_validated_object_with_its_cost(gateway: Gateway, fake: FakeModel) -> None:
    fake.enqueue(Answer(name="Koizumi", count=2))
    result = gateway.structured(prompt(), Answer)
    assert result.value == Answer(name="Koizumi", count=2)
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.usage.attempts == 1 and not result.usage.cached
    assert fake.requests[0].schema["title"] == "Answer"
    assert gateway.totals.calls == 1


def test_invalid_json_is_retried_with_the_error_fed_back(gateway: Gateway, fake: FakeModel) -> None:
    fake.enqueue_text("Answer", '{"name": "Koi')
    fake.enqueue(Answer(name="Koizumi", count=1))
    result = gateway.structured(prompt(), Answer)
    assert result.value.name == "Koizumi"
    assert result.usage.attempts == 2
    retry_messages = fake.requests[1].messages
    assert retry_messages[-2] == {"role": "assistant", "content": '{"name": "Koi'}
    assert "not valid JSON" in retry_messages[-1]["content"]


def test_schema_violation_names_the_field(gateway: Gateway, fake: FakeModel) -> None:
    fake.enqueue_text("Answer", '{"name": "K", "count": 1}')
    fake.enqueue(Answer(name="Kim", count=1))
    gateway.structured(prompt(), Answer)
    assert "name" in fake.requests[1].messages[-1]["content"]


def test_a_model_that_keeps_failing_ends_in_one_clear_error(
    gateway: Gateway, fake: FakeModel
) -> None:
    fake.enqueue_text("Answer", "nope", "still nope", "never")
    with pytest.raises(ModelOutputError) as caught:
        gateway.structured(prompt(), Answer)
    message = str(caught.value)
    assert "3 times" in message and "not valid JSON" in message
    assert "STORYDESK_OUTPUT_ATTEMPTS" in message
    assert caught.value.usage.completion_tokens > 0  # the failed attempts are still accounted
    assert len(fake.requests) == 3


def test_second_identical_call_is_served_from_cache_with_zero_tokens(
    tmp_path: Path, fake: FakeModel
) -> None:
    gateway = Gateway(fake, cache=ResponseCache(tmp_path / "cache"))
    fake.enqueue(Answer(name="Hegseth", count=3))
    first = gateway.structured(prompt(), Answer)
    second = gateway.structured(prompt(), Answer)
    assert second.value == first.value
    assert second.usage.cached
    assert second.usage.prompt_tokens == 0 and second.usage.completion_tokens == 0
    assert len(fake.requests) == 1
    # A different prompt, schema or sampling is a different key.
    fake.enqueue(Answer(name="Vance", count=1))
    assert gateway.structured(prompt("Another."), Answer).value.name == "Vance"
    fake.enqueue(Answer(name="Other", count=1))
    assert gateway.structured(prompt(), Answer, max_tokens=99).value.name == "Other"


class Aliased(BaseModel):
    citations: list[str] = Field(alias="cites")


def test_a_model_with_aliases_is_served_from_cache(tmp_path: Path, fake: FakeModel) -> None:
    # An output model read by alias (`cites` into `citations`): the cached row must read back.
    gateway = Gateway(fake, cache=ResponseCache(tmp_path / "cache"))
    fake.enqueue_text("Aliased", '{"cites": ["a1.s1"]}')
    first = gateway.structured(prompt(), Aliased)
    second = gateway.structured(prompt(), Aliased)
    assert second.usage.cached and second.value == first.value
    assert len(fake.requests) == 1


def test_cache_hit_that_no_longer_validates_is_recomputed(tmp_path: Path, fake: FakeModel) -> None:
    gateway = Gateway(fake, cache=ResponseCache(tmp_path / "cache"))
    fake.enqueue(Answer(name="Kim", count=1))
    gateway.structured(prompt(), Answer)
    key = next(iter(gateway.cache._cache.iterkeys()))  # type: ignore[union-attr]
    gateway.cache.set(key, {"value": {"name": "x"}})  # type: ignore[union-attr]
    fake.enqueue(Answer(name="Kim", count=2))
    assert gateway.structured(prompt(), Answer).value.count == 2


class Verdict(BaseModel):
    verdict: str


def verify_prompt() -> object:
    return load_prompt("verify").render(claim="c", evidence="- e")


def test_a_retry_shows_the_rejected_answer_and_the_reason() -> None:
    long_bad = "{" + "x" * 3000
    fake = FakeModel().enqueue_text("Verdict", long_bad, '{"verdict": "supported"}')
    result = Gateway(fake, output_attempts=3).structured(verify_prompt(), Verdict)  # type: ignore[arg-type]
    assert result.value == Verdict(verdict="supported") and result.usage.attempts == 2
    first, second = fake.requests
    assert second.messages[: len(first.messages)] == first.messages
    assistant, user = second.messages[len(first.messages) :]
    assert assistant == {"role": "assistant", "content": long_bad[:2000]}
    assert user["role"] == "user"
    assert user["content"].startswith("That answer was rejected: not valid JSON")
    assert user["content"].endswith("Answer again with JSON only, matching the schema exactly.")


def test_the_attempts_are_bounded_and_the_error_says_what_to_do() -> None:
    fake = FakeModel().enqueue_text("Verdict", "no", "{}", "[]", '{"verdict": "late"}')
    with pytest.raises(ModelOutputError, match="3 times; last problem: does not match the schema"):
        Gateway(fake, output_attempts=3).structured(verify_prompt(), Verdict)  # type: ignore[arg-type]
    assert len(fake.requests) == 3


def test_sampling_comes_from_the_gateway_unless_the_call_sets_a_temperature() -> None:
    fake = FakeModel().enqueue(Answer(name="Koizumi", count=1), Answer(name="Hegseth", count=2))
    gateway = Gateway(fake, temperature=0.3, seed=11)
    gateway.structured(prompt(), Answer)
    gateway.structured(prompt("Name another."), Answer, max_tokens=64, temperature=0.9)
    assert [r.sampling for r in fake.requests] == [
        Sampling(temperature=0.3, max_tokens=512, seed=11),
        Sampling(temperature=0.9, max_tokens=64, seed=11),
    ]


class _CutOff(FakeModel):
    """A backend whose answers stop at the token limit."""

    def generate(self, *args: Any, **kwargs: Any) -> Completion:
        completion = super().generate(*args, **kwargs)
        return Completion(
            completion.text, completion.prompt_tokens, completion.completion_tokens, truncated=True
        )


def test_a_cut_off_answer_says_it_was_cut_off() -> None:
    fake = _CutOff().enqueue_text("Answer", '{"name": "Koi', '{"name": "Koi')
    with pytest.raises(ModelOutputError) as caught:
        Gateway(fake, output_attempts=2).structured(prompt(), Answer)
    assert (
        "last problem: not valid JSON (Unterminated string starting at at character 9); "
        "the output was cut off at the token limit. Try a stronger model"
    ) in str(caught.value)
    assistant, user = fake.requests[1].messages[-2:]
    assert user["content"] == (
        "That answer was rejected: not valid JSON (Unterminated string starting at at character "
        "9); the output was cut off at the token limit. Answer again with JSON only, matching the "
        "schema exactly."
    )


class _Crew(BaseModel):
    members: list[Answer]


def test_schema_problems_name_their_place_five_at_most() -> None:
    bad = {"members": [{"name": "x", "count": "many"} for _ in range(3)]}
    fake = FakeModel().enqueue_text("_Crew", json.dumps(bad), "[]")
    with pytest.raises(ModelOutputError) as caught:
        Gateway(fake, output_attempts=2).structured(prompt(), _Crew)
    first = fake.requests[1].messages[-1]["content"]
    listed = first.split("does not match the schema (", 1)[1].rsplit(").", 1)[0]
    assert listed.split("; ") == [
        "members.0.name: String should have at least 2 characters",
        "members.0.count: Input should be a valid integer, unable to parse string as an integer",
        "members.1.name: String should have at least 2 characters",
        "members.1.count: Input should be a valid integer, unable to parse string as an integer",
        "members.2.name: String should have at least 2 characters",
    ]
    assert "last problem: does not match the schema (root: Input should be a valid dictionary" in (
        str(caught.value)
    )


def _tokens(fake: FakeModel) -> int:
    """The prompt tokens FakeModel reports: the words of every request's messages."""
    return sum(len(m["content"].split()) for r in fake.requests for m in r.messages)


def test_every_attempt_is_accounted_for(gateway: Gateway, fake: FakeModel) -> None:
    bad, good = '{"name": "K"}', Answer(name="Koizumi", count=4).model_dump_json()
    fake.enqueue_text("Answer", bad, good)
    usage = gateway.structured(prompt(), Answer).usage
    assert usage.attempts == 2
    assert usage.prompt_tokens == _tokens(fake) == usage.prefilled_tokens
    assert usage.completion_tokens == len(bad.split()) + len(good.split())
    assert 0 < usage.seconds < 60
    fake.enqueue_text("Answer", "no", "nope", "never")
    with pytest.raises(ModelOutputError) as caught:
        gateway.structured(prompt("Again."), Answer)
    failed = caught.value.usage
    assert failed.attempts == 3 and failed.completion_tokens == 3  # type: ignore[attr-defined]
    assert gateway.totals.calls == 2
    assert gateway.totals.completion_tokens == usage.completion_tokens + 3


class _Prefilling(FakeModel):
    """A backend that reused 4 prompt tokens from its KV cache on every call."""

    def generate(self, *args: Any, **kwargs: Any) -> Completion:
        completion = super().generate(*args, **kwargs)
        return Completion(
            completion.text,
            completion.prompt_tokens,
            completion.completion_tokens,
            prefilled_tokens=completion.prompt_tokens - 4,
        )


def test_prefilled_tokens_are_what_the_backend_reports() -> None:
    fake = _Prefilling().enqueue_text("Answer", "no", Answer(name="Kim", count=1).model_dump_json())
    usage = Gateway(fake).structured(prompt(), Answer).usage
    assert usage.prefilled_tokens == _tokens(fake) - 8 and usage.prompt_tokens == _tokens(fake)


def test_a_cache_hit_carries_its_prompt_and_its_own_time(tmp_path: Path, fake: FakeModel) -> None:
    gateway = Gateway(fake, cache=ResponseCache(tmp_path / "cache"))
    fake.enqueue(Answer(name="Hegseth", count=3))
    asked = prompt()
    gateway.structured(asked, Answer)
    hit = gateway.structured(asked, Answer)
    assert hit.usage.cached and hit.prompt is asked
    assert 0 < hit.usage.seconds < 60
    assert gateway.totals.cached_calls == 1 and gateway.totals.calls == 2


def test_the_final_error_names_model_prompt_and_remedy_and_carries_the_cost(
    gateway: Gateway, fake: FakeModel
) -> None:
    fake.enqueue_text("Answer", "no", "nope", "never")
    asked = prompt()
    with pytest.raises(ModelOutputError) as caught:
        gateway.structured(asked, Answer)
    assert str(caught.value) == (
        f"model {fake.model!r} (fake) returned invalid output for prompt 'test' 3 times; last "
        "problem: not valid JSON (Expecting value at character 0). Try a stronger model "
        "(OPENAI_BASE_URL / STORYDESK_MODEL) or raise STORYDESK_OUTPUT_ATTEMPTS"
    )
    usage = caught.value.usage
    assert usage.attempts == 3  # type: ignore[attr-defined]
    assert usage.prompt_tokens == usage.prefilled_tokens == _tokens(fake)  # type: ignore[attr-defined]
    assert 0 < usage.seconds < 60  # type: ignore[attr-defined]
    assert caught.value.prompt is asked


class _Dated(BaseModel):
    when: date


def test_answers_are_cached_as_json_and_read_back_typed(tmp_path: Path, fake: FakeModel) -> None:
    gateway = Gateway(fake, cache=ResponseCache(tmp_path / "cache"))
    fake.enqueue(_Dated(when=date(2026, 1, 15)))
    gateway.structured(prompt(), _Dated)
    key = next(iter(gateway.cache._cache.iterkeys()))  # type: ignore[union-attr]
    assert gateway.cache.get(key) == {"value": {"when": "2026-01-15"}}  # type: ignore[union-attr]
    assert gateway.structured(prompt(), _Dated).value == _Dated(when=date(2026, 1, 15))
