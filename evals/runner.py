"""Run an evaluation: load a dataset, score each item, keep every finished item, summarise.

Layout of a run directory:
- `run.json`: what ran (dataset and path, limit, options, git commit, backend, model, prompt
  versions, started/finished times);
- `items.jsonl`: one row per finished item, appended and flushed (and fsynced) as soon as the
  item is done, so a crash loses at most the item in flight; a rerun into the same directory
  skips the ids it finds there (`retry_errors` re-does the ones that failed);
- `summary.json`: the metrics over the finished items, top-level keys named as in METRICS.md,
  plus `dataset`, `complete`, `pending`, `notes` and `run`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agent.errors import InputError, PromptError
from agent.prompts import load_prompt, prompts_dir
from evals.aggregate import aggregate
from evals.datasets import LOADERS, STORY_DATASETS, EvalItem, EvalItems
from evals.datasets.babe import load_babe
from evals.datasets.timeline17 import DEFAULT_MAX_ARTICLES, DEFAULT_MAX_WORDS, load_timeline17
from evals.metrics.loaded import NaiveBayes, accuracy, cross_validate
from evals.tasks import Checker, Drafter, babe_rows, factcheck_row, story_row, train_classifier

ITEMS_FILE = "items.jsonl"
RUN_FILE = "run.json"
SUMMARY_FILE = "summary.json"

_PROGRESS_KEY = {
    "examples": "support_rate",
    "allsides": "rouge1",
    "timeline17": "date_f1",
    "summedits": "factcheck_bacc",
}


@dataclass
class RunOptions:
    """What to evaluate and where to keep the results."""

    dataset: str
    path: Path
    out: Path
    limit: int | None = None
    babe_path: Path | None = None
    """BABE CSV to train the loaded-language classifier on; None skips those metrics."""
    fresh: bool = False
    """Discard what `out` holds instead of resuming."""
    retry_errors: bool = False
    """On resume, redo the items whose row records an error."""
    t17_articles: int = DEFAULT_MAX_ARTICLES
    t17_words: int = DEFAULT_MAX_WORDS
    progress: bool = True
    notes: list[str] = field(default_factory=list)
    """Notes from the caller for the summary (e.g. which fact-check mode ran)."""


@dataclass
class ModelInfo:
    """The model side of a run, as configured (stories' provenance refines it)."""

    backend: str | None = None
    model: str | None = None
    prompts: dict[str, str] = field(default_factory=dict)


def load_items(options: RunOptions) -> EvalItems:
    """Load the dataset's items, cut to the limit, with the loader's notes."""
    if options.dataset not in LOADERS:
        raise InputError(f"unknown dataset {options.dataset!r}; choose one of {', '.join(LOADERS)}")
    if options.limit is not None and options.limit < 1:
        raise InputError(f"--limit must be at least 1, got {options.limit}")
    if options.dataset == "timeline17":
        items = load_timeline17(
            options.path, max_articles=options.t17_articles, max_words=options.t17_words
        )
    else:
        items = LOADERS[options.dataset](options.path)
    if not items:
        raise InputError(f"{options.path}: the {options.dataset} dataset has no items to evaluate")
    if options.limit is not None and options.limit < len(items):
        limited = EvalItems(items[: options.limit], items.notes)
        limited.notes.append(f"limited to the first {options.limit} of {len(items)} items")
        return limited
    return items


def git_state() -> dict[str, Any]:
    """The commit of the checkout storydesk runs from (None outside a git checkout)."""
    for where in (Path(__file__).resolve().parent.parent, Path.cwd()):
        try:
            commit = subprocess.run(
                ["git", "-C", str(where), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
            status = subprocess.run(
                ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        return {"commit": commit, "dirty": bool(status.strip())}
    return {"commit": None, "dirty": None}


def prompt_versions() -> dict[str, str]:
    """`id -> version+sha256` of every prompt file, as stories' provenance records them."""
    try:
        directory = prompts_dir()
    except PromptError:
        return {}
    versions: dict[str, str] = {}
    for path in sorted(directory.glob("*.md")):
        if path.name.startswith("_"):
            continue
        try:
            prompt = load_prompt(path.stem)
        except PromptError:
            continue  # a broken prompt file fails loudly when the graph uses it, not here
        versions[prompt.id] = f"{prompt.version}+{prompt.sha256}"
    return versions


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    os.replace(tmp, path)


class ItemLog:
    """The append-only items.jsonl of a run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notes: list[str] = []

    def read(self) -> list[dict[str, Any]]:
        """Return the rows written so far, dropping a line a crash left half-written."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            # A crash mid-write leaves a partial last line; cut it so the next append starts clean.
            keep = data.rfind(b"\n") + 1
            with self.path.open("r+b") as handle:
                handle.truncate(keep)
            self.notes.append(f"{self.path.name}: dropped a half-written last row (a crash)")
            data = data[:keep]
        rows = []
        for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                self.notes.append(f"{self.path.name}:{number}: unreadable row skipped")
                continue
            if isinstance(row, dict) and "id" in row:
                rows.append(row)
        return rows

    def append(self, row: dict[str, Any]) -> None:
        """Append one row and make sure it is on disk before the next item starts."""
        line = json.dumps(row, ensure_ascii=False, default=str) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def _read_run(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a readable run record; pass --fresh to start over")
    return data


def _check_resume(previous: dict[str, Any], options: RunOptions, model: ModelInfo) -> None:
    out = options.out
    hint = "pass --fresh to start over there, or choose another --out"
    if previous.get("dataset") != options.dataset:
        raise InputError(
            f"{out} holds a {previous.get('dataset')} run, not {options.dataset}; {hint}"
        )
    if previous.get("dataset_path") != str(Path(options.path).resolve()):
        raise InputError(f"{out} holds a run over {previous.get('dataset_path')}; {hint}")
    configured = previous.get("configured") or {}
    for key in ("backend", "model"):
        before, now = configured.get(key), getattr(model, key)
        if before and now and before != now:
            raise InputError(f"{out} holds a run with {key} {before!r}, not {now!r}; {hint}")


def _provenance(rows: list[dict[str, Any]], model: ModelInfo) -> dict[str, Any]:
    backends = sorted({r["provenance"]["backend"] for r in rows if r.get("provenance")})
    models = sorted({r["provenance"]["model"] for r in rows if r.get("provenance")})
    prompts: dict[str, set[str]] = {}
    for row in rows:
        for pid, version in (row.get("provenance") or {}).get("prompts", {}).items():
            prompts.setdefault(pid, set()).add(version)
    merged: dict[str, Any] = {
        pid: sorted(v)[0] if len(v) == 1 else sorted(v) for pid, v in sorted(prompts.items())
    }
    return {
        "backend": (backends[0] if len(backends) == 1 else backends) if backends else model.backend,
        "model": (models[0] if len(models) == 1 else models) if models else model.model,
        "prompts": merged or model.prompts,
    }


@contextmanager
def _progress(options: RunOptions, total: int, done: int) -> Iterator[Any]:
    bar = tqdm(
        total=total,
        initial=done,
        desc=f"eval {options.dataset}",
        unit="item",
        disable=not options.progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        yield bar
    finally:
        bar.close()


def run_eval(
    options: RunOptions,
    *,
    make_drafter: Callable[[], Drafter] | None = None,
    make_checker: Callable[[datetime], Checker] | None = None,
    model: ModelInfo | None = None,
) -> dict[str, Any]:
    """Evaluate the dataset into options.out, resuming what is there; return the summary.

    The drafter or checker is only built when an item still needs it, so a finished run
    re-summarises without loading a model.
    """
    model = model or ModelInfo()
    items = load_items(options)
    notes = [*options.notes, *items.notes]
    out = options.out
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a directory; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    run_path, log = out / RUN_FILE, ItemLog(out / ITEMS_FILE)
    if options.fresh:
        for name in (RUN_FILE, ITEMS_FILE, SUMMARY_FILE):
            (out / name).unlink(missing_ok=True)
    previous = _read_run(run_path)
    if previous is None and log.path.exists():
        raise InputError(f"{out} has {ITEMS_FILE} but no {RUN_FILE}; pass --fresh to start over")
    if previous is not None:
        _check_resume(previous, options, model)
    rows = log.read()
    notes.extend(log.notes)
    wanted = {item.id for item in items}
    finished = {
        str(r["id"]) for r in rows if not (options.retry_errors and r.get("status") == "error")
    }
    pending = [item for item in items if item.id not in finished]

    meta: dict[str, Any] = dict(previous or {})
    meta.update(
        {
            "dataset": options.dataset,
            "dataset_path": str(Path(options.path).resolve()),
            "limit": options.limit,
            "options": {
                "babe_path": str(options.babe_path) if options.babe_path else None,
                "t17_articles": options.t17_articles if options.dataset == "timeline17" else None,
                "t17_words": options.t17_words if options.dataset == "timeline17" else None,
            },
            "python": platform.python_version(),
        }
    )
    git = git_state()
    if previous is not None and pending:
        meta.setdefault("git_sessions", [previous.get("git")]).append(git)
        if previous.get("git", {}).get("commit") != git["commit"]:
            notes.append(
                f"resumed at commit {git['commit']} after starting at "
                f"{previous.get('git', {}).get('commit')}: items were scored by different code"
            )
    meta.setdefault("git", git)
    meta.setdefault("started_at", _now())
    meta.setdefault("now", _now())
    # What the settings asked for decides whether a resume may continue; what the stories'
    # provenance reports is what the summary shows.
    meta.setdefault("configured", {"backend": model.backend, "model": model.model})
    meta["backend"] = meta.get("backend") or model.backend
    meta["model"] = meta.get("model") or model.model
    if previous is not None and pending:
        meta.setdefault("resumed_at", []).append(_now())
    if pending:
        meta.pop("finished_at", None)
    _write_json(run_path, meta)

    extra: dict[str, Any] = {}
    classifier = _classifier(options, notes, extra) if options.dataset in STORY_DATASETS else None
    try:
        if pending:
            score = _scorer(
                options,
                items,
                classifier,
                make_drafter,
                make_checker,
                datetime.fromisoformat(meta["now"]),
            )
            key = _PROGRESS_KEY.get(options.dataset)
            with _progress(options, len(items), len(items) - len(pending)) as bar:
                for item in pending:
                    row = score(item)
                    row["finished_at"] = _now()
                    log.append(row)
                    rows.append(row)
                    bar.update(1)
                    value = aggregate(options.dataset, rows, folds=False).get(key) if key else None
                    if isinstance(value, float):
                        bar.set_postfix({key: f"{value:.3f}"}, refresh=False)
    finally:
        selected = [r for r in rows if str(r["id"]) in wanted]
        if {str(r["id"]) for r in selected} >= wanted:
            meta.setdefault("finished_at", _now())
        summary = _summarise(options, selected, extra, notes, meta, model, len(wanted))
        _write_json(out / SUMMARY_FILE, summary)
        meta.update(summary["run"])
        _write_json(run_path, meta)
    return summary


def _classifier(options: RunOptions, notes: list[str], extra: dict[str, Any]) -> NaiveBayes | None:
    path = options.babe_path
    if path is None or not Path(path).is_file():
        notes.append(
            "loaded-language metrics skipped: no BABE file"
            + (f" at {path}" if path else "")
            + " (pass --babe PATH to evaldata/babe/babe_final_labels_SG1.csv)"
        )
        return None
    babe = load_babe(path)
    predictions = cross_validate([i.text or "" for i in babe], [int(i.label or 0) for i in babe])
    extra["loaded_classifier_accuracy"] = accuracy([int(i.label or 0) for i in babe], predictions)
    notes.append(
        f"loaded language: naive Bayes trained on {len(babe)} BABE sentences ({path}); "
        f"5-fold cross-validated accuracy {extra['loaded_classifier_accuracy']:.3f}"
    )
    return train_classifier(babe)


def _scorer(
    options: RunOptions,
    items: list[EvalItem],
    classifier: NaiveBayes | None,
    make_drafter: Callable[[], Drafter] | None,
    make_checker: Callable[[datetime], Checker] | None,
    now: datetime,
) -> Callable[[EvalItem], dict[str, Any]]:
    """The function that evaluates one item of this dataset (building the model side once)."""
    if options.dataset == "babe":
        # Cross-validation needs every sentence at once; rows are then handed out one by one.
        by_id = {row["id"]: row for row in babe_rows(items)}
        return lambda item: by_id[item.id]
    if options.dataset in STORY_DATASETS:
        if make_drafter is None:
            raise InputError(f"{options.dataset}: no story agent to draft with")
        drafter = make_drafter()
        return lambda item: story_row(item, drafter, classifier)
    if options.dataset == "summedits":
        if make_checker is None:
            raise InputError("summedits: no fact-checker to run")
        checker = make_checker(now)
        return lambda item: factcheck_row(item, checker)
    raise InputError(f"unknown dataset {options.dataset!r}")  # load_items has already refused it


def _summarise(
    options: RunOptions,
    rows: list[dict[str, Any]],
    extra: dict[str, Any],
    notes: list[str],
    meta: dict[str, Any],
    model: ModelInfo,
    total: int,
) -> dict[str, Any]:
    metrics = aggregate(options.dataset, rows)
    metrics.update(extra)
    provenance = _provenance(rows, model)
    finished = metrics.get("items", 0)
    run = {
        **{k: v for k, v in meta.items() if k not in ("backend", "model", "prompts")},
        **provenance,
    }
    return {
        "dataset": options.dataset,
        **metrics,
        "complete": finished >= total,
        "pending": total - finished,
        "notes": notes,
        "run": run,
    }
