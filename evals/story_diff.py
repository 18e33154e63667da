"""Diff two drafted stories, ignoring what differs on every run (ids and times).

    python -m evals.story_diff OLD.json NEW.json
    python -m evals.story_diff OLD_DIR NEW_DIR      # every story file both folders hold

Prints one line per difference, `path: old -> new` (`+` for what only NEW has, `-` for what
only OLD has), then a count per top-level field. List items are aligned as a text diff aligns
lines (an item inserted early is one `+` line); items in the same place that differ are
compared field by field. Exits 0 when the stories are the same, 1 when they differ, 2 on bad
input.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections import Counter
from pathlib import Path

from pydantic import JsonValue

IGNORED = frozenset(
    {
        "id",
        "provenance.created_at",
        "provenance.seconds",
        "provenance.thread_id",
    }
)
"""Paths (list positions left out) that differ on every run of the same code."""


SAME_ITEM = 0.6
"""Two list items in the same place whose JSON is this alike (difflib ratio) are one item that
changed; less alike, one was removed and another added."""


def _shape(path: str) -> str:
    """A path without its list positions: summary[2].text -> summary.text."""
    parts = []
    for part in path.split("."):
        parts.append(part.split("[", 1)[0])
    return ".".join(p for p in parts if p)


def differences(old: JsonValue, new: JsonValue, path: str = "") -> list[tuple[str, str]]:
    """Every (path, what changed) between two JSON values, ignored paths left out."""
    if _shape(path) in IGNORED:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[tuple[str, str]] = []
        for key in list(old) + [k for k in new if k not in old]:
            here = f"{path}.{key}" if path else key
            if key not in new:
                if _shape(here) not in IGNORED:
                    found.append((here, f"- {_show(old[key])}"))
            elif key not in old:
                if _shape(here) not in IGNORED:
                    found.append((here, f"+ {_show(new[key])}"))
            else:
                found += differences(old[key], new[key], here)
        return found
    if isinstance(old, list) and isinstance(new, list):
        # Align the items as a text diff aligns lines: an item inserted or removed early shows
        # as one line, not as a change to every item after it. Paths carry NEW's positions
        # (OLD's for removed items).
        found = []
        keys = [[json.dumps(item, sort_keys=True) for item in side] for side in (old, new)]
        matcher = difflib.SequenceMatcher(a=keys[0], b=keys[1], autojunk=False)
        for op, a0, a1, b0, b1 in matcher.get_opcodes():
            if op == "equal":
                continue
            paired: set[int] = set()
            for offset in range(min(a1 - a0, b1 - b0) if op == "replace" else 0):
                a, b = a0 + offset, b0 + offset
                # Items in the same place that mostly agree are compared field by field.
                if difflib.SequenceMatcher(a=keys[0][a], b=keys[1][b]).ratio() >= SAME_ITEM:
                    found += differences(old[a], new[b], f"{path}[{b}]")
                    paired.add(offset)
            for index in range(a0, a1):
                if index - a0 not in paired:
                    found.append((f"{path}[{index}]", f"- {_show(old[index])}"))
            for index in range(b0, b1):
                if index - b0 not in paired:
                    found.append((f"{path}[{index}]", f"+ {_show(new[index])}"))
        return found
    if old != new:
        return [(path, f"{_show(old)} -> {_show(new)}")]
    return []


def _show(value: JsonValue, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _load(path: Path) -> JsonValue:
    try:
        value: JsonValue = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file; give two story JSON files or folders") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    return value


def report(old: Path, new: Path) -> list[str]:
    """The lines that describe how NEW differs from OLD."""
    found = differences(_load(old), _load(new))
    lines = [f"{path}: {change}" for path, change in found]
    per_field = Counter(path.split(".", 1)[0].split("[", 1)[0] for path, _ in found)
    summary = ", ".join(f"{field} {count}" for field, count in sorted(per_field.items()))
    lines.append(f"{len(found)} difference(s)" + (f": {summary}" if summary else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.story_diff", description=__doc__)
    parser.add_argument("old", type=Path, help="a story JSON file, or a folder of them")
    parser.add_argument("new", type=Path, help="the same story drafted by other code")
    args = parser.parse_args(argv)
    if args.old.is_dir() != args.new.is_dir():
        print("error: give two files or two folders", file=sys.stderr)
        return 2
    pairs = (
        [(args.old / p.name, p) for p in sorted(args.new.glob("*.json"))]
        if args.new.is_dir()
        else [(args.old, args.new)]
    )
    differ = False
    for old, new in pairs:
        if args.new.is_dir():
            if not old.exists():
                print(f"== {new.name}: only in {args.new}")
                differ = True
                continue
            print(f"== {new.name}")
        try:
            lines = report(old, new)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        differ = differ or not lines[-1].startswith("0 ")
        print("\n".join(lines))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
