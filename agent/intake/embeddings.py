"""Optional sentence embeddings for clustering (`storydesk cluster --embeddings MODEL`).

The default clustering needs no model. With an embedding model, each article's title and lead
are also embedded, and similarity blends the embedding cosine with the TF-IDF cosine; the
inverted index on terms still picks the candidates, so the cost stays near-linear. Any
sentence-transformers model works (e.g. sentence-transformers/all-MiniLM-L6-v2); it is not a
dependency of storydesk and is downloaded by sentence-transformers on first use.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from agent.errors import ConfigError

Encoder = Callable[[Sequence[str]], Sequence[Sequence[float]]]
"""Embeds a batch of texts, one vector per text."""

LEAD_CHARACTERS = 1500
"""How much of an article's text is embedded (the lead carries the event)."""


def embedding_text(title: str, text: str) -> str:
    """Return what is embedded for an article: its title and the start of its text."""
    return f"{title}. {text[:LEAD_CHARACTERS]}"


def unit(vector: Sequence[float]) -> list[float]:
    """Return the vector scaled to length 1 (a zero vector stays zero)."""
    values = [float(value) for value in vector]
    norm = math.sqrt(sum(value * value for value in values)) or 1.0
    return [round(value / norm, 6) for value in values]


def load_encoder(model: str, batch_size: int = 64) -> Encoder:
    """Return an encoder backed by a sentence-transformers model."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ConfigError(
            f"--embeddings {model} needs sentence-transformers: pip install sentence-transformers "
            "(or cluster without --embeddings; the default needs no model)"
        ) from None
    try:
        loaded: Any = SentenceTransformer(model)
    except Exception as error:  # noqa: BLE001 - any load failure is a configuration problem
        raise ConfigError(
            f"cannot load the embedding model {model!r} ({str(error).strip()[:200]}); check the "
            "name, the network for the first download, or pass a local model directory"
        ) from None

    def encode(texts: Sequence[str]) -> Sequence[Sequence[float]]:
        vectors = loaded.encode(list(texts), batch_size=batch_size, show_progress_bar=False)
        return [list(map(float, vector)) for vector in vectors]

    return encode
