"""Score clustering on a labelled stream: adjusted Rand index and purity.

The stream is built from AllSides headline roundups: every article of every story, shuffled,
published at the story's date. It is ingested into a fresh store and clustered exactly as
`storydesk ingest` and `storydesk cluster` would, and the clusters are compared with the
roundups' stories.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from math import comb
from pathlib import Path
from typing import Any

from sqlalchemy import select

from agent.errors import InputError
from agent.intake.pipeline import ClusterOptions, ingest, run_clustering
from agent.store.db import make_engine, migrate
from agent.store.store import ARTICLES, Store

DEFAULT_STREAM = Path("/work/shared/evaldata/allsides/roundups_dev.jsonl")


def adjusted_rand_index(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Return the adjusted Rand index of two labelings (1 = identical, ~0 = chance)."""
    if len(truth) != len(predicted):
        raise ValueError("the labelings have different lengths")
    n = len(truth)
    if n < 2:
        return 1.0
    pairs = sum(comb(count, 2) for count in Counter(zip(truth, predicted, strict=True)).values())
    true_pairs = sum(comb(count, 2) for count in Counter(truth).values())
    predicted_pairs = sum(comb(count, 2) for count in Counter(predicted).values())
    expected = true_pairs * predicted_pairs / comb(n, 2)
    maximum = (true_pairs + predicted_pairs) / 2
    if maximum == expected:
        return 1.0
    return (pairs - expected) / (maximum - expected)


def purity(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Return the share of items whose cluster's majority story is their own story."""
    if not truth:
        return 1.0
    best: dict[Hashable, int] = {}
    for (cluster, _), count in Counter(zip(predicted, truth, strict=True)).items():
        best[cluster] = max(best.get(cluster, 0), count)
    return sum(best.values()) / len(truth)


def build_stream(path: Path, seed: int = 0) -> list[dict[str, Any]]:
    """Return every roundup article as a cluster-format article, shuffled, with its story id."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; pass the AllSides roundups JSONL") from None
    articles: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            story = json.loads(line)
            date = story["date"]
            items = story["articles"]
            story_id = str(story["id"])
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise InputError(
                f"{path}: line {number}: not a roundup ({error}); expected "
                "{id, date, articles: [{outlet, title, url, text_excerpt}]}"
            ) from None
        for item in items:
            articles.append(
                {
                    "story": story_id,
                    "outlet": item.get("outlet"),
                    "title": item.get("title"),
                    "url": item.get("url"),
                    "published_at": date,
                    "text": item.get("text_excerpt") or item.get("title"),
                }
            )
    random.Random(seed).shuffle(articles)
    for index, article in enumerate(articles, start=1):
        # Ids in shuffled order, so nothing about an id hints at its story.
        article["id"] = f"as{index:05d}"
    return articles


@dataclass
class EvalResult:
    """Clustering quality on a labelled stream."""

    articles: int
    stories: int
    clusters: int
    ari: float
    purity: float
    seconds: float
    skipped: int

    def as_json(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "stories": self.stories,
            "clusters": self.clusters,
            "ari": round(self.ari, 4),
            "purity": round(self.purity, 4),
            "seconds": round(self.seconds, 2),
            "skipped": self.skipped,
        }


def evaluate(
    path: Path = DEFAULT_STREAM,
    options: ClusterOptions | None = None,
    seed: int = 0,
    database_url: str | None = None,
) -> EvalResult:
    """Ingest the stream into a fresh store, cluster it, and score the clusters."""
    articles = build_stream(path, seed)
    truth_of = {article["id"]: article["story"] for article in articles}
    with tempfile.TemporaryDirectory(prefix="storydesk-eval-") as directory:
        stream = Path(directory) / "stream.jsonl"
        with stream.open("w", encoding="utf-8") as handle:
            for article in articles:
                record = {key: value for key, value in article.items() if key != "story"}
                handle.write(json.dumps(record) + "\n")
        engine = make_engine(database_url or f"sqlite:///{Path(directory) / 'eval.sqlite'}")
        migrate(engine)
        store = Store(engine)
        try:
            started = time.perf_counter()
            report = ingest(store, [str(stream)])
            run_clustering(store, options)
            seconds = time.perf_counter() - started
            with engine.connect() as connection:
                placed = dict(
                    connection.execute(select(ARTICLES.c.id, ARTICLES.c.cluster_id)).all()
                )
        finally:
            store.close()
    ids = [article_id for article_id in truth_of if article_id in placed]
    truth = [truth_of[article_id] for article_id in ids]
    predicted = [placed[article_id] for article_id in ids]
    return EvalResult(
        articles=len(ids),
        stories=len(set(truth)),
        clusters=len(set(predicted)),
        ari=adjusted_rand_index(truth, predicted),
        purity=purity(truth, predicted),
        seconds=seconds,
        skipped=len(report.problems) + report.already,
    )
