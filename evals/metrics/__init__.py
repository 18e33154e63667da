"""Metric families, one module each; every module's docstring gives its definitions.

support (claim support, citation validity), rouge, timeline (dates vs a gold timeline),
factcheck (balanced accuracy on SummEdits), loaded (loaded-language rate), balance (side
balance of citations), story (schema validity, seconds and tokens). `registry` lists every
summary key with its direction and compare tolerance (also documented in evals/METRICS.md).
"""
