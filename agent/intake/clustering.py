"""Incremental clustering: each new article joins the closest live cluster or starts one.

Articles arrive in publication order. A cluster is live while its articles are within
`window` of the article being placed; only live clusters that share one of the article's
strongest terms are compared (an inverted index from term to cluster), so the cost per article
depends on how many stories run at the same time, not on how many the store holds.

Similarity is average linkage: the mean cosine between the article's TF-IDF vector and the
cluster's members (the dot product with the sum of their vectors, divided by their number), so
a cluster's identity follows what most of its articles say. Average linkage resists chaining
where the cosine with the normalised centroid does not: a cluster that has absorbed two stories
has a broad, short centroid that matches yet more articles of their topic, while its mean
similarity to them falls. Cross-validated over the two halves of the AllSides dev stories
(`storydesk cluster eval`, evals/clustering.py), it raised the mean ARI over 1x-4x density
from 0.898 to 0.918, and at 3x from 0.893 to 0.910 (both without the old name boost).

Not the screen's one-event check (agent/nodes/screen.event_groups), on purpose: that asks
whether one given cluster holds one event, without a store; this places a stream of articles
into stories against the store's document frequencies. See event_groups' docstring.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter, mul

from agent.intake.features import Vector

DEFAULT_THRESHOLD = 0.09
"""Minimum mean cosine between an article and a cluster's members for the article to join.

Chosen on the tuning half of the AllSides dev stories only (`storydesk cluster eval`); the
other half is reported as held out."""
DEFAULT_WINDOW_HOURS = 72.0
"""How far apart in time two articles about one event may be published."""
DEFAULT_HALF_LIFE_HOURS = 24.0
"""Similarity halves for each this many hours between an article and a cluster's time span."""
CANDIDATE_TERMS = 12
"""An article looks up clusters through this many of its strongest terms."""
CENTROID_TERMS = 80
"""Terms a centroid keeps when saved (the strongest)."""
EMBEDDING_WEIGHT = 0.5
"""With sentence embeddings, similarity = (1 - w) * TF-IDF mean cosine + w * embedding mean
cosine."""
EMBEDDING_THRESHOLD = 0.35
"""Default threshold with embeddings (embedding cosines of unrelated news run 0.1-0.3)."""


def slug(text: str, words: int = 4) -> str:
    """Return a short lower-case slug of a title for ids ("koizumi-hegseth-meet")."""
    parts = [part for part in re.split(r"[^a-z0-9]+", text.lower()) if part]
    return "-".join(parts[:words])[:48].strip("-") or "story"


def new_cluster_id(first_article_id: str, title: str, day: str) -> str:
    """Return a readable, deterministic id for a cluster started by an article."""
    digest = hashlib.sha1(first_article_id.encode("utf-8")).hexdigest()[:6]
    return f"c-{day}-{slug(title)}-{digest}"


@dataclass
class LiveCluster:
    """A cluster in memory during a run."""

    id: str
    centroid: dict[str, float]
    first_at: float
    last_at: float
    size: int
    title: str
    title_score: float = 0.0
    mean_at: float = 0.0
    """Mean publication time of the members (epoch seconds)."""
    indexed: set[str] = field(default_factory=set)
    members: list[str] = field(default_factory=list)
    """Articles placed in this run."""
    changed: bool = False
    dense: list[float] | None = None
    """Sum of the members' sentence embeddings (None when clustered without embeddings)."""

    def similarity(self, vector: Vector, embedding_weight: float = EMBEDDING_WEIGHT) -> float:
        """Return the mean cosine between a (normalised) vector and the members.

        The centroid is the sum of the members' unit vectors, so the mean is one dot product.
        When both carry sentence embeddings, their mean cosine is blended in.
        """
        if self.size <= 0:
            return 0.0
        score = vector.dot(self.centroid) / self.size
        if vector.dense is not None and self.dense is not None:
            dense = sum(map(mul, vector.dense, self.dense)) / self.size
            score = (1.0 - embedding_weight) * score + embedding_weight * dense
        return score

    def add(self, vector: Vector, at: float) -> None:
        """Add a member's vector to the centroid and its time to the mean time."""
        self.mean_at = (
            at if self.size == 0 else self.mean_at + (at - self.mean_at) / (self.size + 1)
        )
        centroid = self.centroid
        get = centroid.get
        for term, weight in vector.weights.items():
            centroid[term] = get(term, 0.0) + weight
        if vector.dense is not None:
            if self.size == 0:
                self.dense = list(vector.dense)
            elif self.dense is not None and len(self.dense) == len(vector.dense):
                self.dense = [a + b for a, b in zip(self.dense, vector.dense, strict=True)]
        self.size += 1

    def strongest(self, limit: int = CENTROID_TERMS) -> dict[str, float]:
        """Return the centroid's strongest terms, strongest first."""
        items = sorted(self.centroid.items(), key=itemgetter(1), reverse=True)
        return dict(items[:limit])


def top_terms(vector: Vector, limit: int) -> list[str]:
    """Return the vector's strongest terms."""
    weights = vector.weights
    if len(weights) <= limit:
        return list(weights)
    return sorted(weights, key=weights.__getitem__, reverse=True)[:limit]


