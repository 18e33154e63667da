"""Opt-in: the embedded model, in-process (SmolLM2-135M via llama.cpp; a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli import main
from agent.schemas import parse_cluster
from agent.settings import Settings
from tests.conftest import NOW, example

pytestmark = pytest.mark.model


def test_check_command_calls_the_model_then_the_cache(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    first, second = out.strip().splitlines()[-2:]
    assert first.startswith("model call: local/SmolLM2-135M-Instruct") and "cached" not in first
    assert " 0 prompt + 0 completion tokens" not in first
    assert (
        second.startswith("repeat: served from the cache")
        and "0 prompt + 0 completion tokens" in second
    )


def test_draft_with_the_embedded_model(data_dir: Path) -> None:
    from agent import StoryAgent

    cluster = parse_cluster(example("koizumi-hegseth"))
    agent = StoryAgent(Settings(data_dir=data_dir, cache=False), now=NOW)
    story = agent.draft(cluster)
    ids = {a.id for a in cluster.articles}
    texts = {a.id: a.text for a in cluster.articles}
    assert story.provenance.backend == "local" and story.provenance.tokens.completion > 0
    assert len(story.summary) >= 3 and story.timeline
    for item in [*story.summary, *story.timeline, *story.who_benefited, *story.who_impacted]:
        assert set(item.citations) <= ids
    for claim in story.fact_check.claims:
        assert claim.verdict == "supported"
        assert all(e.quote in texts[e.article_id] for e in claim.evidence)
