"""`python -m evals run|report|compare …`: the eval commands without the rest of the CLI."""

from __future__ import annotations

import argparse
import sys

from agent.errors import StorydeskError
from agent.settings import load_settings
from evals.cli import register


def main(argv: list[str] | None = None) -> int:
    """Parse `eval` arguments and run the handler; errors print as one line."""
    parser = argparse.ArgumentParser(prog="python -m evals")
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read or write the model response cache"
    )
    register(parser.add_subparsers(dest="command", required=True))
    argv = list(sys.argv[1:] if argv is None else argv)
    flags = [a for a in argv if a == "--no-cache"]
    args = parser.parse_args([*flags, "eval", *[a for a in argv if a != "--no-cache"]])
    try:
        return int(args.func(args, load_settings(cache=False if args.no_cache else None)))
    except StorydeskError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
