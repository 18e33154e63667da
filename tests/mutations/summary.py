"""Count the mutation run's results per module, and list the survivors not yet reviewed.

    .venv/bin/python tests/mutations/summary.py [docs/mutation-report.md]

Reads mutmut's results in mutants/ (after `mutmut run ...`, see README "Development") and the
report, whose survivor table names each reviewed mutant in backticks in its first column. A
mutant is "killed" when a test failed on it (or it timed out), "survived" when every test
passed, "no tests" when no test reaches its line, "not run" when the run did not get to it.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

KILLED = {1, 3, -24, 24, 36, 152, 255}  # a failing test, or a timeout (as mutmut.stats maps them)
NO_TESTS = {5, 33}
SURVIVED = {0}


def status(code: int | None) -> str:
    if code is None:
        return "not run"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    if code in KILLED:
        return "killed"
    return f"exit {code}"


def main() -> int:
    report = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "mutation-report.md"
    reviewed = (
        set(re.findall(r"^\|\s*`([^`]+)`", report.read_text("utf-8"), re.M))
        if report.exists()
        else set()
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for meta in sorted((ROOT / "mutants").glob("agent/**/*.py.meta")):
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        module = str(meta.relative_to(ROOT / "mutants")).removesuffix(".meta")
        for name, code in codes.items():
            state = status(code)
            counts[module][state] += 1
            if state == "survived":
                survivors.append(name)
                counts[module]["reviewed"] += name in reviewed
    if not counts:
        print("no results in mutants/: run mutmut first (README, Development)")
        return 1
    columns = ["killed", "survived", "reviewed", "no tests", "not run"]
    print(f"{'module':28}" + "".join(f"{c:>10}" for c in columns))
    for module, count in counts.items():
        print(f"{module:28}" + "".join(f"{count[c]:>10}" for c in columns))
    missing = [s for s in survivors if s not in reviewed]
    print(
        f"\n{len(survivors)} survivors, {len(survivors) - len(missing)} reviewed in {report.name}"
    )
    for name in missing:
        print(f"  not reviewed: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
