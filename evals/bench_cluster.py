"""Benchmark: ingest and cluster synthetic articles; report speed, memory and growth.

A synthetic stream looks like a news day at scale: events with their own names and words,
covered by several outlets over a day or two, on top of topic words and common words, with
some wire copy syndicated verbatim. Each size runs in a fresh process (so peak memory is that
size's own) against a fresh store, through the same code as `storydesk ingest` and
`storydesk cluster`.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.errors import InputError

_SYLLABLES = (
    "ka ri to na mo le su vi da pe ro mi sa lu ne ti ba go re fa hu zo ke ya wi ch sh th "
    "an el or is un ar en os al in"
).split()
_OUTLETS = [
    ("Reuters", "reuters.com"),
    ("Associated Press", "apnews.com"),
    ("BBC News", "bbc.com"),
    ("The Guardian", "theguardian.com"),
    ("CNN", "cnn.com"),
    ("New York Times", "nytimes.com"),
    ("Washington Post", "washingtonpost.com"),
    ("MSNBC", "msnbc.com"),
    ("HuffPost", "huffpost.com"),
    ("Fox News", "foxnews.com"),
    ("Breitbart", "breitbart.com"),
    ("New York Post", "nypost.com"),
    ("Wall Street Journal", "wsj.com"),
    ("Washington Examiner", "washingtonexaminer.com"),
    ("The Hill", "thehill.com"),
    ("NPR", "npr.org"),
    ("Mainichi", "mainichi.jp"),
    ("Jiji Press", "jen.jiji.com"),
    ("Kyodo News", "english.kyodonews.net"),
    ("Al Jazeera", "aljazeera.com"),
    ("Daily Sentinel", "dailysentinel.example"),
    ("Harbor Gazette", "harborgazette.example"),
    ("Plains Courier", "plainscourier.example"),
]


def _word(rng: random.Random, low: int = 2, high: int = 4) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(low, high)))


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add(_word(rng))
    return sorted(words)


def synthetic_stream(count: int, seed: int = 7) -> Iterator[tuple[dict[str, Any], str]]:
    """Yield (article, event id) pairs: `count` articles about about count/8 events."""
    rng = random.Random(seed)
    common = _vocabulary(rng, 6000)
    cumulative: list[float] = []
    total = 0.0
    for rank in range(len(common)):
        total += 1.0 / (rank + 1)
        cumulative.append(total)
    topics = [_vocabulary(rng, 250) for _ in range(40)]
    days = max(7.0, count / 1000.0)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    produced = 0
    event_number = 0
    while produced < count:
        event_number += 1
        event_id = f"e{event_number}"
        size = min(count - produced, max(1, int(rng.lognormvariate(1.6, 0.8))))
        topic = rng.choice(topics)
        names = [_word(rng, 2, 3).capitalize() for _ in range(4)]
        keywords = [_word(rng, 3, 4) for _ in range(14)]
        when = start + timedelta(days=rng.uniform(0, days))
        texts: list[str] = []
        for _ in range(size):
            produced += 1
            outlet, domain = rng.choice(_OUTLETS)
            published = when + timedelta(hours=min(60.0, rng.expovariate(1 / 10.0)))
            if texts and rng.random() < 0.08:
                # Syndicated wire copy: the same text with a word or two changed.
                words = rng.choice(texts).split(" ")
                for _ in range(2):
                    words[rng.randrange(len(words))] = rng.choice(common)
                text = " ".join(words)
            else:
                sentences: list[str] = []
                for _ in range(rng.randint(7, 12)):
                    picks = rng.choices(common, cum_weights=cumulative, k=rng.randint(9, 14))
                    picks += rng.sample(topic, 3) + rng.sample(keywords, 2)
                    picks.insert(rng.randrange(len(picks)), rng.choice(names))
                    rng.shuffle(picks)
                    sentence = " ".join(picks)
                    sentences.append(sentence[0].upper() + sentence[1:] + ".")
                text = " ".join(sentences)
                texts.append(text)
            title_words = rng.sample(names, 2) + rng.sample(keywords, 3) + rng.sample(topic, 2)
            rng.shuffle(title_words)
            title = " ".join(title_words).capitalize()
            yield (
                {
                    "id": f"syn{produced:07d}",
                    "outlet": outlet,
                    "title": title,
                    "url": f"https://{domain}/{event_id}/{produced}",
                    "published_at": published.isoformat(),
                    "text": text,
                },
                event_id,
            )


@dataclass
class BenchResult:
    """Figures of one benchmark size."""

    articles: int
    ingest_seconds: float
    cluster_seconds: float
    peak_rss_mib: float
    clusters: int
    ari: float
    cpu_seconds: float = 0.0
    """CPU time of the run (its process and its helper), to read figures on a busy machine."""
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds of the clustering run per phase."""
    helpers: int = 0
    """Helper processes the clustering run used."""
    load_average: float = 0.0
    """The machine's one-minute load average at the end of the run."""

    @property
    def total_seconds(self) -> float:
        return self.ingest_seconds + self.cluster_seconds

    @property
    def per_second(self) -> float:
        return self.articles / self.total_seconds if self.total_seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "ingest_seconds": round(self.ingest_seconds, 2),
            "cluster_seconds": round(self.cluster_seconds, 2),
            "total_seconds": round(self.total_seconds, 2),
            "articles_per_second": round(self.per_second, 1),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "peak_rss_mib": round(self.peak_rss_mib, 1),
            "clusters": self.clusters,
            "ari_vs_synthetic_events": round(self.ari, 4),
            "cluster_phases": self.phases,
            "helpers": self.helpers,
            "load_average": self.load_average,
        }


