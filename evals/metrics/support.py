"""Claim support and citation validity of a drafted story.

- `support_rate` = supported claims ÷ all checked claims (supported + unsupported + contradicted),
  as counted by the story's own fact-check. Over a run it is micro-averaged: all supported claims
  of all stories ÷ all their claims. `unsupported` and `contradicted` are claim counts
  (per story; summed over a run, and also given per story).
- `citation_validity` = passed checks ÷ checks, over two kinds of check:
  every article id cited anywhere in the story (summary, timeline, who benefited/impacted, the
  fact-check's evidence and conflicts) must exist in the cluster (`cited_ids_valid` is the share
  that do), and every evidence quote must occur verbatim in the cited article's title or text
  (`quotes_verbatim` is the share that do). "Verbatim" compares after collapsing runs of
  whitespace to one space, since sentence splitting joins lines; nothing else is normalised.
"""

from __future__ import annotations

import re
from typing import Any

from agent.schemas import Cluster, Evidence, Story

_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def claim_support(story: Story) -> dict[str, Any]:
    """Count the fact-check's verdicts and the support rate of one story."""
    check = story.fact_check
    claims = check.supported + check.unsupported + check.contradicted
    return {
        "claims": claims,
        "supported": check.supported,
        "unsupported": check.unsupported,
        "contradicted": check.contradicted,
        "support_rate": check.supported / claims if claims else None,
    }


def _cited_ids(story: Story) -> list[str]:
    return [*story.citations(), *(evidence.article_id for evidence in _evidence(story))]


def _evidence(story: Story) -> list[Evidence]:
    evidence = [e for claim in story.fact_check.claims for e in claim.evidence]
    evidence.extend(e for conflict in story.fact_check.conflicts for e in conflict.values)
    return evidence


def citation_validity(story: Story, cluster: Cluster) -> dict[str, Any]:
    """Check that cited ids exist in the cluster and evidence quotes occur in the cited article."""
    texts = {
        article.id: _squash(f"{article.title}\n{article.text}") for article in cluster.articles
    }
    ids = _cited_ids(story)
    bad_ids = sorted({i for i in ids if i not in texts})
    ids_ok = sum(1 for i in ids if i in texts)
    evidence = _evidence(story)
    bad_quotes = [
        {"article_id": e.article_id, "quote": e.quote}
        for e in evidence
        if e.article_id not in texts or _squash(e.quote) not in texts[e.article_id]
    ]
    quotes_ok = len(evidence) - len(bad_quotes)
    checks = len(ids) + len(evidence)
    return {
        "citations": len(ids),
        "quotes": len(evidence),
        "cited_ids_valid": ids_ok / len(ids) if ids else None,
        "quotes_verbatim": quotes_ok / len(evidence) if evidence else None,
        "citation_validity": (ids_ok + quotes_ok) / checks if checks else None,
        "unknown_ids": bad_ids,
        "quotes_not_found": bad_quotes[:5],
    }
