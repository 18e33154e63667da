"""What an editor sees on the story page, scored per story (AllSides and the examples).

- `category_ok`: 1 when the story's category is the one its AllSides `topic` maps to
  (evals/metrics/categories.py), 0 otherwise; absent when the topic is unmapped.
  Run value `category_ok` = category accuracy.
- `parties_filled`: 1 when both "who benefited" and "who is impacted" name at least one party.
- `party_named`: share of the story's parties whose content words all occur in a quote of the
  evidence their claim was checked against (the party is named in its cited sentence).
- `max_sentence_overlap`: the largest share of the shorter sentence's content words that two
  summary sentences share (the story's limit is 0.6).
- `title_model` / `title_composed` / `title_source`: 1 for the path the headline took: a
  source's own headline (word for word), else composed from the shared facts when a flag says
  the model's was replaced, else the model's, accepted.
- `sentiment_model_agrees`: 1 when the model's sentiment stood (no flag says the evidence
  decided otherwise), 0 when the lexicon or the harm words overruled it.
"""

from __future__ import annotations

from typing import Any

from agent.checks.parties import names_party
from agent.checks.text import shared_words
from agent.schemas import Story
from evals.metrics.categories import expected_category


def page_scores(story: Story, topic: object = None) -> dict[str, Any]:
    """The page metrics of one story."""
    scores: dict[str, Any] = {}
    expected = expected_category(topic)
    if expected is not None:
        scores["category_ok"] = float(story.category == expected)
    scores["parties_filled"] = float(bool(story.who_benefited) and bool(story.who_impacted))
    named = []
    for section in ("who_benefited", "who_impacted"):
        for index, party in enumerate(getattr(story, section)):
            quotes = [
                e.quote
                for c in story.fact_check.claims
                if c.section == section and c.index == index
                for e in c.evidence
            ]
            named.append(float(any(names_party(party.party, q) for q in quotes)))
    if named:
        scores["party_named"] = sum(named) / len(named)
    texts = [s.text for s in story.summary]
    scores["max_sentence_overlap"] = max(
        (shared_words(a, b) for i, a in enumerate(texts) for b in texts[i + 1 :]), default=0.0
    )
    headlines = {
        c.title for side in ("left", "center", "right") for c in getattr(story.coverage, side)
    }
    replaced = any(
        f.section == "title" and f.kind in ("title", "fallback") for f in story.review.flags
    )
    source = story.title in headlines
    scores["title_source"] = float(source)
    scores["title_composed"] = float(replaced and not source)
    scores["title_model"] = float(not replaced and not source)
    overruled = any(f.kind == "sentiment" and "overruled" in f.message for f in story.review.flags)
    scores["sentiment_model_agrees"] = float(not overruled)
    return scores
