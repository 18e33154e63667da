"""Side balance: whose articles the summary cites, against who covered the story.

For a story, each summary citation counts once for the side of the cited article (its lean in
the cluster: left and lean-left count left, lean-right and right count right; mixed, unrated or
unknown leans are left out; an article without a lean takes the side the story's coverage gave
it, which the source registry decided). `summary_share_{left,center,right}` = citations of that
side ÷ citations with a side. `cluster_share_{left,center,right}` = the cluster's articles of
that side ÷ its articles with a side. `side_balance_gap` = ½ Σ |summary share − cluster share|
(total variation distance, 0 = the summary draws on the sides exactly as the cluster covers
them, 1 = it cites only a side the cluster barely has; lower is better). Undefined (None) when
the summary cites no rated article or the cluster has none.
"""

from __future__ import annotations

from typing import Any

from agent.schemas import Cluster, Side, Story, side_of

SIDES: tuple[Side, ...] = ("left", "center", "right")


def article_sides(story: Story | None, cluster: Cluster) -> dict[str, Side | None]:
    """Map each article id to its side: its lean, else the story's coverage grouping."""
    covered: dict[str, Side] = {}
    if story is not None:
        for side in SIDES:
            for item in getattr(story.coverage, side):
                covered[item.article_id] = side
    return {
        article.id: side_of(article.lean) if article.lean else covered.get(article.id)
        for article in cluster.articles
    }


def _shares(counts: dict[Side, int]) -> dict[Side, float] | None:
    total = sum(counts.values())
    return {side: counts[side] / total for side in SIDES} if total else None


def side_balance(story: Story, cluster: Cluster) -> dict[str, Any]:
    """Compare the sides of the summary's citations with the sides of the cluster's articles."""
    sides = article_sides(story, cluster)
    cited: dict[Side, int] = dict.fromkeys(SIDES, 0)
    for sentence in story.summary:
        for article_id in sentence.citations:
            side = sides.get(article_id)
            if side is not None:
                cited[side] += 1
    present: dict[Side, int] = dict.fromkeys(SIDES, 0)
    for side in sides.values():
        if side is not None:
            present[side] += 1
    summary, covered = _shares(cited), _shares(present)
    result: dict[str, Any] = {}
    for side in SIDES:
        result[f"summary_share_{side}"] = summary[side] if summary else None
        result[f"cluster_share_{side}"] = covered[side] if covered else None
    result["side_balance_gap"] = (
        0.5 * sum(abs(summary[s] - covered[s]) for s in SIDES) if summary and covered else None
    )
    return result
