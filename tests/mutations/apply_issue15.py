"""Reapply the eight changes of issue 15 to today's code, one at a time, and run the tests that
must catch each.

    .venv/bin/python tests/mutations/apply_issue15.py [--only NAME] [--keep]

Each change is made in a temporary copy of the working tree (the tracked files as they are on
disk); its tests run there with the copy first on PYTHONPATH (the script checks that `agent`
is imported from the copy). A change is KILLED when its tests fail, SURVIVED when they pass.
A baseline run (no change) first shows the targeted tests pass on the unchanged code. The exit
status is 1 if any change survives or the baseline fails.

Some changes of the issue touch a rule that now has two guards; those are reapplied three
ways (each guard alone, then both), so a guard that is never tested alone shows up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Edit:
    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Change:
    name: str
    what: str
    edits: tuple[Edit, ...]
    tests: tuple[str, ...]


_ENUM = Edit(
    "agent/nodes/summary.py",
    '        section="summary",\n        choices=evidence.selected,\n',
    '        section="summary",\n',
)
_INDEX = Edit(
    "agent/nodes/summary.py",
    "cites = [c for c in dict.fromkeys(item.citations) if c in index]",
    "cites = list(dict.fromkeys(item.citations))",
)
_SHARES_ALL = Edit(
    "agent/checks/meter.py",
    "    rated = sum(counts.get(side, 0) for side in SIDES)\n    if not rated:\n        return {side: 0.0 for side in SIDES}",
    "    rated = sum(counts.values())\n    if not rated:\n        return {side: 0.0 for side in SIDES}",
)
_ASSEMBLE_UNRATED = Edit(
    "agent/nodes/assemble.py",
    "percent = shares(counts)",
    'percent = shares({**counts, "unrated": unrated})',
)
_GUARANTEES = "tests/unit/guarantees"

CHANGES: tuple[Change, ...] = (
    Change(
        "1a-summary-ids-enum",
        "the summary call offers no id choices (no enum in the schema)",
        (_ENUM,),
        (_GUARANTEES, "tests/unit/test_graph.py", "tests/unit/nodes"),
    ),
    Change(
        "1b-summary-ids-filter",
        "the summary keeps cited ids that are not in the evidence",
        (_INDEX,),
        (_GUARANTEES, "tests/unit/test_graph.py", "tests/unit/nodes"),
    ),
    Change(
        "1c-summary-ids-both",
        "the summary's sentence-id restriction removed (enum and filter)",
        (_ENUM, _INDEX),
        (_GUARANTEES, "tests/unit/test_graph.py", "tests/unit/nodes"),
    ),
    Change(
        "2a-unrated-in-shares",
        "the meter's shares divide by every count given, unrated included",
        (_SHARES_ALL,),
        ("tests/unit/checks/test_meter.py", _GUARANTEES),
    ),
    Change(
        "2b-unrated-in-story",
        "the story's meter passes its unrated articles into the denominator",
        (_SHARES_ALL, _ASSEMBLE_UNRATED),
        ("tests/unit/checks/test_meter.py", _GUARANTEES),
    ),
    Change(
        "3-blindspot-strict",
        "the blindspot threshold <= becomes <",
        (
            Edit(
                "agent/checks/meter.py",
                "if counts.get(side, 0) <= BLINDSPOT_SHARE * rated",
                "if counts.get(side, 0) < BLINDSPOT_SHARE * rated",
            ),
        ),
        ("tests/unit/checks/test_meter.py", _GUARANTEES),
    ),
    Change(
        "4-blindspot-min-rated",
        "the blindspot's minimum of rated articles 3 becomes 1",
        (Edit("agent/checks/meter.py", "BLINDSPOT_MIN_RATED = 3", "BLINDSPOT_MIN_RATED = 1"),),
        ("tests/unit/checks/test_meter.py", _GUARANTEES),
    ),
    Change(
        "5-cache-chmod",
        "an existing cache directory is no longer made private (chmod 0700 removed)",
        (
            Edit(
                "agent/llm/cache.py",
                "            os.chmod(self.directory, 0o700)\n",
                "",
            ),
        ),
        ("tests/unit/llm",),
    ),
    Change(
        "6-settle-safety-net",
        "the fact-check's final removal of what still fails is gone",
        (
            Edit(
                "agent/checks/claims.py",
                'leftovers = [t for t, r in checked if r.verdict != "supported" and t.section != "title"]',
                "leftovers: list[Target] = []",
            ),
        ),
        ("tests/unit/checks/test_claims.py", _GUARANTEES),
    ),
    Change(
        "7-party-named",
        'the rule "a party must be named in the evidence it cites" is gone',
        (
            Edit(
                "agent/checks/claims.py",
                "        if not any(names_party(target.party, s.text) for s in result.evidence):\n",
                "        if False:\n",
            ),
        ),
        (_GUARANTEES, "tests/unit/checks", "tests/unit/test_graph.py"),
    ),
    Change(
        "8-ingest-folding",
        "the ingestion identity of an article without URL no longer folds case and spacing",
        (
            Edit(
                "agent/intake/ingest.py",
                'folded = " ".join(f"{title}\\n{text}".lower().split())',
                'folded = f"{title}\\n{text}"',
            ),
        ),
        ("tests/unit/intake",),
    ),
)


def copy_tree(destination: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        relative = Path(raw.decode())
        source = ROOT / relative
        if not source.is_file():
            continue  # deleted in the working tree
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def apply(copy: Path, edits: tuple[Edit, ...]) -> None:
    for edit in edits:
        path = copy / edit.path
        text = path.read_text(encoding="utf-8")
        found = text.count(edit.old)
        if found != 1:
            raise SystemExit(
                f"{edit.path}: expected the text to change once, found it {found} times; "
                f"update this script to today's code: {edit.old!r}"
            )
        path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")


def run_tests(copy: Path, tests: tuple[str, ...]) -> tuple[bool, str]:
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    where = subprocess.run(
        [sys.executable, "-c", "import agent; print(agent.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not where.startswith(str(copy)):
        raise SystemExit(f"agent imported from {where}, not from the copy {copy}")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-x",
            "-m",
            "not model",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            *tests,
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith("FAILED")]
    summary = lines[-1] if lines else result.stderr.strip()[-200:]
    return result.returncode == 0, "; ".join([*failed[:2], summary])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="run only the change with this name")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies")
    args = parser.parse_args()
    chosen = [c for c in CHANGES if args.only in (None, c.name)]
    if not chosen:
        parser.error(f"no change named {args.only!r}; names: {', '.join(c.name for c in CHANGES)}")
    status = 0
    with tempfile.TemporaryDirectory(prefix="issue15-") as scratch:
        base = Path(scratch) / "baseline"
        copy_tree(base)
        targets = tuple(sorted({t for c in chosen for t in c.tests}))
        passed, summary = run_tests(base, targets)
        print(f"baseline   {'pass' if passed else 'FAIL'}  {summary}", flush=True)
        if not passed:
            return 1
        killed = 0
        for change in chosen:
            copy = Path(scratch) / change.name
            shutil.copytree(base, copy)
            apply(copy, change.edits)
            passed, summary = run_tests(copy, change.tests)
            verdict = "SURVIVED" if passed else "killed"
            killed += not passed
            status |= passed
            print(f"{change.name:24} {verdict:8} {change.what}\n{'':33}{summary}", flush=True)
            if not args.keep:
                shutil.rmtree(copy)
        print(f"{killed} of {len(chosen)} changes killed")
        if args.keep:
            kept = Path(tempfile.mkdtemp(prefix="issue15-kept-"))
            shutil.copytree(scratch, kept, dirs_exist_ok=True)
            print(f"copies kept in {kept}")
    return status


if __name__ == "__main__":
    sys.exit(main())
