"""The `storydesk` command line: each command group registers its own sub-commands.

Groups, in the order `storydesk --help` lists them: draft (draft, review, check, schema), intake
(ingest, sources, cluster, clusters), desk (serve, worker, users), evals (eval), bench.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from agent.cli import bench, draft, intake
from agent.desk import cli as desk_cli
from agent.errors import StorydeskError
from evals import cli as evals_cli

COMMAND_GROUPS = (draft, intake, desk_cli, evals_cli, bench)


def build_parser() -> argparse.ArgumentParser:
    """Return the storydesk parser with every command group's sub-commands."""
    parser = argparse.ArgumentParser(
        prog="storydesk",
        description="Neutral, fact-checked news stories from clusters of articles.",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the model response cache (anywhere on the line)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


GLOBAL_SWITCHES = ("--no-cache",)
"""Switches that apply to every command, accepted before or after the command's name."""


def _split_global_switches(argv: Sequence[str]) -> tuple[set[str], list[str]]:
    """Take the global switches out of argv (up to a `--`), wherever the user put them."""
    found: set[str] = set()
    rest: list[str] = []
    for position, word in enumerate(argv):
        if word == "--":
            rest.extend(argv[position:])
            break
        if word in GLOBAL_SWITCHES:
            found.add(word)
        else:
            rest.append(word)
    return found, rest


def main(argv: Sequence[str] | None = None) -> int:
    """Run the storydesk command line; errors a user can fix print as one line."""
    parser = build_parser()
    switches, words = _split_global_switches(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(words)
    from agent.settings import load_settings  # after parsing: `--help` needs no pydantic

    try:
        settings = load_settings(cache=False if "--no-cache" in switches else None)
        return int(args.func(args, settings) or 0)
    except StorydeskError as error:
        print(f"storydesk: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("storydesk: interrupted", file=sys.stderr)
        return 130
