"""Helpers for the article-store tests: test events, articles, JSONL files, stories."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

EVENTS: dict[str, dict[str, Any]] = {
    "ferry": {
        "title": "Riverton ferry capsizes in the Calder estuary",
        "words": "Riverton ferry capsized Calder estuary passengers rescued coastguard "
        "Marisol captain storm lifeboats hospital divers",
    },
    "summit": {
        "title": "Koizumi and Hegseth agree on Okinawa drills",
        "words": "Koizumi Hegseth defense ministers Okinawa drills alliance Tokyo Pentagon "
        "missile deterrence talks agreement",
    },
    "budget": {
        "title": "Senate passes Harlow budget after all-night session",
        "words": "Senate Harlow budget vote appropriations deficit spending bill senators "
        "filibuster Treasury passed",
    },
}


def article(
    article_id: str,
    event: str,
    outlet: str = "Reuters",
    hours: float = 0.0,
    variant: int = 0,
    url: str | None = "auto",
    **extra: Any,
) -> dict[str, Any]:
    """Return a cluster-format article about one of the test events."""
    words = EVENTS[event]["words"].split()
    rotated = words[variant % len(words) :] + words[: variant % len(words)]
    text = (
        f"{' '.join(rotated[:6])} on Thursday. Officials said {' '.join(rotated[6:])} today. "
        f"The {rotated[0]} report by {outlet} described {' '.join(words[:4])} in detail."
    )
    record: dict[str, Any] = {
        "id": article_id,
        "outlet": outlet,
        "title": f"{EVENTS[event]['title']} ({variant})",
        "published_at": (T0 + timedelta(hours=hours)).isoformat(),
        "text": text,
    }
    if url == "auto":
        record["url"] = f"https://{outlet.lower().replace(' ', '')}.example/{article_id}"
    elif url is not None:
        record["url"] = url
    record.update(extra)
    return record


def write_jsonl(path: Path, records: list[Any]) -> Path:
    """Write records (dicts, or raw strings for broken lines) as JSONL."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record if isinstance(record, str) else json.dumps(record))
            handle.write("\n")
    return path


def make_story(
    story_id: str = "s-1",
    revision: int = 1,
    cluster_id: str = "c-1",
    title: str = "Ferry capsizes",
    status: str = "draft",
) -> Any:
    """Return a minimal valid Story."""
    from agent.schemas import Story

    return Story.model_validate(
        {
            "id": story_id,
            "cluster_id": cluster_id,
            "revision": revision,
            "title": title,
            "category": "General",
            "sentiment": "neutral",
            "summary": [{"text": "A ferry capsized.", "citations": ["a1"]}],
            "timeline": [],
            "who_benefited": [],
            "who_impacted": [],
            "bias": {
                "sources": 1,
                "articles": 1,
                "left": 0,
                "center": 1,
                "right": 0,
                "unrated": 0,
                "distribution": {"left": 0, "center": 100, "right": 0},
            },
            "coverage": {"center": [{"article_id": "a1", "outlet": "Reuters", "title": "Ferry"}]},
            "fact_check": {},
            "review": {"status": status},
            "provenance": {
                "backend": "fake",
                "model": "fake",
                "prompts": {},
                "article_ids": ["a1"],
                "created_at": "2026-01-17T12:00:00+00:00",
            },
        }
    )
