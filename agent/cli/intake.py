"""CLI commands of the article store: ingest, sources, cluster, clusters, bench cluster.

`register(subparsers)` adds them to the `storydesk` parser; every handler has the signature
`handler(args, settings) -> int` and raises InputError/ConfigError for the main CLI to print.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from agent.errors import InputError

if TYPE_CHECKING:
    from agent.settings import Settings

Handler = Callable[[argparse.Namespace, "Settings"], int]


def _out() -> TextIO:
    return sys.stdout


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _when(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 date or time "
            "(e.g. 2026-01-15 or 2026-01-15T09:00:00+09:00)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _positive(value: str) -> int:
    try:
        number = int(value.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be positive")
    return number


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0.0 < number < 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} must be between 0 and 1")
    return number


def _hours(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of hours") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be positive")
    return number


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be positive")
    return number


def _progress_bar(enabled: bool, description: str, total: int | None = None) -> Any:
    from tqdm import tqdm

    # disable=None: tqdm shows the bar only on a terminal, so logs and pipes stay clean.
    return tqdm(
        total=total,
        desc=description,
        unit=" articles",
        disable=None if enabled else True,
        file=sys.stderr,
        leave=False,
        mininterval=0.5,
    )


# --------------------------------------------------------------------------- handlers


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Store articles from files, directories and URLs."""
    from agent.intake.pipeline import ClusterOptions, ingest, run_clustering
    from agent.store.db import open_store

    store = open_store(settings)
    try:
        with _progress_bar(not args.quiet, "ingest") as bar:
            report = ingest(
                store,
                args.targets,
                assign_ids=args.assign_ids,
                published_at=args.published_at,
                progress=bar.update,
                on_problem=lambda message: bar.write(f"skipped {message}", file=sys.stderr),
            )
        print(
            f"read {report.read} record(s): stored {report.stored} new article(s), "
            f"{report.already} already stored, {len(report.problems)} skipped",
            file=_out(),
        )
        if args.cluster and report.stored:
            with _progress_bar(not args.quiet, "cluster", report.stored) as bar:
                run = run_clustering(store, ClusterOptions(), bar.update)
            print(
                f"clustered {run.articles} article(s): {run.created} new cluster(s), "
                f"{run.extended} grown",
                file=_out(),
            )
    finally:
        store.close()
    if report.problems:
        _err(
            f"{len(report.problems)} record(s) skipped; fix them and ingest the same files again "
            "(stored articles are not stored twice)"
        )
        return 1
    return 0


