"""`storydesk draft | review | check | schema`: a story from a cluster to the editor's decision."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import InputError
from agent.files import read_text

if TYPE_CHECKING:
    from agent.settings import Settings


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


class Progress:
    """Say on stderr which node the graph is in and what the model has cost so far.

    A bar where stderr is a terminal, one plain line per node otherwise (logs, CI), nothing with
    --quiet. It reads the graph's own stream of node updates, so it reports what happened.
    """

    STEPS = 10
    """Nodes of a draft without a revise round: retrieve, screen, four drafters, fact_check,
    assemble, human_review's pause; a revise round adds two."""

    def __init__(self, quiet: bool, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.calls = 0
        self.tokens = 0
        self.started = time.perf_counter()
        self.bar: Any = None
        if not quiet and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.STEPS, file=self.stream, unit="node", leave=False)

    def __call__(self, node: str, update: Any) -> None:
        if self.quiet:
            return
        if node == "__interrupt__":
            node = "human_review (waiting for the editor)"
        for call in (update or {}).get("calls", []) if isinstance(update, dict) else []:
            self.calls += 1
            self.tokens += call["prompt_tokens"] + call["completion_tokens"]
        status = f"{node}: {self.calls} model calls, {self.tokens} tokens so far"
        if self.bar is not None:
            if self.bar.n >= self.bar.total:
                self.bar.total += 2
            self.bar.set_description_str(status)
            self.bar.update(1)
        else:
            seconds = time.perf_counter() - self.started
            print(f"storydesk: {seconds:6.1f} s  {status}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    """Draft a story to the review point and write it."""
    from agent.api import StoryAgent
    from agent.render.story import render_html
    from agent.schemas import load_cluster

    if bool(args.cluster) == bool(args.cluster_id):
        raise InputError("give a cluster file, or --cluster-id ID of a stored cluster (not both)")
    source: Any = load_cluster(args.cluster) if args.cluster else args.cluster_id
    started = time.perf_counter()
    progress = Progress(args.quiet)
    with StoryAgent(settings) as agent:
        try:
            story = agent.draft(source, on_event=progress)
        finally:
            progress.close()
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
    """Show a drafted story, or resume it with the editor's decision."""
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
    with StoryAgent(settings) as agent:
        if args.action == "show":
            story = agent.story(args.story_id)
            _write(args.out, story.model_dump_json(indent=2))
            return 0
        decision = {
            "action": args.action,
            "reviewer": args.reviewer,
            "notes": args.notes,
            "changes": changes,
        }
        story = agent.review(args.story_id, decision)
    if args.out:
        _write(args.out, story.model_dump_json(indent=2))
    if args.html:
        from agent.render.story import render_html

        _write(args.html, render_html(story))
    print(
        f"{story.id} rev {story.revision}: {story.review.status} by {story.review.reviewer}"
        + (f"; written to {args.out}" if args.out and args.out != "-" else ""),
        file=sys.stderr,
    )
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Ask the configured model for one small object, twice: the second comes from the cache."""
    import tempfile

    from pydantic import BaseModel, Field

    from agent.llm.backends import make_backend
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
        scratch_cache = settings.model_copy(update={"cache": True, "data_dir": Path(scratch)})
        # The model is the configured one (and its CPU probe is kept in the real data dir).
        gateway = Gateway.from_settings(scratch_cache, backend=make_backend(settings))
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


def register(sub: Any) -> None:
    """Add draft, review, check and schema to the storydesk command line."""
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
    draft.add_argument(
        "--quiet", action="store_true", help="no progress on stderr (the result line stays)"
    )
    draft.set_defaults(func=cmd_draft)

    check = sub.add_parser("check", help="check the configured model answers (then from cache)")
    check.set_defaults(func=cmd_check)

    review = sub.add_parser("review", help="show, approve, edit or reject a drafted story")
    review.add_argument("action", choices=["show", "approve", "edit", "reject"])
    review.add_argument(
        "story_id", metavar="STORY_ID", help="the story's id (or its provenance.thread_id)"
    )
    review.add_argument("--reviewer", default="editor", help="who decides (default: editor)")
    review.add_argument("--notes", default="", help="the editor's notes")
    review.add_argument("--changes", help="for edit: a JSON file of the fields to change")
    review.add_argument(
        "--out", help="write the story JSON here (`-` for stdout; show prints it by default)"
    )
    review.add_argument("--html", help="also write the story page here")
    review.set_defaults(func=cmd_review)
