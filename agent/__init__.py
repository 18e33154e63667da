"""storydesk: neutral, fact-checked news stories from clusters of articles."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.api import StoryAgent, adraft_story, draft_story, resume_review
    from agent.nodes.review import ReviewDecision
    from agent.schemas import Article, Cluster, Story, load_cluster

# Imported on first use: `import agent.cli` (and so `storydesk --help`) must not pay for
# LangGraph and pydantic models it does not need (about a second).
_EXPORTS = {
    "Article": "agent.schemas",
    "Cluster": "agent.schemas",
    "ReviewDecision": "agent.nodes.review",
    "Story": "agent.schemas",
    "StoryAgent": "agent.api",
    "adraft_story": "agent.api",
    "draft_story": "agent.api",
    "load_cluster": "agent.schemas",
    "resume_review": "agent.api",
}

__all__ = [
    "Article",
    "Cluster",
    "ReviewDecision",
    "Story",
    "StoryAgent",
    "adraft_story",
    "draft_story",
    "load_cluster",
    "resume_review",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agent' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
