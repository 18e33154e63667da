"""Timeline17: dated source articles per topic with a gold timeline.

Each `t17_<topic>.json` is `{topic, articles: [{pub_date, text}], gold_timeline: [{date,
sentences}]}`; texts are PTB-tokenised ("-LRB-", "``", " n't"), so they are detokenised here.

A topic has hundreds of articles of ~500–2,000 words, far beyond what the embedded model can
read, so each topic's cluster is a deterministic sample: the articles sorted by publication date
(file order breaking ties), `max_articles` of them taken at evenly spaced positions (so busy days
are sampled more, as they are covered more), each cut to its first `max_words` words. The loader
notes the sampling. The publication dates of *all* the topic's articles are kept in
`meta["pub_dates"]` for the most-frequent-publication-dates baseline.

Articles have no outlet, title or time of day in this derivative: the outlet is
"Timeline17 source", the title the article's first sentence (cut to 120 characters), the time
12:00 UTC (midday, so no time-zone conversion moves the date) and the lean "unrated".
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.errors import InputError
from agent.schemas import Cluster, describe_validation_error
from evals.datasets.base import EvalItem, EvalItems, GoldDate, read_json

DATASET = "timeline17"
DEFAULT_MAX_ARTICLES = 8
DEFAULT_MAX_WORDS = 400

_BRACKETS = {
    "-LRB-": "(",
    "-RRB-": ")",
    "-LSB-": "[",
    "-RSB-": "]",
    "-LCB-": "{",
    "-RCB-": "}",
}
_DETOK_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\\/"), "/"),
    (re.compile(r"``\s*"), '"'),
    (re.compile(r"\s*''"), '"'),
    (re.compile(r"(^|\s)`\s*"), r"\1'"),
    (re.compile(r"\s+(n't|'s|'re|'ve|'ll|'d|'m|')(?=\s|$|[.,;:!?])", re.IGNORECASE), r"\1"),
    (re.compile(r"([(\[{$#])\s+"), r"\1"),
    (re.compile(r"\s+([)\]}.,;:!?%])"), r"\1"),
    (re.compile(r"[ \t]+"), " "),
]
_QUOTED = re.compile(r'"\s*([^"\n]*?)\s*"')


def detokenize(text: str) -> str:
    """Undo PTB tokenisation ("-LRB- Reuters -RRB-" -> "(Reuters)", "do n't" -> "don't")."""
    for token, char in _BRACKETS.items():
        text = text.replace(token, char)
    for pattern, replacement in _DETOK_RULES:
        text = pattern.sub(replacement, text)
    text = _QUOTED.sub(r'"\1"', text)
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def _sample_positions(n: int, k: int) -> list[int]:
    if k >= n:
        return list(range(n))
    if k == 1:
        return [n // 2]
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def _first_sentence(text: str, limit: int = 120) -> str:
    first = re.split(r"(?<=[.!?])\s|\n", text.strip(), maxsplit=1)[0].strip()
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _cut_words(text: str, max_words: int) -> str:
    words = 0
    for match in re.finditer(r"\S+", text):
        words += 1
        if words == max_words:
            return text[: match.end()].rstrip() + " …"
    return text


def _valid_date(value: Any, source: str) -> str:
    text = str(value).strip()
    try:
        date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{source}: {text!r} is not a YYYY-MM-DD date") from None
    return text


def topic_to_item(
    data: dict[str, Any],
    source: str,
    *,
    max_articles: int = DEFAULT_MAX_ARTICLES,
    max_words: int = DEFAULT_MAX_WORDS,
) -> tuple[EvalItem, str]:
    """Build the EvalItem of one topic and a note describing its sample."""
    if not isinstance(data, dict) or not isinstance(data.get("articles"), list):
        raise InputError(
            f"{source}: not a Timeline17 topic (expected 'topic', 'articles', 'gold_timeline')"
        )
    topic = str(data.get("topic") or Path(source).stem.removeprefix("t17_"))
    raw = [a for a in data["articles"] if isinstance(a, dict) and str(a.get("text", "")).strip()]
    if not raw:
        raise InputError(f"{source}: topic {topic!r} has no articles with text")
    dated = sorted(
        (
            (_valid_date(a.get("pub_date"), f"{source}: article {i + 1}"), i, a)
            for i, a in enumerate(raw)
        ),
        key=lambda entry: (entry[0], entry[1]),
    )
    picked = [dated[p] for p in _sample_positions(len(dated), max_articles)]
    articles = []
    for number, (pub_date, _, article) in enumerate(picked, start=1):
        text = detokenize(str(article["text"]))
        articles.append(
            {
                "id": f"a{number}",
                "outlet": "Timeline17 source",
                "title": _first_sentence(text) or f"{topic} article {number}",
                "url": None,
                "text": _cut_words(text, max_words),
                "published_at": datetime.fromisoformat(pub_date).replace(hour=12, tzinfo=UTC),
                "lean": "unrated",
            }
        )
    cluster_data = {"id": f"t17-{re.sub(r'[^A-Za-z0-9_.:-]', '-', topic)}", "articles": articles}
    try:
        cluster = Cluster.model_validate(cluster_data)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, cluster_data, source)) from None
    gold = tuple(
        GoldDate(
            date=str(entry.get("date", "")).strip(),
            sentences=tuple(detokenize(s) for s in entry.get("sentences") or []),
        )
        for entry in data.get("gold_timeline") or []
        if isinstance(entry, dict)
    )
    if not gold:
        raise InputError(f"{source}: topic {topic!r} has no gold timeline")
    item = EvalItem(
        id=topic,
        dataset=DATASET,
        cluster=cluster,
        gold_timeline=gold,
        meta={
            "topic": topic,
            "pub_dates": [entry[0] for entry in dated],
            "articles_total": len(dated),
            "articles_used": len(picked),
            "max_words": max_words,
        },
    )
    note = (
        f"timeline17 {topic}: drafted from {len(picked)} of {len(dated)} articles (evenly spaced "
        f"in publication order), each cut to {max_words} words"
    )
    return item, note


def load_timeline17(
    path: str | Path,
    *,
    max_articles: int = DEFAULT_MAX_ARTICLES,
    max_words: int = DEFAULT_MAX_WORDS,
) -> EvalItems:
    """Load Timeline17 topics from a directory of t17_*.json files (sorted) or one such file."""
    if max_articles < 1 or max_words < 1:
        raise InputError("timeline17: max articles and max words must be at least 1")
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("t17_*.json")) or sorted(path.glob("*.json"))
        if not files:
            raise InputError(f"{path}: no t17_*.json topic files in this directory")
    elif path.is_file():
        files = [path]
    else:
        raise InputError(f"{path}: no such file or directory; pass the timeline17 folder")
    items = EvalItems()
    for file in files:
        item, note = topic_to_item(
            read_json(file, "Timeline17 topic"),
            str(file),
            max_articles=max_articles,
            max_words=max_words,
        )
        if any(existing.id == item.id for existing in items):
            raise InputError(f"{file}: topic {item.id!r} appears twice; keep one file per topic")
        items.append(item)
        items.notes.append(note)
    return items
