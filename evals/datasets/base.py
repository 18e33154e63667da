"""The item every dataset loader yields, and helpers shared by the loaders."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import InputError
from agent.schemas import Cluster

log = logging.getLogger("evals.datasets")


@dataclass(frozen=True)
class GoldDate:
    """One dated entry of a reference timeline."""

    date: str
    """YYYY-MM-DD, YYYY-MM or YYYY as the reference gives it."""
    sentences: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalItem:
    """One thing to evaluate; which fields are set depends on the dataset."""

    id: str
    """Stable within its dataset; a resumed run skips ids it has already scored."""
    dataset: str
    cluster: Cluster | None = None
    """The articles to draft a story from (examples, allsides, timeline17)."""
    reference: str | None = None
    """A human reference summary (allsides: the AllSides editors' neutral roundup)."""
    gold_timeline: tuple[GoldDate, ...] = ()
    """The reference timeline (timeline17)."""
    document: str | None = None
    """The source document a summary is checked against (summedits)."""
    summary: str | None = None
    """The summary whose consistency is labelled (summedits)."""
    text: str | None = None
    """A sentence to classify (babe)."""
    label: int | None = None
    """summedits: 1 consistent, 0 not; babe: 1 biased, 0 non-biased."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Anything else worth keeping in the per-item record (topic, edit types, outlet…)."""


class EvalItems(list[EvalItem]):
    """A loader's items, with notes on what it skipped or sampled and why."""

    def __init__(self, items: list[EvalItem] | None = None, notes: list[str] | None = None):
        super().__init__(items or [])
        self.notes: list[str] = list(notes or [])

    def note(self, message: str) -> None:
        """Record (and log) something the loader skipped, sampled or assumed."""
        log.warning("%s", message)
        self.notes.append(message)


def require_file(path: str | Path, what: str) -> Path:
    """Return the path if it is a readable file, else raise InputError saying what was expected."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory; pass the {what} file itself")
    if not path.is_file():
        raise InputError(f"{path}: no such file; pass the path of the {what}")
    return path


def read_json(path: Path, what: str) -> Any:
    """Parse a JSON file, raising InputError with the position of a syntax error."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}: not valid JSON for a {what} (line {error.lineno}, column {error.colno}: "
            f"{error.msg})"
        ) from None
    except OSError as error:
        raise InputError(f"{path}: cannot read it ({error.strerror})") from None


def read_jsonl(path: Path, what: str) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed object) for each non-blank line of a JSONL file."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read it ({error.strerror})") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(
                    f"{path}:{number}: not valid JSON for a {what} ({error.msg}, column "
                    f"{error.colno})"
                ) from None
