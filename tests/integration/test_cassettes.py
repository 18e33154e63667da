"""Real wire format, replayed: cassettes recorded from `python -m llama_cpp.server` on loopback
serving the embedded model. Replay is enforced: record mode none, bodies matched, every recorded
interaction played, and the socket layer refuses connections while a cassette plays.

To record again (after a change to prompts or to what the graph asks): `tests/cassettes/record.sh`
starts the server on 127.0.0.1:8765, records with STORYDESK_RECORD_CASSETTES=1, and replays.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import vcr
import yaml
from pydantic import BaseModel, Field

from agent import StoryAgent
from agent.llm.gateway import Gateway
from agent.prompts import load_prompt
from agent.schemas import parse_cluster
from agent.settings import Settings
from tests.helpers import NOW, example

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
RECORDING = os.environ.get("STORYDESK_RECORD_CASSETTES") == "1"
BASE_URL = "http://127.0.0.1:8765/v1"
SECRET_HEADERS = ("authorization", "api-key", "openai-organization", "openai-project", "cookie")
ACCOUNT_HEADERS = ("set-cookie", "openai-organization", "openai-project", "x-request-id", "cf-ray")

pytestmark = pytest.mark.real_client


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ACCOUNT_HEADERS:
            del headers[name]
    return response


@contextmanager
def cassette(name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    path = CASSETTES / f"{name}.yaml"
    if not RECORDING:
        if not path.exists():
            pytest.fail(f"cassette {path.name} is missing; record it (see this module's docstring)")

        def no_network(self: socket.socket, address: Any) -> None:
            raise AssertionError(f"a replayed test tried to connect to {address}")

        monkeypatch.setattr(socket.socket, "connect", no_network)
    recorder = vcr.VCR(
        record_mode="all" if RECORDING else "none",
        match_on=["method", "scheme", "host", "port", "path", "query", "body"],
        filter_headers=list(SECRET_HEADERS),
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )
    with recorder.use_cassette(str(path)) as played:
        yield played
    if not RECORDING:
        assert played.play_count > 0 and played.all_played


def _recorded_answers(name: str) -> list[Any]:
    """The JSON objects the recorded model returned, in order (read from the cassette file)."""
    data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))
    answers = []
    for interaction in data["interactions"]:
        body = json.loads(interaction["response"]["body"]["string"] or "null")
        if isinstance(body, dict) and body.get("choices"):
            answers.append(json.loads(body["choices"][0]["message"]["content"]))
    return answers


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        openai_base_url=BASE_URL,
        openai_api_key="sk-recorded-no-secret",
        model="SmolLM2-135M-Instruct",
        data_dir=tmp_path,
        cache=False,
        max_retries=0,
    )


class Headline(BaseModel):
    title: str = Field(min_length=3, max_length=80)
    sentiment: str = Field(pattern="^(positive|neutral|negative)$")


def _headline_prompt() -> Any:
    evidence = "[a1.s1] Japanese Defense Minister Shinjiro Koizumi met U.S. Defense Secretary Pete Hegseth at the Pentagon on Thursday."
    prefix = load_prompt("prefix").render(today="2026-01-17", evidence=evidence)
    task = load_prompt("classify").render(categories="International, Politics")
    from agent.prompts import RenderedPrompt

    return RenderedPrompt(
        task.id, task.version, task.template_sha256, prefix.messages + task.messages
    )


def test_gateway_call_replays_to_the_same_validated_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with cassette("gateway_headline", monkeypatch) as played:
        gateway = Gateway.from_settings(_settings(tmp_path))
        result = gateway.structured(_headline_prompt(), Headline, max_tokens=60)
    # The validated object is exactly what the recorded model answered, not just any Headline.
    answers = _recorded_answers("gateway_headline")
    assert answers and result.value == Headline.model_validate(answers[-1])
    assert result.usage.prompt_tokens > 100 and result.usage.completion_tokens > 0
    # llama.cpp's server takes json_object with a schema (it refuses json_schema): detected.
    assert gateway.backend.structured_mode() == "json_object"  # type: ignore[attr-defined]
    bodies = [r.body for r in played.requests if r.method == "POST"]
    assert b'"json_object"' in bodies[0] and b'"schema"' in bodies[0]
    for request in played.requests:
        assert "authorization" not in {k.lower() for k in request.headers}


def test_cassettes_hold_no_secrets() -> None:
    for path in CASSETTES.glob("*.yaml"):
        text = path.read_text(encoding="utf-8").lower()
        assert "sk-recorded-no-secret" not in text and "bearer" not in text, path.name
        assert "set-cookie" not in text and "openai-organization" not in text, path.name


def test_draft_replays_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = parse_cluster(example("koizumi-hegseth"))
    with cassette("draft_koizumi_hegseth", monkeypatch):
        agent = StoryAgent(_settings(tmp_path), now=NOW)
        story = agent.draft(cluster, thread_id="replay:1")
    ids = {a.id for a in cluster.articles}
    texts = {a.id: f"{a.title}\n{a.text}" for a in cluster.articles}
    assert (
        story.provenance.backend == "openai" and story.provenance.model == "SmolLM2-135M-Instruct"
    )
    assert story.provenance.tokens.prompt > 0
    assert story.summary and story.timeline
    for item in [*story.summary, *story.timeline, *story.who_benefited, *story.who_impacted]:
        assert set(item.citations) <= ids
    for claim in story.fact_check.claims:
        assert claim.verdict == "supported"  # what failed was replaced or removed, and flagged
        assert all(e.quote in texts[e.article_id] for e in claim.evidence)
    assert "2026-01-15" in {e.date for e in story.timeline}
    assert (story.bias.left, story.bias.center, story.bias.right) == (1, 3, 0)
