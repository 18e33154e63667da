"""AllSides headline roundups: left, center and right articles with the editors' neutral summary.

Each JSONL line is `{id, issue, topic, date, allsides_link, reference_neutral_summary,
articles: [{allsides_side, stance_specific, outlet, title, url, text_excerpt}]}`. A roundup
becomes one Cluster: articles `a1`, `a2`, … in file order, text = the ~90-word excerpt AllSides
shows, published_at = the roundup's date (the excerpts carry none of their own), lean = the
outlet's AllSides rating. The reference is the neutral summary.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.errors import InputError
from agent.schemas import Cluster, Lean, describe_validation_error
from agent.store.sources import parse_lean
from evals.datasets.base import EvalItem, EvalItems, read_jsonl, require_file

DATASET = "allsides"


def map_lean(stance: str | None) -> Lean | None:
    """Map an AllSides rating ("lean left", …) to storydesk's Lean (None when unknown)."""
    if not stance:
        return None
    lean = parse_lean(stance)
    return None if lean == "unrated" else lean


def roundup_to_item(row: dict[str, Any], source: str = "roundup") -> EvalItem | None:
    """Build the EvalItem of one roundup, or None when it has no articles."""
    if not isinstance(row, dict) or "id" not in row:
        raise InputError(f"{source}: not an AllSides roundup (expected an object with an 'id')")
    raw_articles = row.get("articles") or []
    if not raw_articles:
        return None
    try:
        published = datetime.fromisoformat(str(row["date"]))
    except (KeyError, ValueError):
        raise InputError(
            f"{source}: roundup {row['id']}: 'date' must be an ISO 8601 date, got "
            f"{row.get('date')!r}"
        ) from None
    articles = []
    for number, raw in enumerate(raw_articles, start=1):
        lean = map_lean(raw.get("stance_specific")) or map_lean(raw.get("allsides_side"))
        articles.append(
            {
                "id": f"a{number}",
                "outlet": raw.get("outlet") or "",
                "title": raw.get("title") or "",
                "url": raw.get("url") or None,
                "text": raw.get("text_excerpt") or "",
                "published_at": published,
                "lean": lean,
            }
        )
    data = {"id": f"allsides-{row['id']}", "articles": articles, "title": row.get("issue") or None}
    try:
        cluster = Cluster.model_validate(data)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, data, source)) from None
    return EvalItem(
        id=str(row["id"]),
        dataset=DATASET,
        cluster=cluster,
        reference=row.get("reference_neutral_summary") or None,
        meta={
            "issue": row.get("issue"),
            "topic": row.get("topic"),
            "date": row.get("date"),
            "allsides_link": row.get("allsides_link"),
        },
    )


def load_allsides(path: str | Path) -> EvalItems:
    """Load AllSides roundups from a JSONL file; roundups with no articles are skipped, noted."""
    path = require_file(path, "AllSides roundups JSONL (e.g. evaldata/allsides/roundups_dev.jsonl)")
    items = EvalItems()
    for number, row in read_jsonl(path, "AllSides roundup"):
        item = roundup_to_item(row, f"{path}:{number}")
        if item is None:
            items.note(f"{path}:{number}: skipped roundup {row.get('id')}: it has no articles")
            continue
        if not item.reference:
            items.note(
                f"{path}:{number}: roundup {item.id} has no neutral summary; no ROUGE for it"
            )
        items.append(item)
    return items
