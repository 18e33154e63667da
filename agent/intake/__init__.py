"""Intake: articles into the store and into stories (ingest, features, clustering, edits).

It builds on the store (persistence) and never the other way round.
"""
