"""The graph's run-time context: what a run needs that is not state (settings, model, clock)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agent.llm.gateway import Gateway
from agent.settings import Settings, load_settings


@dataclass
class Context:
    """Passed as `context=` when the graph runs; every field has a working default."""

    settings: Settings | None = None
    """Settings; default: read from the environment."""
    gateway: Gateway | None = None
    """The model gateway; default: built from the settings once per process."""
    now: datetime | None = None
    """"Now", timezone-aware, injected so dates and cassettes do not drift."""
    store: Any | None = None
    """The article store (agent.store.Store) for retrieve-by-id and finalize; optional."""
    evidence_tokens: int | None = None
    """Token budget for the evidence; default: derived from the model's context window."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get_settings(self) -> Settings:
        if self.settings is None:
            self.settings = load_settings()
        return self.settings

    def get_gateway(self) -> Gateway:
        with self._lock:
            if self.gateway is None:
                self.gateway = _shared_gateway(self.get_settings())
            return self.gateway

    def get_now(self) -> datetime:
        # Not stored when not given: the shared default context serves many runs.
        return self.now if self.now is not None else datetime.now(UTC)


_GATEWAYS: dict[str, Gateway] = {}
_GATEWAYS_LOCK = threading.Lock()


def _shared_gateway(settings: Settings) -> Gateway:
    # Loading the embedded model takes seconds: share one gateway per distinct settings.
    key = settings.model_dump_json()
    with _GATEWAYS_LOCK:
        if key not in _GATEWAYS:
            _GATEWAYS[key] = Gateway.from_settings(settings)
        return _GATEWAYS[key]


def context_of(runtime: Any) -> Context:
    """Return the run's Context (a default one when the caller passed none, e.g. langgraph dev)."""
    context = getattr(runtime, "context", None)
    if isinstance(context, Context):
        return context
    if isinstance(context, dict):
        return Context(**{k: v for k, v in context.items() if k in Context.__dataclass_fields__})
    return _DEFAULT


_DEFAULT = Context()
