"""SummEdits: a document, a summary, and whether the summary is consistent with it.

The file is a JSON list of `{id, doc, summary, label, original_summary, edit_types, split}`
(the other-domains file adds `domain`; items without one are news);
label 1 = consistent, 0 = inconsistent. Scored by balanced accuracy of the fact-checker.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from agent.errors import InputError
from evals.datasets.base import EvalItem, EvalItems, read_json, require_file

DATASET = "summedits"


def _edit_types(value: Any) -> list[str]:
    # The upstream file stores the list either as JSON or as its Python repr ("['x']").
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value.strip():
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return [value]
        if isinstance(parsed, list | tuple):
            return [str(v) for v in parsed]
    return []


def load_summedits(path: str | Path) -> EvalItems:
    """Load SummEdits items (document, summary, label) from its JSON list."""
    path = require_file(path, "SummEdits JSON (e.g. evaldata/summedits/summedits_news_dev.json)")
    data = read_json(path, "SummEdits file")
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON list of SummEdits items")
    items = EvalItems()
    seen: set[str] = set()
    for number, row in enumerate(data, start=1):
        where = f"{path}: item #{number}"
        if not isinstance(row, dict):
            raise InputError(f"{where}: expected an object with doc, summary and label")
        missing = [key for key in ("id", "doc", "summary", "label") if key not in row]
        if missing:
            raise InputError(f"{where}: missing {', '.join(missing)}")
        try:
            label = int(row["label"])
        except (TypeError, ValueError):
            label = -1
        if label not in (0, 1):
            raise InputError(f"{where}: label must be 0 or 1, got {row['label']!r}")
        item_id = str(row["id"])
        if item_id in seen:
            items.note(f"{where}: skipped: id {item_id!r} repeats an earlier item")
            continue
        seen.add(item_id)
        items.append(
            EvalItem(
                id=item_id,
                dataset=DATASET,
                document=str(row["doc"]),
                summary=str(row["summary"]),
                label=label,
                meta={
                    "edit_types": _edit_types(row.get("edit_types")),
                    "split": row.get("split"),
                    # The other-domains file names each item's domain (podcast, samsum, ...).
                    "domain": str(row.get("domain") or "news"),
                },
            )
        )
    return items