def cmd_sources_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import outlet ratings from a CSV/TSV (storydesk, AllSides or MBFC shape)."""
    from agent.store.db import open_store
    from agent.store.sources import load_sources_file

    report = load_sources_file(args.file, args.rating_source)
    for message in report.skipped:
        _err(f"skipped {message}")
    store = open_store(settings)
    try:
        added, updated = store.import_sources(report.records)
    finally:
        store.close()
    print(
        f"{args.file}: read {len(report.records)} outlet rating(s) ({report.shape} format): "
        f"{added} new, {updated} updated, {len(report.skipped)} skipped",
        file=_out(),
    )
    return 1 if report.skipped else 0


def cmd_sources_list(args: argparse.Namespace, settings: Settings) -> int:
    """List the outlets the registry knows."""
    from agent.store.db import open_store

    store = open_store(settings)
    try:
        records = [r for r in store.registry() if args.lean is None or r.lean == args.lean]
    finally:
        store.close()
    records.sort(key=lambda r: r.name.lower())
    if args.json:
        json.dump([r.as_row() for r in records], _out(), indent=2, ensure_ascii=False)
        print(file=_out())
        return 0
    for record in records:
        domains = ", ".join(record.domains) or "-"
        print(
            f"{record.name:<40} {record.lean:<10} {domains:<40} {record.rating_source}", file=_out()
        )
    print(f"{len(records)} outlet(s)", file=_out())
    return 0


def cmd_sources_lookup(args: argparse.Namespace, settings: Settings) -> int:
    """Find an outlet by name or URL."""
    from agent.store.db import open_store

    query = args.query
    is_url = "://" in query or ("/" not in query and " " not in query and "." in query)
    store = open_store(settings)
    try:
        record = store.registry().lookup(query, query if is_url else None)
    finally:
        store.close()
    if record is None:
        raise InputError(
            f"no outlet matches {query!r}; import ratings with `storydesk sources import FILE`"
        )
    if args.json:
        json.dump(record.as_row(), _out(), indent=2, ensure_ascii=False)
        print(file=_out())
    else:
        for key, value in record.as_row().items():
            if value:
                print(f"{key:<14} {value}", file=_out())
    return 0


def _options(args: argparse.Namespace) -> Any:
    from agent.intake.pipeline import ClusterOptions

    options = ClusterOptions()
    if getattr(args, "threshold", None) is not None:
        options.threshold = args.threshold
    if getattr(args, "window_hours", None) is not None:
        options.window_hours = args.window_hours
    if getattr(args, "half_life_hours", None) is not None:
        options.half_life_hours = args.half_life_hours
    if getattr(args, "workers", None) is not None:
        options.workers = args.workers
    if getattr(args, "embeddings", None):
        from agent.intake.clustering import EMBEDDING_THRESHOLD
        from agent.intake.embeddings import load_encoder

        options.encoder = load_encoder(args.embeddings)
        if getattr(args, "threshold", None) is None:
            options.threshold = EMBEDDING_THRESHOLD
    return options


def cmd_cluster(args: argparse.Namespace, settings: Settings) -> int:
    """Place new articles into clusters (incrementally)."""
    from agent.intake.pipeline import run_clustering
    from agent.store.db import open_store

    store = open_store(settings)
    try:
        pending = store.count_articles(unclustered=True)
        with _progress_bar(not args.quiet, "cluster", pending) as bar:
            run = run_clustering(store, _options(args), bar.update)
    finally:
        store.close()
    if not run.articles:
        print("no new articles to cluster; ingest some with `storydesk ingest`", file=_out())
        return 0
    print(
        f"clustered {run.articles} article(s) in {run.seconds:.1f}s: {run.created} new "
        f"cluster(s), {run.extended} existing cluster(s) grown",
        file=_out(),
    )
    return 0


def cmd_cluster_split(args: argparse.Namespace, settings: Settings) -> int:
    """Move articles out of a cluster into a new one."""
    from agent.intake.editing import split_cluster
    from agent.store.db import open_store

    store = open_store(settings)
    try:
        new_id = split_cluster(store, args.cluster_id, args.article_ids)
    finally:
        store.close()
    print(
        f"moved {len(args.article_ids)} article(s) from {args.cluster_id} into {new_id}",
        file=_out(),
    )
    return 0


def cmd_cluster_merge(args: argparse.Namespace, settings: Settings) -> int:
    """Merge clusters into the first one."""
    from agent.intake.editing import merge_clusters
    from agent.store.db import open_store

    store = open_store(settings)
    try:
        target = merge_clusters(store, args.cluster_id, args.others)
    finally:
        store.close()
    print(f"merged {', '.join(args.others)} into {target}", file=_out())
    return 0


def cmd_cluster_show(args: argparse.Namespace, settings: Settings) -> int:
    """Show a cluster's articles, blindspot report and related stories."""
    from agent.store.db import open_store

    store = open_store(settings)
    try:
        summary = store.cluster_summary(args.cluster_id)
        blindspot = store.blindspot(args.cluster_id)
        related = store.related(args.cluster_id, limit=args.related)
    finally:
        store.close()
    if args.json:
        data = summary.as_json()
        data["based_on"] = summary.unique_size
        for item, article in zip(data["articles"], summary.articles, strict=True):
            item["published_at"] = article.published_at.isoformat()
            item["duplicate_of"] = article.duplicate_of
        data["blindspot"] = blindspot.model_dump()
        data["related"] = [story.as_json() for story in related]
        json.dump(data, _out(), indent=2, ensure_ascii=False)
        print(file=_out())
        return 0
    out = _out()
    print(f"{summary.id}  {summary.title}", file=out)
    print(
        f"based on {summary.unique_size} article(s) ({summary.size} listed), "
        f"{summary.first_at:%Y-%m-%d %H:%M} .. {summary.last_at:%Y-%m-%d %H:%M} UTC"
        + ("  [edited]" if summary.edited else ""),
        file=out,
    )
    for article in summary.articles:
        copy = f"  (copy of {article.duplicate_of})" if article.duplicate_of else ""
        print(
            f"  {article.id:<14} {article.lean:<10} {article.outlet[:28]:<28} "
            f"{article.title[:70]}{copy}",
            file=out,
        )
    print(
        f"blindspot: {blindspot.verdict}"
        + (f" ({blindspot.side})" if blindspot.side else "")
        + f" - {blindspot.note}",
        file=out,
    )
    if related:
        print("related:", file=out)
        for story in related:
            print(f"  {story.id:<48} {story.score:.2f}  {story.title[:60]}", file=out)
    return 0


