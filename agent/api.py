"""The library API: draft a story from a cluster, then resume it with the editor's decision."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command
from pydantic import ValidationError

from agent.context import Context, _shared_gateway
from agent.errors import ConfigError, InputError
from agent.graph import build_graph
from agent.llm.gateway import Gateway
from agent.nodes.review import ReviewDecision, apply_decision
from agent.schemas import Cluster, Story, parse_cluster
from agent.settings import Settings, load_settings
from agent.state import InputState

ClusterLike = Cluster | dict[str, Any] | str


def _input(cluster: ClusterLike) -> InputState:
    if isinstance(cluster, Cluster):
        return {"cluster": cluster.model_dump(mode="json")}
    if isinstance(cluster, str):
        return {"cluster_id": cluster}
    return {"cluster": parse_cluster(cluster).model_dump(mode="json")}


def _thread_id(data: InputState) -> str:
    cluster_id = data.get("cluster", {}).get("id") or data.get("cluster_id")
    return f"{cluster_id}:{uuid.uuid4().hex[:12]}"


def parse_decision(decision: ReviewDecision | dict[str, Any]) -> ReviewDecision:
    if isinstance(decision, ReviewDecision):
        return decision
    try:
        return ReviewDecision.model_validate(decision)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'decision'}: {e['msg']}"
            for e in error.errors()
        )
        raise InputError(
            f"the review decision is not valid ({problems}); give action approve, edit or "
            "reject, and reviewer"
        ) from None


class StoryAgent:
    """Drafts stories with one set of settings, one model and one checkpoint database.

    `draft()` runs the graph to the editor's review and returns the story (status
    needs_review); `review()` resumes that thread with the decision.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        gateway: Gateway | None = None,
        store: Any | None = None,
        checkpointer: Any | None = None,
        now: datetime | None = None,
        evidence_tokens: int | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = settings or load_settings(**overrides)
        self.gateway = gateway or _shared_gateway(self.settings)
        self.store = store
        self.now = now
        self.evidence_tokens = evidence_tokens
        if checkpointer is None:
            checkpointer = SqliteSaver(self._connect(self.settings.checkpoint_path))
        self.checkpointer = checkpointer
        self.graph = build_graph().compile(checkpointer=checkpointer, name="storydesk")

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            return sqlite3.connect(str(path), check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            raise ConfigError(
                f"cannot open the checkpoint database {path} ({error}); set STORYDESK_DATA_DIR "
                "to a writable folder"
            ) from None

    def context(self) -> Context:
        return Context(
            settings=self.settings,
            gateway=self.gateway,
            now=self.now,
            store=self.store,
            evidence_tokens=self.evidence_tokens,
        )

    def draft(self, cluster: ClusterLike, *, thread_id: str | None = None) -> Story:
        """Draft a story for review from a cluster (or the id of a stored cluster)."""
        data = _input(cluster)
        config: RunnableConfig = {"configurable": {"thread_id": thread_id or _thread_id(data)}}
        self.graph.invoke(data, config, context=self.context())
        return self._story(config)

    async def adraft(self, cluster: ClusterLike, *, thread_id: str | None = None) -> Story:
        """Draft a story without blocking the event loop (async checkpointer)."""
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        data = _input(cluster)
        config: RunnableConfig = {"configurable": {"thread_id": thread_id or _thread_id(data)}}
        path = self.settings.checkpoint_path
        self._connect(path).close()  # the same checks and message as the sync path
        async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
            graph = build_graph().compile(checkpointer=saver, name="storydesk")
            await graph.ainvoke(data, config, context=self.context())
            snapshot = await graph.aget_state(config)
        return Story.model_validate(snapshot.values["story"])

    def _story(self, config: RunnableConfig) -> Story:
        snapshot = self.graph.get_state(config)
        return Story.model_validate(snapshot.values["story"])

    def pending(self, thread_id: str) -> Story:
        """Return the story a thread is waiting on, or raise if it waits for nothing."""
        config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
        snapshot = self.graph.get_state(config)
        if not snapshot.values:
            raise InputError(
                f"no draft thread {thread_id!r}; the thread id is in the story's provenance"
            )
        if "human_review" not in (snapshot.next or ()):
            status = snapshot.values.get("story", {}).get("review", {}).get("status", "unknown")
            raise InputError(f"thread {thread_id!r} is not waiting for review (status {status})")
        return Story.model_validate(snapshot.values["story"])

    def review(self, thread_id: str, decision: ReviewDecision | dict[str, Any]) -> Story:
        """Resume a thread with the editor's decision; return the story after it."""
        parsed = parse_decision(decision)
        story = self.pending(thread_id)
        apply_decision(story, parsed)  # reject a bad edit here, before the thread moves
        config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
        self.graph.invoke(
            Command(resume=parsed.model_dump(mode="json")), config, context=self.context()
        )
        return self._story(config)


def draft_story(cluster: ClusterLike, **settings: Any) -> Story:
    """Draft a story for review from a cluster, with settings from the environment and kwargs."""
    return StoryAgent(**settings).draft(cluster)


async def adraft_story(cluster: ClusterLike, **settings: Any) -> Story:
    """Async twin of draft_story."""
    return await StoryAgent(**settings).adraft(cluster)


def resume_review(
    thread_id: str, decision: ReviewDecision | dict[str, Any], **settings: Any
) -> Story:
    """Resume a drafted story's thread with the editor's decision (approve, edit or reject)."""
    return StoryAgent(**settings).review(thread_id, decision)
