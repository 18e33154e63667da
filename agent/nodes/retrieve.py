"""retrieve: take the cluster as given, or load it from the article store; settle each lean."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from agent.context import Context, context_of
from agent.errors import InputError
from agent.schemas import Cluster, parse_cluster
from agent.state import StoryState


def fill_leans(cluster: Cluster) -> Cluster:
    """Give every article a lean: its own, else the source registry's by outlet or domain."""
    if all(article.lean for article in cluster.articles):
        return cluster
    from agent.store.registry import SourceRegistry

    registry = SourceRegistry.default()
    articles = [
        article
        if article.lean
        else article.model_copy(update={"lean": registry.lean_of(article.outlet, article.url)})
        for article in cluster.articles
    ]
    return cluster.model_copy(update={"articles": articles})


def retrieve(state: StoryState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Load the cluster's articles (from the input, or the store by id)."""
    context = context_of(runtime)
    if state.get("cluster"):
        cluster = parse_cluster(state["cluster"], "cluster")
    elif state.get("cluster_id"):
        store = context.store
        if store is None:
            from agent.store import open_store

            store = open_store(context.get_settings())
        cluster = store.get_cluster(state["cluster_id"])
    else:
        raise InputError("the graph needs a `cluster` or a `cluster_id` in its input")
    cluster = fill_leans(cluster)
    return {
        "cluster": cluster.model_dump(mode="json"),
        "cluster_id": cluster.id,
        "started_at": time.time(),
        "revisions": 0,
    }
