"""storydesk's evaluation suite: datasets, metrics, resumable runs, reports and run comparison.

`storydesk eval run|report|compare` (see `evals.cli`) is the command-line face; METRICS.md
documents every metric name, its definition, its direction and its compare tolerance.
"""
