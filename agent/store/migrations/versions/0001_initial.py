"""Initial schema: sources, articles, clusters, term statistics, stories and their revisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=128)


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("merged_into", ID, nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("unique_size", sa.Integer(), nullable=False),
        sa.Column("first_at", _time(), nullable=False),
        sa.Column("last_at", _time(), nullable=False),
        sa.Column("mean_at", _time(), nullable=False),
        sa.Column("centroid", sa.JSON(), nullable=False),
        sa.Column("title_score", sa.Float(), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clusters")),
    )
    op.create_index(op.f("ix_clusters_last_at"), "clusters", ["last_at"])

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("lean", sa.String(length=16), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("factuality", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=300), nullable=True),
        sa.Column("country", sa.String(length=80), nullable=True),
        sa.Column("rating_source", sa.String(length=200), nullable=False),
        sa.Column("rating_url", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=80), nullable=True),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("key", name=op.f("uq_sources_key")),
    )

    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_store_meta")),
    )

    op.create_table(
        "term_stats",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_term_stats")),
    )

    op.create_table(
        "articles",
        sa.Column("id", ID, nullable=False),
        sa.Column("identity", sa.String(length=80), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("outlet", sa.String(length=300), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", _time(), nullable=False),
        sa.Column("utc_offset", sa.Integer(), nullable=True),
        sa.Column("lean", sa.String(length=16), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("ingested_at", _time(), nullable=False),
        sa.Column("cluster_id", ID, nullable=True),
        sa.Column("duplicate_of", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["clusters.id"],
            name=op.f("fk_articles_cluster_id_clusters"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("identity", name=op.f("uq_articles_identity")),
    )
    op.create_index(
        "ix_articles_cluster_id_published_at", "articles", ["cluster_id", "published_at"]
    )
    op.create_index(op.f("ix_articles_published_at"), "articles", ["published_at"])

    op.create_table(
        "cluster_terms",
        sa.Column("cluster_id", ID, nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["clusters.id"],
            name=op.f("fk_cluster_terms_cluster_id_clusters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cluster_id", "term", name=op.f("pk_cluster_terms")),
    )
    op.create_index(op.f("ix_cluster_terms_term"), "cluster_terms", ["term"])

    op.create_table(
        "stories",
        sa.Column("id", ID, nullable=False),
        sa.Column("cluster_id", ID, nullable=False),
        sa.Column("latest_revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    op.create_index(op.f("ix_stories_cluster_id"), "stories", ["cluster_id"])
    op.create_index(op.f("ix_stories_status"), "stories", ["status"])

    op.create_table(
        "story_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("story_id", ID, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_revisions_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_revisions")),
        sa.UniqueConstraint(
            "story_id", "revision", name=op.f("uq_story_revisions_story_id_revision")
        ),
    )
    op.create_index(op.f("ix_story_revisions_story_id"), "story_revisions", ["story_id"])


def downgrade() -> None:
    # Dropping tables loses data; storydesk never runs this itself.
    for table in (
        "story_revisions",
        "stories",
        "cluster_terms",
        "articles",
        "term_stats",
        "store_meta",
        "sources",
        "clusters",
    ):
        op.drop_table(table)
