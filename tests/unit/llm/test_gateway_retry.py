"""The gateway's semantic retry: the model sees its rejected answer and why, then answers again."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from agent.errors import ModelOutputError
from agent.llm.fake import FakeModel
from agent.llm.gateway import Gateway
from agent.prompts import load_prompt


class Answer(BaseModel):
    verdict: str


def _prompt() -> object:
    return load_prompt("verify").render(claim="c", evidence="- e")


def test_a_retry_shows_the_rejected_answer_and_the_reason() -> None:
    long_bad = "{" + "x" * 3000
    fake = FakeModel().enqueue_text("Answer", long_bad, '{"verdict": "supported"}')
    result = Gateway(fake, output_attempts=3).structured(_prompt(), Answer)  # type: ignore[arg-type]
    assert result.value == Answer(verdict="supported") and result.usage.attempts == 2
    first, second = fake.requests
    assert second.messages[: len(first.messages)] == first.messages
    assistant, user = second.messages[len(first.messages) :]
    assert assistant == {"role": "assistant", "content": long_bad[:2000]}
    assert user["role"] == "user"
    assert user["content"].startswith("That answer was rejected: not valid JSON")
    assert user["content"].endswith("Answer again with JSON only, matching the schema exactly.")


def test_the_attempts_are_bounded_and_the_error_says_what_to_do() -> None:
    fake = FakeModel().enqueue_text("Answer", "no", "{}", "[]", '{"verdict": "late"}')
    with pytest.raises(ModelOutputError, match="3 times; last problem: does not match the schema"):
        Gateway(fake, output_attempts=3).structured(_prompt(), Answer)  # type: ignore[arg-type]
    assert len(fake.requests) == 3
