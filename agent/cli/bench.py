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

    sections = args.sections.split(",") if args.sections else [*SECTIONS, "queue"]
    clusters = [Path(p) for p in args.cluster] if args.cluster else default_clusters()
    out = run_bench(
        settings,
        clusters=clusters,
        sections=[s for s in sections if s != "queue"],
        sizes=args.sizes or (3, 10, 30, 100),
        timeout=args.timeout,
        progress=_progress,
        partial=lambda figures: (
            _write(args.json_path, json.dumps(figures, indent=2)) if args.json_path else None
        ),
    )
    table = format_table(out)
    if "queue" in sections:
        from agent.desk.bench import format_queue, queue_bench

        out["queue"] = queue_bench(
            settings, cluster_path=clusters[-1], timeout=args.timeout, progress=_progress
        )
        table += "\n" + format_queue(out["queue"])
    print(table)
    if args.json_path:
        _write(args.json_path, json.dumps(out, indent=2))
    return 0


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cmd_bench_queue(args: argparse.Namespace, settings: Settings) -> int:
    """Drafts per second through the desk's queue and workers; print the figures."""
    from agent.desk.bench import DEFAULT_PG_URL, DEFAULT_REDIS_URL, format_queue, queue_bench
    from evals.bench import default_clusters

    cluster = Path(args.cluster) if args.cluster else default_clusters()[-1]
    out = queue_bench(
        settings,
        cluster_path=cluster,
        drafts=args.drafts,
        workers=args.workers or (1, 2, 4),
        engines=args.engines.split(","),
        pg_url=args.pg or DEFAULT_PG_URL,
        redis_url=args.redis or DEFAULT_REDIS_URL,
        embedded=not args.no_embedded,
        timeout=args.timeout,
        progress=_progress,
    )
    print(format_queue(out))
    if args.json_path:
        _write(args.json_path, json.dumps(out, indent=2))
    return 0


def _queue_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", dest="json_path", metavar="FILE", help="also write JSON here")
    parser.add_argument(
        "--cluster", metavar="FILE", help="the cluster to draft (default: the ferry example)"
    )
    parser.add_argument(
        "--drafts", type=int, default=24, metavar="N", help="timed drafts per run (default 24)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        action="append",
        metavar="W",
        help="worker processes per run (repeat; default 1, 2, 4)",
    )
    parser.add_argument(
        "--engines",
        default="sqlite,postgres+redis",
        metavar="LIST",
        help="sqlite (SQLite + SqliteHuey) and/or postgres+redis (default both)",
    )
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server (default local, db test)")
    parser.add_argument("--redis", metavar="URL", help="Redis database (default local, db 0)")
    parser.add_argument(
        "--no-embedded", action="store_true", help="skip the embedded model's trigger-to-review"
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds before a run is given up"
    )
    parser.set_defaults(func=cmd_bench_queue)


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
        help="comma-separated: rates,story,overhead,cache,baseline,growth,threads,queue "
        "(default all)",
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
    commands = bench.add_subparsers(dest="bench_command", metavar="{story,queue,cluster}")
    _bench_arguments(commands.add_parser("story", help="the story bench (the default)"))
    _queue_arguments(
        commands.add_parser("queue", help="drafts per second through the desk's queue and workers")
    )
    intake.register_bench(commands)
