"""`storydesk bench`: benchmarks that print their figures (never timed tests).

`storydesk bench [--json FILE]` measures a story against the embedded model's own speed
(evals/bench.py); `storydesk bench cluster` measures ingest and clustering.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.cli import intake
from agent.cli.draft import _write

if TYPE_CHECKING:
    from agent.settings import Settings


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """Measure a story's cost against the embedded model's own speed; print a table."""
    from evals.bench import SECTIONS, default_clusters, format_table, run_bench

    sections = args.sections.split(",") if args.sections else list(SECTIONS)
    clusters = [Path(p) for p in args.cluster] if args.cluster else default_clusters()
    out = run_bench(
        settings,
        clusters=clusters,
        sections=sections,
        sizes=args.sizes or (3, 10, 30, 100),
        timeout=args.timeout,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        partial=lambda figures: (
            _write(args.json_path, json.dumps(figures, indent=2)) if args.json_path else None
        ),
    )
    print(format_table(out))
    if args.json_path:
        _write(args.json_path, json.dumps(out, indent=2))
    return 0


def _bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", dest="json_path", metavar="FILE", help="also write JSON here")
    parser.add_argument(
        "--cluster",
        action="append",
        metavar="FILE",
        help="a cluster to draft (repeat; default: the one-event examples)",
    )
    parser.add_argument(
        "--sections",
        metavar="LIST",
        help="comma-separated: rates,story,overhead,cache,baseline,growth,threads (default all)",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        action="append",
        metavar="N",
        help="growth: articles per synthetic cluster (repeat; default 3, 10, 30, 100)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds before a child run (growth, threads) is given up (default 600)",
    )
    parser.set_defaults(func=cmd_bench)


def register(sub: Any) -> None:
    """Add `bench` and its benchmarks to the storydesk command line."""
    bench = sub.add_parser(
        "bench",
        help="benchmarks: a story against the model's speed (default), or `bench cluster`",
    )
    _bench_arguments(bench)
    commands = bench.add_subparsers(dest="bench_command", metavar="{story,cluster}")
    _bench_arguments(commands.add_parser("story", help="the story bench (the default)"))
    intake.register_bench(commands)
