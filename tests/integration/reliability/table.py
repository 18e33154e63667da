"""The reliability table: each fault or input class x how many were tried x the outcome, with
the effects counted (jobs, stories, revisions, model requests), from a real run of the tests.

    python -m tests.integration.reliability.table [--out FILE] [--load N] [PYTEST ARGS...]

runs `pytest tests/integration/reliability tests/unit/security` (plus any arguments given) with
$STORYDESK_TEST_TABLE set, so each test appends the rows it verified (`record`, called after a
test's assertions: a row is only written for an outcome that held), and prints the table in
Markdown, then the tests' pass/skip/fail counts with every skip's reason. `--load N` also runs
the load benchmark (`tests.integration.reliability.load`, N drafts, 4 workers) for its row.
Exits non-zero when pytest or the load run does."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

TABLE = "STORYDESK_TEST_TABLE"
"""Test-only: the file the reliability and security tests append their rows to (JSON lines)."""

ROOT = Path(__file__).resolve().parents[3]
SUITES = ["tests/integration/reliability", "tests/unit/security"]
EFFECTS = ("jobs", "stories", "revisions", "model_requests")


def record(
    case: str,
    *,
    tried: int,
    outcome: str,
    jobs: int | None = None,
    stories: int | None = None,
    revisions: int | None = None,
    model_requests: int | None = None,
    note: str = "",
) -> None:
    """Append one row to $STORYDESK_TEST_TABLE (nothing when it is unset): a fault or input
    class, how many were tried, the outcome that held and the effects counted."""
    path = os.environ.get(TABLE)
    if not path:
        return
    row = {
        "case": case,
        "tried": tried,
        "outcome": outcome,
        "jobs": jobs,
        "stories": stories,
        "revisions": revisions,
        "model_requests": model_requests,
        "note": note,
    }
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps(row) + "\n")


def record_test(nodeid: str, outcome: str, reason: str = "") -> None:
    """Append a test's own result (the footer of the table)."""
    path = os.environ.get(TABLE)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps({"test": nodeid, "outcome": outcome, "reason": reason}) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    """The hook the reliability and security conftests install: each test's own result."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and not report.passed):
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2])
        record_test(item.nodeid, report.outcome, reason)


def render(rows: list[dict[str, Any]]) -> str:
    """Return the table (rows of one case merged: tried and effects summed) and the footer."""
    cases: dict[str, dict[str, Any]] = {}
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if "case" not in row:
            continue
        merged = cases.setdefault(row["case"], {"tried": 0, "notes": [], **dict.fromkeys(EFFECTS)})
        merged["tried"] += row["tried"]
        outcomes[row["case"]][row["outcome"]] += row["tried"]
        for key in EFFECTS:
            if row.get(key) is not None:
                merged[key] = (merged[key] or 0) + row[key]
        if row.get("note"):
            merged["notes"].append(row["note"])
    lines = [
        "| fault or input class | tried | outcome | jobs | stories | revisions | model requests "
        "| notes |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    for case, merged in cases.items():
        outcome = "; ".join(
            f"{n}x {o}" if n != merged["tried"] else o for o, n in outcomes[case].items()
        )
        cells = ["-" if merged[k] is None else str(merged[k]) for k in EFFECTS]
        notes = "; ".join(dict.fromkeys(merged["notes"]))
        lines.append(f"| {case} | {merged['tried']} | {outcome} | {' | '.join(cells)} | {notes} |")
    tests = [r for r in rows if "test" in r]
    counts: dict[str, int] = defaultdict(int)
    for r in tests:
        counts[r["outcome"]] += 1
    lines.append("")
    lines.append("tests: " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())))
    for r in tests:
        if r["outcome"] != "passed":
            lines.append(f"- {r['outcome']}: {r['test']} {r['reason']}".rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    parser.add_argument("--load", type=int, default=0, help="drafts for the load run (0: none)")
    parser.add_argument("--load-workers", type=int, default=4)
    args, rest = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="storydesk-table-") as tmp:
        path = Path(tmp) / "rows.jsonl"
        path.touch()
        env = {**os.environ, TABLE: str(path)}
        code = subprocess.call(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITES, *rest],
            cwd=ROOT,
            env=env,
        )
        if args.load:
            load = [
                sys.executable,
                "-m",
                "tests.integration.reliability.load",
                "--drafts",
                str(args.load),
                "--workers",
                str(args.load_workers),
            ]
            code = subprocess.call(load, cwd=ROOT, env=env) or code
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    table = render(rows)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n", encoding="utf-8")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
