"""The model gateway: validation, semantic retries, cache and accounting."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from agent.errors import ModelOutputError
from agent.llm.cache import ResponseCache, cache_key
from agent.llm.fake import FakeModel
from agent.llm.gateway import Gateway
from agent.prompts import Message, RenderedPrompt


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
    # The drafters' models read `cites` into `citations`: the cached row must read back.
    gateway = Gateway(fake, cache=ResponseCache(tmp_path / "cache"))
    fake.enqueue_text("Aliased", '{"cites": ["a1.s1"]}')
    first = gateway.structured(prompt(), Aliased)
    second = gateway.structured(prompt(), Aliased)
    assert second.usage.cached and second.value == first.value
    assert len(fake.requests) == 1


def test_cache_dir_is_private_and_holds_json_only(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache")
    assert stat.S_IMODE(os.stat(tmp_path / "cache").st_mode) == 0o700
    cache.set("k", {"value": {"a": 1}})
    assert cache.get("k") == {"value": {"a": 1}}
    with pytest.raises(TypeError):
        cache._cache.set("other", {"not": "json text"})  # would be pickled by plain diskcache


def test_pickled_rows_are_refused_on_read(tmp_path: Path) -> None:
    import diskcache

    directory = tmp_path / "cache"
    planted = diskcache.Cache(str(directory))  # a default Disk pickles non-str values
    key = cache_key({"x": 1})
    planted.set(key, {"payload": "pickled"})
    planted.close()
    with sqlite3.connect(directory / "cache.db") as db:
        assert db.execute("select count(*) from Cache where mode = 4").fetchone()[0] == 1
    cache = ResponseCache(directory)
    assert cache.get(key) is None  # refused, not unpickled
    assert cache.get(key) is None  # and dropped


def test_cache_hit_that_no_longer_validates_is_recomputed(tmp_path: Path, fake: FakeModel) -> None:
    gateway = Gateway(fake, cache=ResponseCache(tmp_path / "cache"))
    fake.enqueue(Answer(name="Kim", count=1))
    gateway.structured(prompt(), Answer)
    key = next(iter(gateway.cache._cache.iterkeys()))  # type: ignore[union-attr]
    gateway.cache.set(key, {"value": {"name": "x"}})  # type: ignore[union-attr]
    fake.enqueue(Answer(name="Kim", count=2))
    assert gateway.structured(prompt(), Answer).value.count == 2
