"""`storydesk bench`: benchmarks that print their figures (never timed tests)."""

from __future__ import annotations

from typing import Any

from agent.cli import intake


def register(sub: Any) -> None:
    """Add `bench` and its benchmarks to the storydesk command line."""
    bench = sub.add_parser("bench", help="benchmarks: print speed and memory figures")
    commands = bench.add_subparsers(dest="bench_command", metavar="{cluster}", required=True)
    intake.register_bench(commands)
