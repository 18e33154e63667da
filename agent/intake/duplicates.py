"""Syndicated copies inside clusters: which article repeats another, and unique counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from agent.intake.workers import Helper, duplicates_batch
from agent.store.store import ARTICLES, CLUSTERS, chunks


def recompute_duplicates(
    connection: Connection, cluster_ids: Sequence[str], helpers: Sequence[Helper] = ()
) -> None:
    """Mark syndicated copies inside each cluster and count each cluster's unique articles."""
    pending: list[Any] = []

    def apply(
        results: list[tuple[str, dict[str, str]]],
        current: dict[str, str | None],
        members: dict[str, list[str]],
    ) -> None:
        changes: list[dict[str, Any]] = []
        sizes: list[dict[str, Any]] = []
        for cluster, copies in results:
            ids = members.get(cluster, [])
            for article_id in ids:
                if copies.get(article_id) != current[article_id]:
                    changes.append({"b_id": article_id, "b_dup": copies.get(article_id)})
            sizes.append({"b_id": cluster, "b_size": len(ids), "b_unique": len(ids) - len(copies)})
        if changes:
            connection.execute(
                update(ARTICLES)
                .where(ARTICLES.c.id == bindparam("b_id"))
                .values(duplicate_of=bindparam("b_dup")),
                changes,
            )
        if sizes:
            connection.execute(
                update(CLUSTERS)
                .where(CLUSTERS.c.id == bindparam("b_id"))
                .values(size=bindparam("b_size"), unique_size=bindparam("b_unique")),
                sizes,
            )

    workers = len(helpers)
    for index, part in enumerate(chunks(list(cluster_ids), 400)):
        rows = connection.execute(
            select(ARTICLES.c.id, ARTICLES.c.cluster_id, ARTICLES.c.text, ARTICLES.c.duplicate_of)
            .where(ARTICLES.c.cluster_id.in_(part))
            .order_by(ARTICLES.c.cluster_id, ARTICLES.c.published_at, ARTICLES.c.id)
        ).all()
        groups: dict[str, list[tuple[str, str]]] = {cluster: [] for cluster in part}
        current: dict[str, str | None] = {}
        for article_id, cluster, text, duplicate_of in rows:
            groups[cluster].append((article_id, text))
            current[article_id] = duplicate_of
        members = {cluster: [a for a, _ in items] for cluster, items in groups.items()}
        work = list(groups.items())
        # With workers, this process takes its share of the chunks too.
        if not helpers or index % (workers + 1) == workers:
            apply(duplicates_batch(work), current, members)
        else:
            helper = helpers[index % (workers + 1)]
            pending.append((helper.submit("duplicates", work), current, members))
            if len(pending) > 4:
                future, old_current, old_members = pending.pop(0)
                apply(future.result(), old_current, old_members)
    for future, old_current, old_members in pending:
        apply(future.result(), old_current, old_members)
