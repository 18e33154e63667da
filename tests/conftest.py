"""Shared fixtures, and the guard that keeps tests away from real models.

A test reaches a model only if it opts in:
- `@pytest.mark.model`: may load the embedded llama.cpp model in-process;
- `@pytest.mark.real_client`: may build a real openai client (for error paths against local
  stub servers, and for cassette replay, where vcrpy serves the recorded answers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.llm.fake import FakeModel
from agent.llm.gateway import Gateway
from agent.settings import Settings
from tests.isolation import pytest_pyfunc_call  # noqa: F401  (model tests run in a child)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_client: the test builds a real openai client")


@pytest.fixture(autouse=True)
def _no_model_unless_opted_in(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail any test that loads a model or builds a real client without opting in."""
    # Settings come from the test, never from a developer's environment or .env file.
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "STORYDESK_LLM",
        "STORYDESK_MODEL",
        "STORYDESK_MODEL_PATH",
        "STORYDESK_DATABASE_URL",
        "STORYDESK_QUEUE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    if request.node.get_closest_marker("model") is None:
        from agent.llm import backends

        def refuse_load(self: Any) -> Any:
            raise AssertionError(
                "this test tried to load the embedded model; mark it @pytest.mark.model to opt in"
            )

        monkeypatch.setattr(backends.LocalBackend, "_load", refuse_load)
    if request.node.get_closest_marker("real_client") is None:
        import openai

        def refuse_client(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(
                "this test built a real openai client; mark it @pytest.mark.real_client to opt in"
            )

        monkeypatch.setattr(openai, "OpenAI", refuse_client)
        monkeypatch.setattr(openai, "AsyncOpenAI", refuse_client)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("STORYDESK_DATA_DIR", str(path))
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, cache=False, max_revisions=1)


@pytest.fixture
def fake() -> FakeModel:
    return FakeModel()


@pytest.fixture
def gateway(fake: FakeModel) -> Gateway:
    return Gateway(fake, cache=None, output_attempts=3)
