"""Score the timeline's dates without a model on Timeline17, by topic.

    python -m evals.timeline_rules [--data DIR]

The timeline node's dates are found by rule (agent/checks/dates.py, the node's
`date_candidates`) and chosen by rule (`rule_events`); the model only phrases the events
of the chosen dates, so the dates scored here are the node's with any model. This runs that
choice (the best-supported candidates, merged as the node merges them)
on each topic's sampled cluster and prints date precision, recall and F1 beside the
publication-date baseline at the same k (evals/metrics/timeline.py), which counts the
publication dates of all the topic's articles, and beside the same baseline over the sampled
articles only (`sampled_baseline_f1`: what the drafter itself is shown). Rules were tuned on the
topics in TUNED only; the others are held out and reported apart.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from agent.checks.drafts import DraftEvent
from agent.checks.evidence import Evidence
from agent.nodes.screen import DEFAULT_EVIDENCE_TOKENS, build_evidence
from agent.nodes.timeline import MAX_EVENTS, date_candidates, merge_events, rule_events
from agent.settings import Settings
from evals.datasets.timeline17 import DEFAULT_MAX_ARTICLES, load_timeline17
from evals.metrics.timeline import most_frequent_dates, prf

TUNED = ("h1n1",)
"""The topics the date rules were tuned on; every other topic is held out."""


def rule_timeline(evidence: Evidence) -> list[DraftEvent]:
    """The timeline node's events in the sources' words: best-supported dates first."""
    return merge_events(rule_events(date_candidates(evidence)))


KEYS = (
    "date_precision",
    "date_recall",
    "date_f1",
    "baseline_date_f1",
    "sampled_baseline_f1",
    "dates_predicted",
    "oracle_date_f1",
    "oracle_baseline_f1",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.timeline_rules", description=__doc__)
    parser.add_argument("--data", help="the timeline17 folder (default: the evaldata copy)")
    parser.add_argument(
        "--articles", type=int, default=DEFAULT_MAX_ARTICLES, help="articles sampled per topic"
    )
    args = parser.parse_args(argv)
    path = args.data or Settings().evaldata("timeline17", "Timeline17")
    rows: list[tuple[str, dict[str, Any]]] = []
    for item in load_timeline17(path, max_articles=args.articles):
        assert item.cluster is not None
        evidence = build_evidence(item.cluster, DEFAULT_EVIDENCE_TOKENS, one_event=False)
        predicted = {e["date"] for e in rule_timeline(evidence)}
        gold = [g.date for g in item.gold_timeline if len(g.date) == 10]
        scores: dict[str, Any] = dict(prf(predicted, gold))
        scores["baseline_date_f1"] = prf(
            most_frequent_dates(item.meta["pub_dates"], len(predicted)), gold
        )["date_f1"]
        # The same baseline given only what the drafter sees: the sampled articles' dates.
        sampled = [a.published_at.date().isoformat() for a in item.cluster.articles]
        scores["sampled_baseline_f1"] = prf(most_frequent_dates(sampled, len(predicted)), gold)[
            "date_f1"
        ]
        # The best any choice among the candidates could do: exactly the candidate dates that
        # are gold (up to the node's budget), beside the baseline at that k.
        reachable = sorted({c["date"] for c in date_candidates(evidence)} & set(gold))
        reachable = reachable[:MAX_EVENTS]
        scores["oracle_date_f1"] = prf(reachable, gold)["date_f1"]
        scores["oracle_baseline_f1"] = prf(
            most_frequent_dates(item.meta["pub_dates"], len(reachable)), gold
        )["date_f1"]
        rows.append((item.id, scores))
    print("topic      part     " + " ".join(f"{k:>16}" for k in KEYS))
    for topic, scores in rows:
        label = "tuned" if topic in TUNED else "held-out"
        print(f"{topic:10} {label:8} " + " ".join(f"{scores[k]:16.3f}" for k in KEYS))
    for name, part in (
        ("all", rows),
        ("held-out", [r for r in rows if r[0] not in TUNED]),
        ("tuned", [r for r in rows if r[0] in TUNED]),
    ):
        if part:
            means = [statistics.mean(float(s[k]) for _, s in part) for k in KEYS]
            print(f"{name:10} {'mean':8} " + " ".join(f"{m:16.3f}" for m in means))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