def cmd_cluster_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Score clustering on the AllSides roundups at 1x-4x density (ARI and purity)."""
    from evals.clustering import (
        DEV_STREAM,
        OVERLAP_HOURS,
        TUNING_HALF,
        cross_validate,
        density_table,
    )

    path = Path(args.path) if args.path else settings.evaldata(DEV_STREAM, "cluster eval")
    options = _options(args)
    densities = args.density or [1.0, 2.0, 3.0, 4.0]
    seeds = list(range(args.seeds))
    started = time.perf_counter()
    rows = density_table(
        path, options, densities, seeds, args.jitter_hours, database_url=args.database_url
    )
    folds = (
        []
        if args.no_cv
        else cross_validate(path, options, densities, seeds=seeds, jitter_hours=args.jitter_hours)
    )
    seconds = time.perf_counter() - started
    if args.json:
        report = {
            "path": str(path),
            "threshold": options.threshold,
            "seeds": len(seeds),
            "jitter_hours": args.jitter_hours,
            "tuning_half": TUNING_HALF,
            "rows": [row.as_json() for row in rows],
            "cross_validation": [fold.as_json() for fold in folds],
        }
        json.dump(report, _out(), indent=2)
        print(file=_out())
        return 0
    out = _out()
    full = next(row for row in rows if row.stream == "full")
    print(
        f"{path}: {full.results[0].articles} articles of {full.results[0].stories} stories; "
        f"threshold {options.threshold:g}, mean of {len(seeds)} shuffle seed(s)"
        + (f", articles jittered up to {args.jitter_hours:g} h" if args.jitter_hours else ""),
        file=out,
    )
    print(
        "Denser streams compress the time axis (t0 + (t - t0) / k): k times the stories per "
        "day,\nevery text unchanged. Halves split the stories by a hash of their id; each half is "
        f"compressed\nto the full stream's stories per day. Knobs were tuned on half "
        f"{TUNING_HALF} only: half B is held out.",
        file=out,
    )
    print(
        f"\n{'stream':<10}" + "".join(f"{f'{d:g}x ARI / purity':>22}" for d in densities), file=out
    )
    names = {"full": "full", "A": "half A", "B": "half B"}
    for name in ("full", "A", "B"):
        cells = [row for row in rows if row.stream == name]
        print(
            f"{names[name]:<10}"
            + "".join(f"{f'{row.ari:.3f} / {row.purity:.3f}':>22}" for row in cells),
            file=out,
        )
    overlaps = [row for row in rows if row.stream == "full"]
    print(
        f"{'overlap':<10}"
        + "".join(f"{f'{row.overlap:.1f} stories':>22}" for row in overlaps)
        + f"\n(overlap: other stories within {OVERLAP_HOURS:g} h of a story, full stream)",
        file=out,
    )
    if folds:
        print(
            "\ncross-validation: the threshold tuned on one half (mean ARI), scored on the other",
            file=out,
        )
        for fold in folds:
            print(
                f"tuned on {fold.tuned_on} ({fold.threshold:g}) -> {fold.scored_on}"
                + "".join(f"{fold.ari[d]:>22.3f}" for d in densities),
                file=out,
            )
        mean = [sum(fold.ari[d] for fold in folds) / len(folds) for d in densities]
        print(f"{'CV mean':<24}" + "".join(f"{value:>22.3f}" for value in mean), file=out)
    print(f"({seconds:.1f}s)", file=out)
    return 0


def cmd_clusters(args: argparse.Namespace, settings: Settings) -> int:
    """List clusters, most recent first."""
    from agent.store.db import open_store

    # JSON is complete unless the user limits it; the listing shows 50 unless told otherwise.
    limit = args.limit if args.limit is not None else (0 if args.json else 50)
    with open_store(settings) as store:
        clusters = store.list_clusters(
            limit=limit + 1 if limit else None, since=args.since, min_articles=args.min_articles
        )
    more = bool(limit) and len(clusters) > limit
    clusters = clusters[:limit] if limit else clusters
    if args.json:
        json.dump([cluster.as_json() for cluster in clusters], _out(), indent=2, ensure_ascii=False)
        print(file=_out())
        return 0
    out = _out()
    if not clusters:
        print("no clusters yet; run `storydesk ingest PATH` then `storydesk cluster`", file=out)
        return 0
    for cluster in clusters:
        copies = len(cluster.articles) - cluster.unique_size
        counted = f"{len(cluster.articles)} article(s)"
        if copies > 0:
            copy = "a syndicated copy" if copies == 1 else "syndicated copies"
            counted += f", {copies} {copy} counted once"
        print(
            f"{cluster.id}  ({counted}, last {cluster.last_at:%Y-%m-%d})  {cluster.title}",
            file=out,
        )
        for article in cluster.articles:
            copy = "  (copy)" if article.duplicate_of else ""
            print(
                f"    {article.id:<14} {article.lean:<10} {article.outlet[:28]:<28} "
                f"{article.title[:60]}{copy}",
                file=out,
            )
    if more:
        print(f"(the {limit} most recent; --limit 0 lists all)", file=out)
    return 0


def cmd_bench_cluster(args: argparse.Namespace, settings: Settings) -> int:
    """Ingest and cluster synthetic articles at several sizes; print speed and memory."""
    from evals.bench_cluster import growth, run_size

    sizes = args.n or [10_000, 100_000]
    results = []
    for size in sizes:
        if not args.json:
            print(f"running {size:,} articles ...", file=sys.stderr)
        result = run_size(size, database_url=args.database_url, workers=args.workers)
        results.append(result)
        if not args.json:
            print(
                f"{result.articles:>9,} articles: ingest {result.ingest_seconds:6.1f}s, cluster "
                f"{result.cluster_seconds:6.1f}s, {result.per_second:8,.0f} articles/s end to end "
                f"(CPU {result.cpu_seconds:.1f}s), peak RSS {result.peak_rss_mib:7.1f} MiB, "
                f"{result.clusters:,} clusters (ARI vs synthetic events {result.ari:.3f}); "
                f"{result.helpers} helper(s), load average {result.load_average:.1f}",
                file=_out(),
            )
    summary = growth(results)
    if args.json:
        json.dump({"results": [r.as_json() for r in results], "growth": summary}, _out(), indent=2)
        print(file=_out())
    elif summary:
        print(summary, file=_out())
    return 0


# --------------------------------------------------------------------------- wiring


def _cluster_knobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threshold",
        type=_fraction,
        default=None,
        help="minimum mean cosine with a cluster's articles to join it (default 0.09)",
    )
    parser.add_argument(
        "--window-hours",
        type=_hours,
        default=None,
        help="longest time between articles of one event (default 72)",
    )
    parser.add_argument(
        "--half-life-hours",
        type=_hours,
        default=None,
        help="similarity halves per this many hours apart (default 24)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="helper processes for large runs (default: one per idle core, judged by the load)",
    )
    parser.add_argument(
        "--embeddings",
        metavar="MODEL",
        default=None,
        help="also compare sentence embeddings from this sentence-transformers model "
        "(optional; needs `pip install sentence-transformers`; default threshold then 0.35)",
    )


def register_bench(bench_subparsers: Any) -> None:
    """Add `cluster` to the subcommands of an existing `storydesk bench`."""
    bench = bench_subparsers.add_parser(
        "cluster", help="ingest and cluster synthetic articles; report articles/s and memory"
    )
    bench.add_argument(
        "--n",
        type=_positive,
        action="append",
        help="articles per run; repeat for several sizes (default 10000 and 100000)",
    )
    bench.add_argument(
        "--database-url",
        default=None,
        help="run against this database (default: a fresh SQLite file per size)",
    )
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="helper processes (default: one per idle core, judged by the load)",
    )
    bench.set_defaults(func=cmd_bench_cluster)


def register(subparsers: Any) -> None:
    """Add the article-store commands to the `storydesk` parser's subcommands."""
    ingest = subparsers.add_parser(
        "ingest",
        help="store articles from JSONL/JSON files, RSS/Atom feeds or HTML pages (files or URLs)",
        description="Store articles once each (by URL, else content). Bad records are reported "
        "with file and line and skipped; the exit code is 1 when any was skipped.",
    )
    ingest.add_argument("targets", nargs="+", metavar="PATH|URL")
    ingest.add_argument(
        "--assign-ids",
        action="store_true",
        help="ignore the records' ids and let storydesk assign them",
    )
    ingest.add_argument(
        "--published-at",
        type=_when,
        default=None,
        help="publication time for records that have none (ISO 8601)",
    )
    ingest.add_argument(
        "--cluster", action="store_true", help="cluster the new articles afterwards"
    )
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.set_defaults(func=cmd_ingest)

    sources = subparsers.add_parser("sources", help="the outlet registry: import, list, lookup")
    sources_sub = sources.add_subparsers(dest="sources_command", metavar="{import,list,lookup}")
    sources_sub.required = True
    importer = sources_sub.add_parser(
        "import", help="import outlet ratings (storydesk CSV, AllSides export or MBFC-style table)"
    )
    importer.add_argument("file", type=Path)
    importer.add_argument(
        "--rating-source",
        default=None,
        help="who made the ratings (default: guessed from the file's shape)",
    )
    importer.set_defaults(func=cmd_sources_import)
    lister = sources_sub.add_parser("list", help="list known outlets")
    lister.add_argument(
        "--lean", choices=["left", "lean-left", "center", "lean-right", "right", "mixed", "unrated"]
    )
    lister.add_argument("--json", action="store_true")
    lister.set_defaults(func=cmd_sources_list)
    lookup = sources_sub.add_parser("lookup", help="find an outlet by name, domain or URL")
    lookup.add_argument("query", metavar="NAME|DOMAIN|URL")
    lookup.add_argument("--json", action="store_true")
    lookup.set_defaults(func=cmd_sources_lookup)

    cluster = subparsers.add_parser(
        "cluster",
        help="cluster new articles; or split, merge, show, eval",
        description="Without a subcommand: place every article not yet in a cluster (earlier "
        "placements and editors' splits and merges are kept).",
    )
    _cluster_knobs(cluster)
    cluster.add_argument("--quiet", action="store_true", help="no progress bar")
    cluster.set_defaults(func=cmd_cluster)
    cluster_sub = cluster.add_subparsers(dest="cluster_command", metavar="{split,merge,show,eval}")
    split = cluster_sub.add_parser("split", help="move articles out of a cluster into a new one")
    split.add_argument("cluster_id")
    split.add_argument("article_ids", nargs="+", metavar="ARTICLE_ID")
    split.set_defaults(func=cmd_cluster_split)
    merge = cluster_sub.add_parser("merge", help="merge clusters into the first one named")
    merge.add_argument("cluster_id", help="the cluster that keeps its id")
    merge.add_argument("others", nargs="+", metavar="OTHER_ID")
    merge.set_defaults(func=cmd_cluster_merge)
    show = cluster_sub.add_parser(
        "show", help="a cluster's articles, blindspot and related stories"
    )
    show.add_argument("cluster_id")
    show.add_argument("--related", type=_positive, default=5, help="related stories to list")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_cluster_show)
    evaluate = cluster_sub.add_parser(
        "eval", help="score clustering on the AllSides roundups (adjusted Rand index, purity)"
    )
    evaluate.add_argument(
        "path",
        nargs="?",
        default=None,
        help="roundups JSONL (default: allsides/roundups_dev.jsonl in STORYDESK_EVALDATA)",
    )
    evaluate.add_argument(
        "--density",
        type=_positive_float,
        action="append",
        help="stories per day as a multiple of the full stream's; repeat (default 1 2 3 4)",
    )
    evaluate.add_argument(
        "--seeds", type=_positive, default=3, help="shuffle seeds to average over (default 3)"
    )
    evaluate.add_argument(
        "--jitter-hours",
        type=_positive_float,
        default=0.0,
        help="publish each article up to this many hours after its story (default 0)",
    )
    evaluate.add_argument(
        "--no-cv", action="store_true", help="skip the cross-validation over the two halves"
    )
    evaluate.add_argument(
        "--database-url",
        default=None,
        help="cluster in this (empty) database instead of a temporary SQLite file",
    )
    evaluate.add_argument("--json", action="store_true")
    _cluster_knobs(evaluate)
    evaluate.set_defaults(func=cmd_cluster_eval)

    clusters = subparsers.add_parser("clusters", help="list clusters, most recent first")
    clusters.add_argument(
        "--json",
        action="store_true",
        help='print [{"id", "title", "articles": [{"id", "outlet", "title", "url", "lean"}]}]',
    )
    clusters.add_argument(
        "--limit", type=int, default=None, help="how many (0 = all; default 50, all with --json)"
    )
    clusters.add_argument("--since", type=_when, default=None, help="only clusters active since")
    clusters.add_argument("--min-articles", type=_positive, default=1)
    clusters.set_defaults(func=cmd_clusters)
