"""Dataset loaders: each takes a path and returns EvalItems (a list with notes on what it skipped).

| name | loader | what an item is |
|---|---|---|
| examples | `load_examples(dir)` | one of the project's own clusters |
| allsides | `load_allsides(jsonl)` | a roundup: cluster + the editors' neutral summary |
| timeline17 | `load_timeline17(dir)` | a topic: sampled cluster + gold timeline |
| summedits | `load_summedits(json)` | a document, a summary, consistent or not |
| babe | `load_babe(csv)` | a sentence, biased or not |
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from evals.datasets.allsides import load_allsides
from evals.datasets.babe import load_babe
from evals.datasets.base import EvalItem, EvalItems, GoldDate
from evals.datasets.examples import load_examples
from evals.datasets.summedits import load_summedits
from evals.datasets.timeline17 import load_timeline17

LOADERS: dict[str, Callable[[str | Path], EvalItems]] = {
    "examples": load_examples,
    "allsides": load_allsides,
    "timeline17": load_timeline17,
    "summedits": load_summedits,
    "babe": load_babe,
}
"""Every dataset `storydesk eval run` knows, by name."""

STORY_DATASETS = frozenset({"examples", "allsides", "timeline17"})
"""Datasets whose items are clusters the agent drafts stories from."""

__all__ = [
    "LOADERS",
    "STORY_DATASETS",
    "EvalItem",
    "EvalItems",
    "GoldDate",
    "load_allsides",
    "load_babe",
    "load_examples",
    "load_summedits",
    "load_timeline17",
]
