"""The library API: draft a story from a cluster, then resume it with the editor's decision."""

from __future__ import annotations

import re
import sqlite3
import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command
from pydantic import ValidationError

from agent.context import Context, Resources
from agent.errors import ConfigError, InputError
from agent.graph import build_graph
from agent.llm.gateway import Gateway
from agent.nodes.review import ReviewDecision, apply_decision
from agent.schemas import Cluster, Story, load_cluster, parse_cluster
from agent.settings import Settings, load_settings
from agent.state import InputState

ClusterLike = Cluster | dict[str, Any] | str | Path
"""A cluster, its JSON as a dict, a cluster file's path, or the id of a stored cluster."""

_CLUSTER_FILE = re.compile(r"[/\\]|\.json$", re.IGNORECASE)


def _input(cluster: ClusterLike) -> InputState:
    if isinstance(cluster, Cluster):
        return {"cluster": cluster.model_dump(mode="json")}
    if isinstance(cluster, Path):
        return {"cluster": load_cluster(cluster).model_dump(mode="json")}
    if isinstance(cluster, str):
        # A string is a file when one is there or when it looks like a path; else a stored id.
        if Path(cluster).is_file() or _CLUSTER_FILE.search(cluster):
            return {"cluster": load_cluster(cluster).model_dump(mode="json")}
        return {"cluster_id": cluster}
    return {"cluster": parse_cluster(cluster).model_dump(mode="json")}


def new_thread_id(data: InputState) -> str:
    """Return a new draft thread's id, which is also the id of the story it drafts."""
    cluster_id = data.get("cluster", {}).get("id") or data.get("cluster_id")
    return f"story-{cluster_id}-{uuid.uuid4().hex[:12]}"