class Clusterer:
    """Place articles one by one into live clusters."""

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        window_hours: float = DEFAULT_WINDOW_HOURS,
        candidate_terms: int = CANDIDATE_TERMS,
        half_life_hours: float = DEFAULT_HALF_LIFE_HOURS,
        embedding_weight: float = EMBEDDING_WEIGHT,
        on_retire: Callable[[LiveCluster], None] | None = None,
    ) -> None:
        self.threshold = threshold
        self.window = window_hours * 3600.0
        self.half_life = half_life_hours * 3600.0
        self.embedding_weight = embedding_weight
        self.candidate_terms = candidate_terms
        self.on_retire = on_retire
        self.live: dict[str, LiveCluster] = {}
        self.changed: dict[str, LiveCluster] = {}
        """Clusters that gained articles since `take_changed` was last called."""
        self._postings: dict[str, list[str]] = {}
        self._singletons: dict[str, tuple[str, Vector, float, str]] = {}
        self._clock = -math.inf
        self._since_sweep = 0

    def load(self, clusters: Iterable[LiveCluster]) -> None:
        """Make existing clusters live (e.g. those near the new articles' dates)."""
        for cluster in clusters:
            self.live[cluster.id] = cluster
            self._index(cluster, top_terms(Vector(cluster.centroid), self.candidate_terms * 2))

    def _index(self, cluster: LiveCluster, terms: Iterable[str]) -> None:
        for term in terms:
            if term not in cluster.indexed:
                cluster.indexed.add(term)
                self._postings.setdefault(term, []).append(cluster.id)

    def _in_window(self, cluster: LiveCluster, at: float) -> bool:
        return cluster.first_at - self.window <= at <= cluster.last_at + self.window

    def best(
        self, vector: Vector, at: float, terms: list[str] | None = None
    ) -> tuple[LiveCluster | None, float]:
        """Return the live cluster closest to a vector and its similarity."""
        best: LiveCluster | None = None
        best_score = 0.0
        seen: set[str] = set()
        live = self.live
        if terms is None:
            terms = top_terms(vector, self.candidate_terms)
        for term in terms:
            for cluster_id in self._postings.get(term, ()):
                if cluster_id in seen:
                    continue
                seen.add(cluster_id)
                cluster = live.get(cluster_id)
                if cluster is None or not self._in_window(cluster, at):
                    continue
                score = cluster.similarity(vector, self.embedding_weight)
                gap = abs(at - cluster.mean_at)
                if gap and self.half_life > 0:
                    score *= 0.5 ** (gap / self.half_life)
                if score > best_score:
                    best, best_score = cluster, score
        return best, best_score

    def place(
        self,
        article_id: str,
        vector: Vector,
        at: float,
        title: str,
        new_id: Callable[[], str],
    ) -> tuple[LiveCluster, float]:
        """Put an article into its cluster (a new one if none is close enough); return both."""
        if at > self._clock:
            self._clock = at
        terms = top_terms(vector, self.candidate_terms)
        cluster, score = self.best(vector, at, terms)
        if cluster is None or score < self.threshold:
            cluster = LiveCluster(
                id=new_id(), centroid={}, first_at=at, last_at=at, size=0, title=title
            )
            self.live[cluster.id] = cluster
            self._singletons[cluster.id] = (article_id, vector, at, title)
            score = 0.0
        else:
            self._singletons.pop(cluster.id, None)
        self._join(cluster, article_id, vector, at, terms)
        # The title is that of the member that matched the centroid best when it joined.
        if cluster.size > 1 and score > cluster.title_score:
            cluster.title, cluster.title_score = title, score
        self._since_sweep += 1
        if self._since_sweep >= 2000:
            self.sweep()
        return cluster, score

    def _join(
        self,
        cluster: LiveCluster,
        article_id: str,
        vector: Vector,
        at: float,
        terms: list[str] | None = None,
    ) -> None:
        cluster.add(vector, at)
        cluster.first_at = min(cluster.first_at, at)
        cluster.last_at = max(cluster.last_at, at)
        cluster.members.append(article_id)
        cluster.changed = True
        self.changed[cluster.id] = cluster
        self._index(
            cluster, terms if terms is not None else top_terms(vector, self.candidate_terms)
        )

    def settle(self) -> dict[str, str]:
        """Give each article that started a cluster of its own since the last call another look.

        One pass in publication order depends on order: the first article of a story may miss
        a cluster that only formed after it. Each such singleton moves into the best cluster
        it now reaches; return {article id: its new cluster id}.
        """
        moves: dict[str, str] = {}
        for cluster_id, (article_id, vector, at, _title) in list(self._singletons.items()):
            cluster = self.live.get(cluster_id)
            if cluster is None or cluster.size != 1:
                continue
            del self.live[cluster_id]
            best, score = self.best(vector, at)
            if best is not None and score >= self.threshold:
                self._join(best, article_id, vector, at)
                self.changed.pop(cluster_id, None)
                moves[article_id] = best.id
            else:
                self.live[cluster_id] = cluster
        self._singletons.clear()
        return moves

    def take_changed(self) -> list[LiveCluster]:
        """Return the clusters changed since the last call, and forget them."""
        changed = list(self.changed.values())
        self.changed.clear()
        return changed

    def sweep(self) -> None:
        """Retire clusters that no new article can reach any more and compact the index."""
        self._since_sweep = 0
        horizon = self._clock - 2 * self.window
        retired = [c for c in self.live.values() if c.last_at < horizon]
        for cluster in retired:
            del self.live[cluster.id]
            if self.on_retire is not None:
                self.on_retire(cluster)
        if retired:
            live = self.live
            for term in list(self._postings):
                kept = [cid for cid in self._postings[term] if cid in live]
                if kept:
                    self._postings[term] = kept
                else:
                    del self._postings[term]
