"""Score the deterministic drafting (no model) on the AllSides dev split, by story-level folds.

    python -m evals.extractive [--data PATH] [--folds 5]

Prints, for the whole split, for each fold held out, and their mean: ROUGE-1/2/L of the
extractive summary (rouge-score, stemmed) beside the baselines (first article, first two
sentences of every article), the share of summary sentences the fact-check rules accept, the
worst word overlap between two summary sentences, the summary's length, how often both party
sections are filled and each party is named in its sentence, category accuracy against the
topic mapping (evals/metrics/categories.py), how often the title is composed, and the
sentiment decided without a model (harm words, then VADER) against VADER's reading of the
editor's neutral summary (`sentiment_ref_agrees`, beside `reference_neutral`, the rate of
always answering "neutral"), with `positive_on_harm`: positive on harm-dominated evidence,
which must stay 0. Parties: `party_whole` (the party cuts no name of its sentence) and
`party_in_reference` (a word of the party is in the editor's summary). Folds are by
roundup id (a hash), so no story is in two folds. Nothing here reaches a model: it runs in
seconds and is what thresholds were chosen on (the training folds, never the held-out one).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
from collections.abc import Sequence
from typing import Any

from agent.checks.extractive import composed_headline, extract_parties, extractive_summary
from agent.checks.factcheck import Source, check_claim
from agent.checks.parties import names_party
from agent.checks.text import content_words, normalize, shared_words, split_sentences
from agent.errors import ClusterRefused
from agent.nodes.classify import (
    SENTIMENT_CLEAR,
    decide_sentiment,
    deterministic_category,
    sentiment_cues,
    vader_analyzer,
)
from agent.nodes.screen import DEFAULT_EVIDENCE_TOKENS, build_evidence
from agent.settings import Settings
from evals.datasets.allsides import load_allsides
from evals.datasets.base import EvalItem
from evals.metrics.categories import expected_category
from evals.metrics.rouge import rouge

HELD_OUT = (0, 1)
"""The folds never looked at while choosing thresholds (about 40% of the stories)."""


def fold_of(item_id: str, folds: int) -> int:
    """The fold of a story: a stable hash of its roundup id."""
    return int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % folds


def score_item(item: EvalItem) -> dict[str, Any]:
    """Draft the deterministic sections of one roundup and score them."""
    assert item.cluster is not None and item.reference
    row: dict[str, Any] = {
        "first_article": rouge(item.cluster.articles[0].text, item.reference)["rouge1"],
        "first_two": rouge(
            " ".join(" ".join(split_sentences(a.text)[:2]) for a in item.cluster.articles),
            item.reference,
        )["rouge1"],
    }
    try:
        evidence = build_evidence(item.cluster, DEFAULT_EVIDENCE_TOKENS)
    except ClusterRefused:
        row.update(rouge1=0.0, rouge2=0.0, rougeL=0.0, refused=1)
        return row
    lines = extractive_summary(evidence)
    text = " ".join(line.text for line in lines)
    row.update(rouge(text, item.reference))
    row["words"] = len(text.split())
    sources = {
        s.id: Source(a.id, s.id, s.text, a.published_at)
        for a in evidence.originals()
        for s in a.sentences
    }
    known = " ".join(f"{a.outlet} {a.title}" for a in evidence.articles)
    supported = [
        check_claim(line.text, [sources[s] for s in line.sentences], [], known_names=known).verdict
        == "supported"
        for line in lines
    ]
    row["support"] = sum(supported) / len(supported) if supported else 0.0
    row["max_overlap"] = max(
        (shared_words(a.text, b.text) for i, a in enumerate(lines) for b in lines[i + 1 :]),
        default=0.0,
    )
    row["overlap_ok"] = float(row["max_overlap"] <= 0.6)
    benefited, impacted = extract_parties(evidence)
    row["parties_filled"] = float(bool(benefited) and bool(impacted))
    row["benefited_filled"] = float(bool(benefited))
    row["impacted_filled"] = float(bool(impacted))
    parties = benefited + impacted
    row["party_named"] = (
        sum(names_party(p.party, sources[p.sentence].text) for p in parties) / len(parties)
        if parties
        else None
    )
    row["party_whole"] = (
        sum(whole_phrase(p.party, sources[p.sentence].text) for p in parties) / len(parties)
        if parties
        else None
    )
    reference = set(content_words(item.reference))
    row["party_in_reference"] = (
        sum(bool(set(content_words(p.party)) & reference) for p in parties) / len(parties)
        if parties
        else None
    )
    expected = expected_category(item.meta.get("topic"))
    row["category_ok"] = (
        float(deterministic_category(evidence)[0] == expected) if expected else None
    )
    row["title_composed"] = float(composed_headline(evidence) is not None)
    # Sentiment as the page decides it without a model (harm words, then the VADER lexicon),
    # against the same lexicon's reading of the editor's own neutral summary: a second,
    # human-written signal of the story's tone.
    sentiment, _ = decide_sentiment(evidence, None)
    reference_tone = _tone(
        statistics.mean(
            vader_analyzer().polarity_scores(s)["compound"] for s in split_sentences(item.reference)
        )
    )
    row["sentiment_ref_agrees"] = float(sentiment == reference_tone)
    row["reference_neutral"] = float(reference_tone == "neutral")  # the majority-class rate
    row["sentiment_negative"] = float(sentiment == "negative")
    negative, positive = sentiment_cues(evidence)
    harmful = negative >= 2 and negative > 2 * positive
    row["positive_on_harm"] = float(sentiment == "positive" and harmful)
    row["positive_on_disaster"] = (
        float(sentiment == "positive") if item.meta.get("topic") == "Disaster" else None
    )
    return row


def _tone(score: float) -> str:
    """The page's three sentiments from a mean VADER score, at the page's own threshold."""
    if score >= SENTIMENT_CLEAR:
        return "positive"
    if score <= -SENTIMENT_CLEAR:
        return "negative"
    return "neutral"


def whole_phrase(party: str, sentence: str) -> bool:
    """The party is a span of its sentence that cuts no name: no capitalised word of the same
    name just before or after it ("Defense Pete Hegseth" from "Defense Secretary Pete
    Hegseth" is cut; so is "Pete" from "Pete Hegseth")."""
    text = normalize(sentence)
    at = text.find(party)
    if at < 0:
        at = text.lower().find(party.lower())  # the party may be capitalised at its start
    if at < 0:
        return False
    before = text[:at].rstrip()
    after = text[at + len(party) :].lstrip()
    last_before = before.split()[-1] if before.split() else ""
    first_after = after.split()[0] if after.split() else ""
    joined_before = (
        bool(last_before)
        and last_before[0].isupper()
        and not before.endswith((".", ",", ";", ":", '"'))
        and at > 0
        and text[at - 1] == " "
    )
    joined_after = (
        bool(first_after)
        and first_after[0].isupper()
        and text[at + len(party) : at + len(party) + 1] == " "
    )
    return not (joined_before or joined_after)


def _mean(rows: Sequence[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.mean(values) if values else None


KEYS = (
    "rouge1",
    "rouge2",
    "rougeL",
    "first_article",
    "first_two",
    "support",
    "max_overlap",
    "overlap_ok",
    "words",
    "parties_filled",
    "benefited_filled",
    "impacted_filled",
    "party_named",
    "party_whole",
    "party_in_reference",
    "category_ok",
    "title_composed",
    "sentiment_ref_agrees",
    "reference_neutral",
    "sentiment_negative",
    "positive_on_harm",
    "positive_on_disaster",
)


def report(rows: list[tuple[str, dict[str, Any]]], folds: int) -> str:
    """The table: whole split, each held-out fold, and the mean over folds."""
    lines = ["part      n    " + " ".join(f"{k:>14}" for k in KEYS)]

    def line(name: str, part: list[dict[str, Any]]) -> str:
        cells = []
        for key in KEYS:
            value = _mean(part, key)
            cells.append(f"{value:14.3f}" if value is not None else f"{'-':>14}")
        return f"{name:8} {len(part):3}  " + " ".join(cells)

    everything = [r for _, r in rows]
    lines.append(line("all", everything))
    # Thresholds and weights were chosen on the training folds only; folds 0 and 1 are held out.
    lines.append(line("train", [r for i, r in rows if fold_of(i, folds) not in HELD_OUT]))
    lines.append(line("held-out", [r for i, r in rows if fold_of(i, folds) in HELD_OUT]))
    means: dict[str, list[float]] = {k: [] for k in KEYS}
    for fold in range(folds):
        part = [r for item_id, r in rows if fold_of(item_id, folds) == fold]
        lines.append(line(f"fold{fold}", part))
        for key in KEYS:
            value = _mean(part, key)
            if value is not None:
                means[key].append(value)
    lines.append(
        f"{'cv-mean':8} {'':3}  "
        + " ".join(f"{statistics.mean(v):14.3f}" if v else f"{'-':>14}" for v in means.values())
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.extractive", description=__doc__)
    parser.add_argument("--data", help="AllSides roundups JSONL (default: the evaldata copy)")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    path = args.data or Settings().evaldata("allsides/roundups_dev.jsonl", "AllSides roundups")
    items = [i for i in load_allsides(path) if i.reference and i.cluster is not None]
    rows = [(item.id, score_item(item)) for item in items]
    print(report(rows, args.folds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