_STORY_ID = re.compile(r"^story-(?P<cluster>.+)-(?P<suffix>[0-9a-f]{12})$")


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
    needs_review); `review()` resumes that thread with the decision. The agent owns the loaded
    model and the checkpoint connection: `close()` them, or use it as a context manager.
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
        self.resources = Resources(settings=self.settings, gateway=gateway, store=store)
        self.now = now
        self.evidence_tokens = evidence_tokens
        self._connection: sqlite3.Connection | None = None
        if checkpointer is None:
            self._connection = self._connect(self.settings.checkpoint_path)
            checkpointer = SqliteSaver(self._connection)
        self.checkpointer = checkpointer
        self.graph = build_graph().compile(checkpointer=checkpointer, name="storydesk")

    @property
    def gateway(self) -> Gateway:
        """The model gateway (the model loads on first use)."""
        return self.resources.get_gateway()

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            connection = sqlite3.connect(str(path), check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            # A checkpoint per step: WAL with synchronous=NORMAL syncs at WAL checkpoints, not
            # at every commit (a power cut may lose the last steps, never the file; a crashed
            # process loses nothing).
            connection.execute("PRAGMA synchronous=NORMAL")
            return connection
        except (OSError, sqlite3.Error) as error:
            raise ConfigError(
                f"cannot open the checkpoint database {path} ({error}); set STORYDESK_DATA_DIR "
                "to a writable folder"
            ) from None

    def close(self) -> None:
        """Close the checkpoint connection this agent opened."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> StoryAgent:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def context(self) -> Context:
        return Context(now=self.now, evidence_tokens=self.evidence_tokens, resources=self.resources)

    def draft(
        self,
        cluster: ClusterLike,
        *,
        thread_id: str | None = None,
        on_event: Any | None = None,
    ) -> Story:
        """Draft a story for review from a cluster (or a cluster file, or a stored cluster's id).

        `on_event(node, update)` is called as each node of the graph finishes (progress).
        """
        data = _input(cluster)
        config: RunnableConfig = {"configurable": {"thread_id": thread_id or new_thread_id(data)}}
        self.advance(data, config, on_event=on_event)
        return self._story(config)

    def advance(
        self,
        data: Any,
        config: RunnableConfig,
        *,
        on_event: Any | None = None,
        on_start: Any | None = None,
    ) -> None:
        """Run a thread on: from new input, from its last checkpoint (`data` None) or with a
        `Command(resume=...)`. Every step is checkpointed before the next (durability "sync"),
        so a run killed anywhere carries on from its last finished step.

        `on_start(node)` is called as a node starts, `on_event(node, update)` as it finishes.
        """
        for mode, item in self.graph.stream(
            data,
            config,
            context=self.context(),
            stream_mode=["updates", "tasks"],
            durability="sync",
        ):
            if not isinstance(item, dict):  # (mode, chunk) pairs, as several modes were asked
                continue
            chunk: dict[str, Any] = item
            if mode == "updates" and on_event is not None:
                for node, update in chunk.items():
                    on_event(node, update)
            elif mode == "tasks" and on_start is not None and "input" in chunk:
                on_start(str(chunk["name"]))

    async def adraft(self, cluster: ClusterLike, *, thread_id: str | None = None) -> Story:
        """Draft a story without blocking the event loop (async checkpointer)."""
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        data = _input(cluster)
        config: RunnableConfig = {"configurable": {"thread_id": thread_id or new_thread_id(data)}}
        path = self.settings.checkpoint_path
        self._connect(path).close()  # the same checks and message as the sync path
        async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
            graph = build_graph().compile(checkpointer=saver, name="storydesk")
            await graph.ainvoke(data, config, context=self.context(), durability="sync")
            snapshot = await graph.aget_state(config)
        return Story.model_validate(snapshot.values["story"])

    def _story(self, config: RunnableConfig) -> Story:
        snapshot = self.graph.get_state(config)
        return Story.model_validate(snapshot.values["story"])

    def thread_of(self, story_or_thread_id: str) -> str:
        """Return the draft thread of a story id or thread id; raise if there is none."""
        candidates = [story_or_thread_id]
        match = _STORY_ID.match(story_or_thread_id)
        if match:  # drafts made before the thread id became the story id
            candidates.append(f"{match['cluster']}:{match['suffix']}")
        for candidate in candidates:
            if self.graph.get_state({"configurable": {"thread_id": candidate}}).values:
                return candidate
        raise InputError(
            f"no draft {story_or_thread_id!r} in {self.settings.checkpoint_path}; give the "
            "story's id (or its provenance.thread_id), with the same STORYDESK_DATA_DIR as the "
            "draft"
        )

    def story(self, story_or_thread_id: str) -> Story:
        """Return the current revision of a drafted story, whatever its review status."""
        thread_id = self.thread_of(story_or_thread_id)
        snapshot = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        if "story" not in snapshot.values:
            raise InputError(f"draft {story_or_thread_id!r} stopped before it made a story")
        return Story.model_validate(snapshot.values["story"])

    def pending(self, story_or_thread_id: str) -> Story:
        """Return the story a thread is waiting on, or raise if it waits for nothing."""
        thread_id = self.thread_of(story_or_thread_id)
        snapshot = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        if "human_review" not in (snapshot.next or ()):
            status = snapshot.values.get("story", {}).get("review", {}).get("status", "unknown")
            raise InputError(
                f"story {story_or_thread_id!r} is not waiting for review (status {status}); "
                "`storydesk review show` prints it"
            )
        return Story.model_validate(snapshot.values["story"])

    def review(self, story_or_thread_id: str, decision: ReviewDecision | dict[str, Any]) -> Story:
        """Resume a thread with the editor's decision; return the story after it."""
        parsed = parse_decision(decision)
        thread_id = self.thread_of(story_or_thread_id)
        story = self.pending(thread_id)
        apply_decision(story, parsed)  # reject a bad edit here, before the thread moves
        config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
        self.advance(Command(resume=parsed.model_dump(mode="json")), config)
        return self._story(config)


_AGENTS: dict[str, StoryAgent] = {}
_AGENTS_LOCK = threading.Lock()


def _agent(settings: dict[str, Any]) -> StoryAgent:
    # The one-call functions reuse an agent (and its loaded model) per distinct settings.
    resolved = load_settings(**settings)
    key = resolved.model_dump_json()
    with _AGENTS_LOCK:
        if key not in _AGENTS:
            _AGENTS[key] = StoryAgent(resolved)
        return _AGENTS[key]


def draft_story(cluster: ClusterLike, **settings: Any) -> Story:
    """Draft a story for review from a cluster, with settings from the environment and kwargs."""
    return _agent(settings).draft(cluster)


async def adraft_story(cluster: ClusterLike, **settings: Any) -> Story:
    """Async twin of draft_story."""
    return await _agent(settings).adraft(cluster)


def resume_review(
    story_or_thread_id: str, decision: ReviewDecision | dict[str, Any], **settings: Any
) -> Story:
    """Resume a drafted story with the editor's decision (approve, edit or reject)."""
    return _agent(settings).review(story_or_thread_id, decision)
