"""The model gateway: the one function every node calls to get a validated object.

Structured-output mode, semantic retries, the response cache and token accounting live here
and nowhere else. Transport retries are the openai SDK's own (it honours Retry-After).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, PlainValidator, ValidationError, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt

from agent.errors import ModelOutputError
from agent.llm.backends import Backend, Sampling, make_backend
from agent.llm.cache import ResponseCache, cache_key
from agent.prompts import RenderedPrompt
from agent.settings import Settings

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Usage:
    """What one gateway call cost."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cached: bool = False
    attempts: int = 0
    prefilled_tokens: int = 0
    """Prompt tokens the model really evaluated: less than prompt_tokens when it reused a
    cached prefix (backends that cannot tell report the whole prompt)."""


@dataclass(frozen=True)
class LLMResult(Generic[T]):
    value: T
    usage: Usage
    prompt: RenderedPrompt


@dataclass
class Totals:
    """Running totals over many calls (thread-safe: graph branches run in parallel)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    prefilled_tokens: int = 0
    seconds: float = 0.0
    calls: int = 0
    cached_calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, usage: Usage) -> None:
        with self._lock:
            self.prompt_tokens += usage.prompt_tokens
            self.prefilled_tokens += usage.prefilled_tokens
            self.completion_tokens += usage.completion_tokens
            self.seconds += usage.seconds
            self.calls += 1
            self.cached_calls += int(usage.cached)


class _InvalidOutput(Exception):
    def __init__(self, text: str, reason: str) -> None:
        super().__init__(reason)
        self.text = text
        self.reason = reason


_CHOICE_MARK = "x-choice"


def _one_of_the_choices(value: object, info: ValidationInfo) -> str:
    choices: Sequence[str] | None = (info.context or {}).get("choices")
    if choices is None:
        if not isinstance(value, str):
            raise PydanticCustomError("string_type", "Input should be a valid string")
        return value
    if isinstance(value, str) and value in choices:
        return value
    shown = [repr(c) for c in choices]
    expected = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    raise PydanticCustomError("literal_error", "Input should be {expected}", {"expected": expected})


Choice = Annotated[
    str,
    PlainValidator(_one_of_the_choices),
    WithJsonSchema({"type": "string", _CHOICE_MARK: True}),
]
"""A string the call's `choices` limit (the ids a draft may cite): a static type whose schema
names the choices of each call, so constrained decoding cannot pick one that does not exist."""


def output_schema(output: type[BaseModel], choices: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON schema sent with a call (pydantic's, which llama.cpp's grammar accepts).

    Every `Choice` field lists the call's choices, as pydantic writes a Literal of them.
    """
    schema = output.model_json_schema()
    return _with_choices(schema, choices) if choices is not None else schema