def _child(stream: str, labels: str, database_url: str, workers: int | None) -> dict[str, Any]:
    # Runs in a fresh interpreter: imports, ingest, cluster and scoring, nothing else.
    from sqlalchemy import select

    from agent.intake.pipeline import ClusterOptions, ingest, run_clustering
    from agent.store.db import make_engine, migrate
    from agent.store.store import ARTICLES, Store
    from evals.clustering import adjusted_rand_index

    engine = make_engine(database_url)
    migrate(engine)
    store = Store(engine)
    started = time.perf_counter()
    report = ingest(store, [stream])
    ingested = time.perf_counter()
    run = run_clustering(store, ClusterOptions(workers=workers))
    clustered = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = max(usage.ru_maxrss, helpers.ru_maxrss) / 1024.0
    with engine.connect() as connection:
        placed = dict(connection.execute(select(ARTICLES.c.id, ARTICLES.c.cluster_id)).all())
    truth = json.loads(Path(labels).read_text(encoding="utf-8"))
    ids = sorted(placed)
    store.close()
    return {
        "articles": report.stored,
        "ingest_seconds": ingested - started,
        "cluster_seconds": clustered - ingested,
        "peak_rss_mib": peak,
        "cpu_seconds": usage.ru_utime + usage.ru_stime + helpers.ru_utime + helpers.ru_stime,
        "clusters": len(set(placed.values())),
        "ari": adjusted_rand_index([truth[i] for i in ids], [placed[i] for i in ids]),
        "phases": {name: round(seconds, 2) for name, seconds in run.phases.items()},
        "helpers": run.helpers,
        "load_average": round(os.getloadavg()[0], 2),
    }


@contextmanager
def _fresh_database(database_url: str | None, directory: Path) -> Iterator[str]:
    # Every size starts from an empty store: a new SQLite file, or a new PostgreSQL schema.
    if database_url is None or not database_url.startswith(("postgresql://", "postgres://")):
        yield database_url or f"sqlite:///{directory / 'bench.sqlite'}"
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from agent.store.db import engine_url, make_engine

    schema = f"storydesk_bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(engine_url(database_url)).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_size(
    count: int, database_url: str | None = None, seed: int = 7, workers: int | None = None
) -> BenchResult:
    """Generate `count` articles, then ingest and cluster them in a fresh process and store."""
    with tempfile.TemporaryDirectory(prefix="storydesk-bench-") as directory:
        stream = Path(directory) / "stream.jsonl"
        labels: dict[str, str] = {}
        with stream.open("w", encoding="utf-8") as handle:
            for article, event in synthetic_stream(count, seed):
                labels[article["id"]] = event
                handle.write(json.dumps(article) + "\n")
        label_file = Path(directory) / "labels.json"
        label_file.write_text(json.dumps(labels), encoding="utf-8")
        del labels
        with _fresh_database(database_url, Path(directory)) as url:
            completed = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "evals.bench_cluster",
                    str(stream),
                    str(label_file),
                    url,
                    "" if workers is None else str(workers),
                ],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONHASHSEED": "0"},
                check=False,
            )
        if completed.returncode != 0:
            raise InputError(
                f"the benchmark run for {count} articles failed: "
                + (completed.stderr.strip().splitlines() or ["no output"])[-1]
            )
        figures = json.loads(completed.stdout.strip().splitlines()[-1])
    return BenchResult(**figures)


def growth(results: list[BenchResult]) -> str:
    """Describe how cost per article changes from the smallest size to the largest."""
    if len(results) < 2:
        return ""
    small, large = min(results, key=lambda r: r.articles), max(results, key=lambda r: r.articles)
    size_ratio = large.articles / small.articles
    time_ratio = large.total_seconds / small.total_seconds if small.total_seconds else float("inf")
    return (
        f"{large.articles:,} vs {small.articles:,} articles: {size_ratio:g}x the articles took "
        f"{time_ratio:.1f}x the time (linear = {size_ratio:g}x); time per article "
        f"{1e3 * small.total_seconds / small.articles:.2f} ms -> "
        f"{1e3 * large.total_seconds / large.articles:.2f} ms"
    )


if __name__ == "__main__":
    requested = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
    print(json.dumps(_child(sys.argv[1], sys.argv[2], sys.argv[3], requested)))
