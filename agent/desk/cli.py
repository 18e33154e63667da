"""Commands of the desk: `storydesk serve`, `storydesk worker [-n N]`, `storydesk users …`.

`register(subparsers)` adds them to the `storydesk` parser; handlers take (args, settings).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.settings import Settings


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API and the pages on one port."""
    import uvicorn

    from agent.desk.app import create_app

    app = create_app(settings)
    print(f"storydesk desk on http://{args.host}:{args.port}/ (API docs at /docs)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run job consumers."""
    import logging

    from agent.desk.runtime import Desk
    from agent.desk.worker import run_workers

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    return run_workers(Desk.open(settings), args.n)


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    """Add, list or revoke desk users."""
    from agent.desk.runtime import Desk

    users = Desk.open(settings).users
    if args.users_command == "add":
        user, token = users.add(args.name, args.role)
        print(f"added {user.name} ({user.role}); the token is shown once, keep it safe:")
        print(token)
    elif args.users_command == "list":
        for user in users.all():
            state = f"revoked {user.revoked_at:%Y-%m-%d %H:%M}" if user.revoked_at else "active"
            print(f"{user.name}\t{user.role}\t{state}\tadded {user.created_at:%Y-%m-%d %H:%M}")
    else:
        user = users.revoke(args.name)
        print(f"revoked {user.name}")
    return 0


def _workers(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= 64:
        raise argparse.ArgumentTypeError(f"{value!r}: give 1 to 64 workers")
    return number


def register(subparsers: Any) -> None:
    """Add the desk's commands to the `storydesk` parser's subcommands."""
    serve = subparsers.add_parser("serve", help="serve the desk: HTTP API and editors' pages")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.set_defaults(func=cmd_serve)

    worker = subparsers.add_parser("worker", help="run the desk's job consumers")
    worker.add_argument(
        "-n", type=_workers, default=1, metavar="N", help="consumer processes (default 1)"
    )
    worker.set_defaults(func=cmd_worker)

    users = subparsers.add_parser("users", help="desk users and their tokens: add, list, revoke")
    users_sub = users.add_subparsers(dest="users_command", metavar="{add,list,revoke}")
    users_sub.required = True
    add = users_sub.add_parser("add", help="add a user; prints the token on the last line")
    add.add_argument("name")
    add.add_argument("--role", choices=["viewer", "editor", "admin"], default="editor")
    users_sub.add_parser("list", help="list users (never their tokens)")
    revoke = users_sub.add_parser("revoke", help="revoke a user's token")
    revoke.add_argument("name")
    users.set_defaults(func=cmd_users)
