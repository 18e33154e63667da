"""Editors' changes to clusters: split some articles off, merge clusters into one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, insert, select, update

from agent.errors import InputError
from agent.intake.clustering import new_cluster_id
from agent.intake.pipeline import rebuild_clusters
from agent.store.models import utcnow
from agent.store.store import ARTICLES, CLUSTER_TERMS, CLUSTERS, Store, chunks


def split_cluster(store: Store, cluster_id: str, article_ids: Sequence[str]) -> str:
    """Move some articles of a cluster into a new cluster; return the new cluster's id."""
    wanted = list(dict.fromkeys(article_ids))
    if not wanted:
        raise InputError(
            "name the articles to split off (their ids, as `storydesk clusters` lists them)"
        )
    with store.engine.begin() as connection:
        store.cluster_row(connection, cluster_id)
        members = {m["id"] for m in store.member_rows(connection, [cluster_id])}
        missing = [a for a in wanted if a not in members]
        if missing:
            raise InputError(
                f"cluster {cluster_id!r} has no article {', '.join(map(repr, missing))}; "
                f"see its articles with `storydesk cluster show {cluster_id}`"
            )
        if len(wanted) == len(members):
            raise InputError(f"that would move every article of {cluster_id!r}; leave at least one")
        first = connection.execute(
            select(ARTICLES.c.id, ARTICLES.c.title, ARTICLES.c.published_at)
            .where(ARTICLES.c.id.in_(wanted))
            .order_by(ARTICLES.c.published_at, ARTICLES.c.id)
        ).first()
        assert first is not None
        new_id = new_cluster_id(
            # Unique even when the same articles are split off again after a merge.
            f"split:{cluster_id}:{first.id}:{uuid.uuid4().hex}",
            first.title,
            first.published_at.date().isoformat(),
        )
        now = utcnow()
        connection.execute(
            insert(CLUSTERS).values(
                id=new_id,
                title=first.title,
                status="active",
                merged_into=None,
                size=0,
                unique_size=0,
                first_at=first.published_at,
                last_at=first.published_at,
                mean_at=first.published_at,
                centroid={},
                title_score=0.0,
                edited=True,
                created_at=now,
                updated_at=now,
            )
        )
        for part in chunks(wanted):
            connection.execute(
                update(ARTICLES).where(ARTICLES.c.id.in_(part)).values(cluster_id=new_id)
            )
        rebuild_clusters(connection, [cluster_id, new_id], edited=True)
    return new_id


def merge_clusters(store: Store, target: str, others: Sequence[str]) -> str:
    """Move the articles of `others` into `target`; the others record where they went."""
    others = [other for other in dict.fromkeys(others) if other != target]
    if not others:
        raise InputError("name at least two different clusters to merge")
    with store.engine.begin() as connection:
        store.cluster_row(connection, target)
        for other in others:
            store.cluster_row(connection, other)
        connection.execute(
            update(ARTICLES).where(ARTICLES.c.cluster_id.in_(others)).values(cluster_id=target)
        )
        connection.execute(delete(CLUSTER_TERMS).where(CLUSTER_TERMS.c.cluster_id.in_(others)))
        connection.execute(
            update(CLUSTERS)
            .where(CLUSTERS.c.id.in_(others))
            .values(
                status="merged",
                merged_into=target,
                size=0,
                unique_size=0,
                edited=True,
                updated_at=utcnow(),
            )
        )
        # Clusters merged earlier into one of `others` now point at the target directly.
        connection.execute(
            update(CLUSTERS).where(CLUSTERS.c.merged_into.in_(others)).values(merged_into=target)
        )
        rebuild_clusters(connection, [target], edited=True)
    return target
