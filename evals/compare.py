"""Compare two runs metric by metric; a metric regresses when it moves the wrong way by more than
its tolerance (evals/metrics/registry.py, evals/METRICS.md), and then the comparison fails.

When both runs kept their items and finished different sets of ids (a different --limit, or one
run is incomplete), both are re-summarised over the ids they share, so the deltas compare like
with like; the output says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agent.errors import InputError
from evals.aggregate import aggregate
from evals.metrics.registry import METRICS, MetricSpec
from evals.report import load_run


@dataclass(frozen=True)
class Delta:
    """One metric in both runs."""

    name: str
    before: float | None
    after: float | None
    spec: MetricSpec
    status: str
    """ok, better, worse (within tolerance), REGRESSED, missing (REGRESSED), new, info."""

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def regressed(self) -> bool:
        return self.status.startswith("REGRESSED")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _read(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    path = Path(path)
    if path.is_file():
        try:
            return json.loads(path.read_text("utf-8")), None
        except json.JSONDecodeError as error:
            raise InputError(f"{path}: not valid JSON ({error.msg})") from None
    if not path.exists():
        raise InputError(f"{path}: no such run; pass a directory written by `storydesk eval run`")
    summary, rows = load_run(path)
    return summary, rows if rows else None


def parse_tolerances(values: list[str] | None) -> dict[str, float]:
    """Parse NAME=VALUE overrides of metric tolerances."""
    overrides: dict[str, float] = {}
    for text in values or []:
        name, sep, number = text.partition("=")
        if not sep or name not in METRICS:
            raise InputError(
                f"--tolerance {text!r}: expected NAME=VALUE with NAME a metric of evals/METRICS.md"
            )
        try:
            overrides[name] = float(number)
        except ValueError:
            raise InputError(f"--tolerance {text!r}: {number!r} is not a number") from None
    return overrides


def compare_summaries(
    before: dict[str, Any], after: dict[str, Any], tolerances: dict[str, float] | None = None
) -> list[Delta]:
    """Deltas of every registered metric present in either summary."""
    deltas = []
    for name, spec in METRICS.items():
        if name in (tolerances or {}):
            spec = replace(spec, tolerance=(tolerances or {})[name])
        a, b = _number(before.get(name)), _number(after.get(name))
        if a is None and b is None:
            continue
        if spec.direction == "info":
            status = "info"
        elif a is None:
            status = "new"
        elif b is None:
            status = "REGRESSED (missing)"
        elif spec.regressed(a, b):
            status = "REGRESSED"
        elif spec.improved(a, b):
            status = "better"
        elif (b < a) if spec.direction == "higher" else (b > a):
            status = "worse (within tolerance)"
        else:
            status = "ok"
        deltas.append(Delta(name, a, b, spec, status))
    return deltas


def compare_runs(
    a: str | Path, b: str | Path, tolerances: dict[str, float] | None = None
) -> tuple[list[Delta], list[str]]:
    """Compare run B against run A; return the deltas and notes on what was compared."""
    before, rows_a = _read(a)
    after, rows_b = _read(b)
    notes: list[str] = []
    da, db = before.get("dataset"), after.get("dataset")
    if da != db:
        raise InputError(f"{a} is a {da} run and {b} a {db} run; compare runs of one dataset")
    if rows_a is not None and rows_b is not None:
        ids_a = {str(r["id"]) for r in rows_a}
        ids_b = {str(r["id"]) for r in rows_b}
        if ids_a != ids_b:
            common = ids_a & ids_b
            if not common:
                raise InputError(f"{a} and {b} share no finished items; nothing to compare")
            notes.append(
                f"the runs finished different items ({len(ids_a)} vs {len(ids_b)}); both were "
                f"re-summarised over the {len(common)} they share"
            )
            before = {**before, **aggregate(str(da), [r for r in rows_a if str(r["id"]) in common])}
            after = {**after, **aggregate(str(db), [r for r in rows_b if str(r["id"]) in common])}
    elif before.get("items") != after.get("items"):
        notes.append(
            f"the runs scored {before.get('items')} and {after.get('items')} items and their "
            "items.jsonl is not at hand: the deltas may compare different items"
        )
    for label, summary in (("A", before), ("B", after)):
        if summary.get("complete") is False:
            notes.append(f"run {label} is incomplete ({summary.get('pending')} items pending)")
    run_a, run_b = before.get("run") or {}, after.get("run") or {}
    for key in ("backend", "model"):
        if run_a.get(key) != run_b.get(key):
            notes.append(f"{key}: {run_a.get(key)} -> {run_b.get(key)}")
    return compare_summaries(before, after, tolerances), notes


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.4g}"


def format_deltas(deltas: list[Delta], notes: list[str], a: str, b: str) -> str:
    """A plain-text table of the deltas, regressions first noted in a last line."""
    headers = ["metric", "A", "B", "delta", "better", "tolerance", "status"]
    rows = []
    for d in deltas:
        tolerance = (
            "–"
            if d.spec.direction == "info"
            else f"{d.spec.tolerance:.0%} rel"
            if d.spec.relative
            else f"{d.spec.tolerance:g}"
        )
        change = "–" if d.change is None else f"{d.change:+.4g}"
        rows.append(
            [
                d.name,
                _fmt(d.before),
                _fmt(d.after),
                change,
                {"higher": "higher", "lower": "lower"}.get(d.spec.direction, "info"),
                tolerance,
                d.status,
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    lines = [f"A = {a}", f"B = {b}"] + [f"note: {n}" for n in notes] + [""]
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    regressions = [d.name for d in deltas if d.regressed]
    lines.append("")
    lines.append(f"REGRESSED: {', '.join(regressions)}" if regressions else "no metric regressed")
    return "\n".join(lines)
