"""A scripted fake model for tests: enqueue the objects (or raw text) it should return."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from agent.llm.backends import Completion, Sampling


@dataclass(frozen=True)
class Request:
    messages: list[dict[str, str]]
    schema: dict[str, Any]
    schema_name: str
    sampling: Sampling


Responder = Callable[[Request], "BaseModel | str | dict[str, Any]"]


class FakeModel:
    """A backend that answers from a script instead of a model.

    `enqueue(obj)` queues an answer for calls whose output type has the same class name as
    `obj` (so parallel graph branches each get their own); `enqueue_text(name, text)` queues raw
    text (to test invalid output); `respond(name, fn)` answers every such call with `fn(request)`.
    """

    name = "fake"

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[Request] = []
        self._queues: dict[str, list[str]] = {}
        self._responders: dict[str, Responder] = {}
        self._lock = threading.Lock()

    def enqueue(self, *objects: BaseModel) -> FakeModel:
        for obj in objects:
            self.enqueue_text(type(obj).__name__, obj.model_dump_json())
        return self

    def enqueue_text(self, schema_name: str, *texts: str) -> FakeModel:
        with self._lock:
            self._queues.setdefault(schema_name, []).extend(texts)
        return self

    def respond(self, schema_name: str, responder: Responder) -> FakeModel:
        self._responders[schema_name] = responder
        return self

    def respond_to_all(self, responder: Responder) -> FakeModel:
        """Answer every call that nothing more specific answers (e.g. with invalid output)."""
        self._responders["*"] = responder
        return self

    def identity(self) -> dict[str, Any]:
        return {"fake": True}

    def pending(self) -> dict[str, int]:
        return {name: len(queue) for name, queue in self._queues.items() if queue}

    def calls(self, schema_name: str) -> list[Request]:
        return [r for r in self.requests if r.schema_name == schema_name]

    def generate(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        schema_name: str,
        sampling: Sampling,
    ) -> Completion:
        request = Request(messages, schema, schema_name, sampling)
        with self._lock:
            self.requests.append(request)
            queue = self._queues.get(schema_name)
            text = queue.pop(0) if queue else None
        if text is None:
            responder = self._responders.get(schema_name) or self._responders.get("*")
            if responder is None:
                raise AssertionError(
                    f"FakeModel has no answer queued for {schema_name}; enqueue one"
                )
            answer = responder(request)
            if isinstance(answer, BaseModel):
                text = answer.model_dump_json()
            elif isinstance(answer, dict):
                text = json.dumps(answer)
            else:
                text = answer
        prompt_tokens = sum(len(m["content"].split()) for m in messages)
        return Completion(
            text=text, prompt_tokens=prompt_tokens, completion_tokens=len(text.split())
        )
