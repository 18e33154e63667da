"""The graph's run-time context: per-run settings, plus the shared resources a run uses.

The run settings (revise bound, model verdicts, one-event check, evidence budget, "now") are
JSON-able fields with environment defaults, so each run may set its own and LangGraph Studio
can show them as a form. The resources (settings, the loaded model's gateway, the store) are
owned by whoever runs the graph, `StoryAgent` as a rule, and are not part of the schema.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic.json_schema import SkipJsonSchema

from agent.llm.gateway import Gateway
from agent.settings import Settings, load_settings


@dataclass
class Resources:
    """What runs share: settings, the model gateway and the article store (optional)."""

    settings: Settings
    gateway: Gateway | None = None
    """Built from the settings on first use when not given (loading a model takes seconds)."""
    store: Any | None = None
    """The article store (agent.store.Store) for retrieve-by-id and finalize."""
    registry: Any | None = None
    """The outlet registry (agent.store.SourceRegistry) that gives a cluster file's articles
    their leans when there is no store; read once, on first use."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get_gateway(self) -> Gateway:
        with self._lock:
            if self.gateway is None:
                self.gateway = Gateway.from_settings(self.settings)
            return self.gateway

    def get_registry(self) -> Any:
        """The store's registry when there is one; else the packaged registry with the ratings
        imported into the settings' database, read once for every draft these resources run."""
        if self.store is not None:
            return self.store.registry()
        with self._lock:
            if self.registry is None:
                from agent.store.db import stored_registry

                self.registry = stored_registry(self.settings)
            return self.registry


@dataclass
class Context:
    """Passed as `context=` when the graph runs; every field has a working default."""

    max_revisions: int | None = None
    """Revise rounds for failing claims; default STORYDESK_MAX_REVISIONS."""
    model_verdicts: Literal["auto", "on", "off"] | None = None
    """Ask the model about claims the rules leave open; default STORYDESK_MODEL_VERDICTS."""
    one_event_check: bool | None = None
    """Refuse a cluster of unrelated events; default STORYDESK_ONE_EVENT_CHECK."""
    evidence_tokens: int | None = None
    """Token budget for the evidence; default: derived from the model's context window."""
    now: datetime | None = None
    """"Now", timezone-aware, injected so dates and cassettes do not drift; default: the clock."""
    resources: Annotated[Any, SkipJsonSchema()] = field(default=None, repr=False, compare=False)
    """Resources of the caller; default: one set per process, from the environment."""

    def get_resources(self) -> Resources:
        if self.resources is None:
            self.resources = _process_resources()
        resources: Resources = self.resources
        return resources

    def get_settings(self) -> Settings:
        """Return the settings of this run: the resources' settings with this run's overrides."""
        overrides = {
            name: value
            for name in ("max_revisions", "model_verdicts", "one_event_check")
            if (value := getattr(self, name)) is not None
        }
        settings = self.get_resources().settings
        return settings.model_copy(update=overrides) if overrides else settings

    def get_gateway(self) -> Gateway:
        return self.get_resources().get_gateway()

    @property
    def store(self) -> Any | None:
        return self.get_resources().store

    def get_now(self) -> datetime:
        return self.now if self.now is not None else datetime.now(UTC)


_PROCESS: Resources | None = None
_PROCESS_LOCK = threading.Lock()


def _process_resources() -> Resources:
    # For a caller that brings none (langgraph dev, a bare graph.invoke): one set per process,
    # so the model loads once; run settings still come per run through the Context fields.
    global _PROCESS
    with _PROCESS_LOCK:
        if _PROCESS is None:
            _PROCESS = Resources(settings=load_settings())
        return _PROCESS


def context_of(runtime: Any) -> Context:
    """Return the run's Context (a default one when the caller passed none, e.g. langgraph dev)."""
    context = getattr(runtime, "context", None)
    if isinstance(context, Context):
        return context
    if isinstance(context, dict):
        known = {k: v for k, v in context.items() if k in Context.__dataclass_fields__}
        if isinstance(known.get("now"), str):
            known["now"] = datetime.fromisoformat(known["now"])
        return Context(**known)
    return Context()
