"""The `storydesk` command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import InputError, StorydeskError
from agent.files import read_text

if TYPE_CHECKING:
    from agent.settings import Settings

PLUGINS: dict[str, dict[str, str]] = {
    "agent.store.cli": {
        "ingest": "store articles from JSONL/JSON files, RSS/Atom feeds or HTML pages "
        "(files or URLs)",
        "sources": "the outlet registry: import, list, lookup",
        "cluster": "cluster new articles; or split, merge, show, eval",
        "clusters": "list clusters, most recent first",
    },
    "evals.cli": {"eval": "score drafts on evaluation datasets, report on a run, compare two runs"},
}
"""Commands other modules register, with their one-line help. Their modules import SQLAlchemy,
alembic and LangGraph (seconds), so `storydesk --help` lists them from here and a command's
module is imported only when that command runs; a unit test keeps this table in step."""

PLUGIN_BENCH = {"agent.store.cli": "cluster"}
"""Modules that add a sub-command to `storydesk bench`."""


def _write(path: str | None, text: str) -> None:
    if path in (None, "-"):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write {target} ({error.strerror}); choose another path") from None


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    """Print the JSON Schema of the story (or the cluster input)."""
    from agent.schemas import SCHEMAS

    _write(None, json.dumps(SCHEMAS[args.which].model_json_schema(), indent=2))
    return 0


def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    """Draft a story to the review point and write it."""
    from agent.api import StoryAgent
    from agent.render import render_html
    from agent.schemas import load_cluster

    if bool(args.cluster) == bool(args.cluster_id):
        raise InputError("give a cluster file, or --cluster-id ID of a stored cluster (not both)")
    source: Any = load_cluster(args.cluster) if args.cluster else args.cluster_id
    started = time.perf_counter()
    agent = StoryAgent(settings)
    story = agent.draft(source)
    seconds = time.perf_counter() - started
    _write(args.out, story.model_dump_json(indent=2))
    if args.html:
        _write(args.html, render_html(story))
    totals = agent.gateway.totals
    fc = story.fact_check
    print(
        f"drafted {story.id} rev {story.revision} ({story.review.status}) in {seconds:.1f} s; "
        f"model {story.provenance.backend}/{story.provenance.model}: {totals.calls} calls "
        f"({totals.cached_calls} cached), {story.provenance.tokens.prompt} prompt + "
        f"{story.provenance.tokens.completion} completion tokens; claims {fc.supported} supported, "
        f"{fc.unsupported} unsupported, {fc.contradicted} contradicted; "
        f"{len(story.review.flags)} flags; review thread {story.provenance.thread_id}",
        file=sys.stderr,
    )
    return 0


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    """Resume a drafted story with the editor's decision."""
    from agent.api import StoryAgent

    changes: dict[str, Any] = {}
    if args.action == "edit":
        if not args.changes:
            raise InputError("edit needs --changes FILE: a JSON object of the fields to change")
        try:
            changes = json.loads(read_text(args.changes, "a JSON file of the fields to change"))
        except json.JSONDecodeError as error:
            raise InputError(
                f"{args.changes}: not valid JSON ({error.msg}, line {error.lineno})"
            ) from None
        if not isinstance(changes, dict):
            raise InputError(f"{args.changes}: must hold a JSON object of fields to change")
    agent = StoryAgent(settings)
    if args.action == "show":
        story = agent.pending(args.thread_id)
    else:
        decision = {
            "action": args.action,
            "reviewer": args.reviewer,
            "notes": args.notes,
            "changes": changes,
        }
        story = agent.review(args.thread_id, decision)
    _write(args.out, story.model_dump_json(indent=2))
    print(f"{story.id} rev {story.revision}: {story.review.status}", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Ask the configured model for one small object, twice: the second comes from the cache."""
    import tempfile

    from pydantic import BaseModel, Field

    from agent.llm.gateway import Gateway
    from agent.prompts import load_prompt

    class Headline(BaseModel):
        title: str = Field(min_length=3, max_length=80)
        category: str = Field(min_length=3, max_length=40)

    evidence = (
        "[a1.s1] Japanese Defense Minister Shinjiro Koizumi met U.S. Defense Secretary Pete "
        "Hegseth at the Pentagon on Thursday."
    )
    prompt = load_prompt("check").render(evidence=evidence)
    with tempfile.TemporaryDirectory() as scratch:
        # A scratch cache: the check measures the model, not yesterday's answer.
        gateway = Gateway.from_settings(
            settings.model_copy(update={"cache": True, "data_dir": Path(scratch)})
        )
        for label in ("model call", "repeat"):
            result = gateway.structured(prompt, Headline, max_tokens=60)
            usage = result.usage
            where = (
                "served from the cache"
                if usage.cached
                else f"{gateway.backend_name}/{gateway.model}"
            )
            print(
                f"{label}: {where}: {result.value.model_dump_json()} in {usage.seconds:.2f} s, "
                f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens"
            )
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """Measure a story's cost against the embedded model's own speed; print a table."""
    from agent.bench import SECTIONS, default_clusters, format_table, run_bench

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


def _command_of(argv: Sequence[str]) -> str | None:
    # The first word that is not an option is the command (the only top-level option is a flag).
    for word in argv:
        if not word.startswith("-"):
            return word
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command-line parser; with argv, import only the plugin modules that command needs."""
    command = None if argv is None else _command_of(argv)
    builtin = {"schema", "draft", "check", "review"}
    if argv is None or (
        command is not None
        and command not in builtin
        and command != "bench"
        and not any(command in names for names in PLUGINS.values())
    ):
        load = list(PLUGINS)  # the whole parser (or an unknown command: let argparse list all)
    elif command == "bench":
        load = [m for m in PLUGINS if m in PLUGIN_BENCH]
    else:
        load = [m for m, names in PLUGINS.items() if command in names]
    parser = argparse.ArgumentParser(
        prog="storydesk",
        description="Neutral, fact-checked news stories from clusters of articles.",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read or write the model response cache"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    schema = sub.add_parser(
        "schema", help="print the JSON Schema of the story or the cluster input"
    )
    schema.add_argument("which", nargs="?", choices=["story", "cluster"], default="story")
    schema.set_defaults(func=cmd_schema)

    draft = sub.add_parser("draft", help="draft a story from a cluster, up to the editor's review")
    draft.add_argument(
        "cluster", nargs="?", help="cluster JSON file (see `storydesk schema cluster`)"
    )
    draft.add_argument("--cluster-id", help="draft a cluster from the article store instead")
    draft.add_argument("--out", help="write the story JSON here (default: stdout)")
    draft.add_argument("--html", help="also write a self-contained HTML page here")
    draft.set_defaults(func=cmd_draft)

    check = sub.add_parser("check", help="check the configured model answers (then from cache)")
    check.set_defaults(func=cmd_check)

    review = sub.add_parser("review", help="show, approve, edit or reject a drafted story")
    review.add_argument("action", choices=["show", "approve", "edit", "reject"])
    review.add_argument("thread_id", help="the review thread (the story's provenance.thread_id)")
    review.add_argument("--reviewer", default="editor", help="who decides (default: editor)")
    review.add_argument("--notes", default="", help="the editor's notes")
    review.add_argument("--changes", help="for edit: a JSON file of the fields to change")
    review.add_argument("--out", help="write the story JSON here (default: stdout)")
    review.set_defaults(func=cmd_review)

    bench = sub.add_parser("bench", help="benchmarks (default: a story's cost; or: cluster)")
    _bench_arguments(bench)
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="{story,cluster}")
    _bench_arguments(bench_sub.add_parser("story", help="a story's cost against the model's"))

    for module in PLUGINS:
        if module not in load:
            for name, help_text in PLUGINS[module].items():
                sub.add_parser(name, help=help_text, add_help=False)
            continue
        try:
            register = __import__(module, fromlist=["register"]).register
        except ImportError as error:
            if error.name and module.startswith(error.name):
                continue  # that part is not installed
            raise
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the storydesk command line; errors a user can fix print as one line."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    args = parser.parse_args(words)
    try:
        from agent.settings import load_settings

        settings = load_settings(cache=False if args.no_cache else None)
        return int(args.func(args, settings) or 0)
    except StorydeskError as error:
        print(f"storydesk: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("storydesk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
