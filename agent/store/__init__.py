"""The article store: persistence only (articles, outlets, clusters, stories, revisions).

`agent.store.db.open_store(settings)` opens (and on first use creates or migrates) the database
named by `settings.db_url`: a SQLite file by default, PostgreSQL for a postgresql:// URL. This
package file imports nothing, so reading the outlet registry (`agent.store.sources`) does not
load SQLAlchemy and alembic.
"""