def _with_choices(node: Any, choices: Sequence[str]) -> Any:
    if isinstance(node, list):
        return [_with_choices(item, choices) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get(_CHOICE_MARK):
        if not choices:
            raise ValueError("no choices to offer")
        named: dict[str, Any] = {k: v for k, v in node.items() if k != _CHOICE_MARK}
        named["const" if len(choices) == 1 else "enum"] = (
            choices[0] if len(choices) == 1 else list(choices)
        )
        return dict(sorted(named.items()))  # pydantic sorts a schema's keys
    return {key: _with_choices(value, choices) for key, value in node.items()}


class Gateway:
    """Get validated pydantic objects from the configured model."""

    def __init__(
        self,
        backend: Backend,
        *,
        cache: ResponseCache | None = None,
        temperature: float = 0.0,
        seed: int = 7,
        output_attempts: int = 3,
    ) -> None:
        self.backend = backend
        self.cache = cache
        self.temperature = temperature
        self.seed = seed
        self.output_attempts = output_attempts
        self.totals = Totals()

    @classmethod
    def from_settings(cls, settings: Settings, backend: Backend | None = None) -> Gateway:
        """Build the gateway the settings describe (backend, cache, sampling, retries)."""
        return cls(
            backend or make_backend(settings),
            cache=ResponseCache(settings.cache_dir) if settings.cache else None,
            temperature=settings.temperature,
            seed=settings.seed,
            output_attempts=settings.output_attempts,
        )

    @property
    def backend_name(self) -> str:
        return self.backend.name

    @property
    def model(self) -> str:
        return self.backend.model

    def structured(
        self,
        prompt: RenderedPrompt,
        output: type[T],
        *,
        max_tokens: int = 512,
        temperature: float | None = None,
        choices: Sequence[str] | None = None,
    ) -> LLMResult[T]:
        """Return the model's answer to the prompt as a validated `output` object.

        `choices` are what the output's `Choice` fields may hold (the ids a draft may cite).
        """
        started = time.perf_counter()
        schema = output_schema(output, choices)
        context = {"choices": list(choices)} if choices is not None else None
        sampling = Sampling(
            temperature=self.temperature if temperature is None else temperature,
            max_tokens=max_tokens,
            seed=self.seed,
        )
        messages = prompt.as_messages()
        key = cache_key(
            {
                "backend": self.backend.name,
                "model": self.backend.model,
                "identity": self.backend.identity(),
                "messages": messages,
                "schema": schema,
                "sampling": sampling.as_dict(),
                "prompt_sha256": prompt.sha256,
            }
        )
        value: T | None = None
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                try:
                    value = output.model_validate(hit["value"], context=context)
                except (KeyError, ValidationError):
                    value = None  # stale or foreign row: ask the model again
                if value is not None:
                    usage = Usage(seconds=time.perf_counter() - started, cached=True)
                    self.totals.add(usage)
                    return LLMResult(value, usage, prompt)

        prompt_tokens = completion_tokens = prefilled_tokens = attempts = 0

        def spent() -> Usage:
            return Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                seconds=time.perf_counter() - started,
                attempts=attempts,
                prefilled_tokens=prefilled_tokens,
            )

        conversation = list(messages)
        last: _InvalidOutput | None = None
        retrying = Retrying(
            stop=stop_after_attempt(self.output_attempts),
            retry=retry_if_exception_type(_InvalidOutput),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    if last is not None:
                        conversation = [*messages, *_feedback(last)]
                    completion = self.backend.generate(
                        conversation, schema, output.__name__, sampling
                    )
                    prompt_tokens += completion.prompt_tokens
                    completion_tokens += completion.completion_tokens
                    prefilled_tokens += (
                        completion.prompt_tokens
                        if completion.prefilled_tokens is None
                        else completion.prefilled_tokens
                    )
                    try:
                        value = _parse(completion.text, output, completion.truncated, context)
                    except _InvalidOutput as error:
                        last = error
                        raise
        except RetryError:
            assert last is not None
            usage = spent()
            self.totals.add(usage)
            raise ModelOutputError(
                f"model {self.backend.model!r} ({self.backend.name}) returned invalid output for "
                f"prompt {prompt.id!r} {attempts} times; last problem: {last.reason}. Try a "
                "stronger model (OPENAI_BASE_URL / STORYDESK_MODEL) or raise "
                "STORYDESK_OUTPUT_ATTEMPTS",
                usage=usage,
                prompt=prompt,
            ) from None

        assert value is not None  # the loop ends with a value or raises
        usage = spent()
        if self.cache is not None:
            # By alias: a hit is read back with model_validate, which takes an output model's
            # aliases where it has any, so a redraft is served from the cache.
            self.cache.set(key, {"value": value.model_dump(mode="json", by_alias=True)})
        self.totals.add(usage)
        return LLMResult(value, usage, prompt)


def _parse(text: str, output: type[T], truncated: bool, context: dict[str, Any] | None = None) -> T:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        reason = f"not valid JSON ({error.msg} at character {error.pos})"
        if truncated:
            reason += "; the output was cut off at the token limit"
        raise _InvalidOutput(text, reason) from None
    try:
        return output.model_validate(data, context=context)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'root'}: {item['msg']}"
            for item in error.errors()[:5]
        )
        raise _InvalidOutput(text, f"does not match the schema ({problems})") from None


def _feedback(error: _InvalidOutput) -> list[dict[str, str]]:
    # Show the model its own answer and what was wrong with it, then ask again.
    return [
        {"role": "assistant", "content": error.text[:2000]},
        {
            "role": "user",
            "content": f"That answer was rejected: {error.reason}. Answer again with JSON only, "
            "matching the schema exactly.",
        },
    ]
