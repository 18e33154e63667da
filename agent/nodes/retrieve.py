"""retrieve: take the cluster as given, or load it from the article store; settle each lean."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from agent.context import Context, context_of
from agent.errors import InputError
from agent.schemas import Cluster, parse_cluster
from agent.state import JSONObject, StoryState


def fill_leans(cluster: Cluster, registry: Any) -> Cluster:
    """Give every article a lean: its own, else the source registry's by outlet or domain."""
    if all(article.lean for article in cluster.articles):
        return cluster
    articles = [
        article
        if article.lean
        else article.model_copy(update={"lean": registry.lean_of(article.outlet, article.url)})
        for article in cluster.articles
    ]
    return cluster.model_copy(update={"articles": articles})


class RetrieveUpdate(TypedDict):
    cluster: JSONObject
    cluster_id: str
    started_at: float
    revisions: int


def retrieve(state: StoryState, runtime: Runtime[Context]) -> RetrieveUpdate:
    """Load the cluster's articles (from the input, or the store by id)."""
    from agent.store.db import open_store

    context = context_of(runtime)
    if not (state.get("cluster") or state.get("cluster_id")):
        raise InputError("the graph needs a `cluster` or a `cluster_id` in its input")
    if context.store is not None:
        registry = context.store.registry()
        cluster = (
            parse_cluster(state["cluster"], "cluster")
            if state.get("cluster")
            else context.store.get_cluster(state["cluster_id"])
        )
    elif state.get("cluster"):
        # The same registry as a stored cluster gets (ratings imported into the store
        # included), without creating a database for a file draft; read once per agent.
        cluster = parse_cluster(state["cluster"], "cluster")
        registry = context.get_resources().get_registry()
    else:
        with open_store(context.get_settings()) as store:
            cluster = store.get_cluster(state["cluster_id"])
            registry = store.registry()
    cluster = fill_leans(cluster, registry)
    return {
        "cluster": cluster.model_dump(mode="json"),
        "cluster_id": cluster.id,
        "started_at": time.time(),
        "revisions": 0,
    }
