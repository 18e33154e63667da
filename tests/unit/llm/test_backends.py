"""Every failure a user can fix ends in one clear line naming the setting or file."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from pydantic import BaseModel

from agent.cli import main
from agent.errors import ConfigError, ModelOutputError, ModelUnavailableError
from agent.llm.backends import LocalBackend, OpenAIBackend, Sampling
from agent.llm.gateway import Gateway
from agent.prompts import Message, RenderedPrompt
from agent.settings import Settings, load_settings

REAL_LOAD = LocalBackend._load  # captured before the autouse guard replaces it


class Answer(BaseModel):
    name: str


PROMPT = RenderedPrompt("t", "1", "0" * 64, (Message("user", "Say a name."),))


def _serve(status: int, body: dict, models_owner: str = "me") -> Iterator[tuple[str, list[str]]]:
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # /v1/models
            paths.append(self.path)
            self._reply(
                200,
                {
                    "object": "list",
                    "data": [{"id": "m", "object": "model", "owned_by": models_owner}],
                },
            )

        def do_POST(self) -> None:
            paths.append(self.path)
            self.rfile.read(int(self.headers["Content-Length"]))
            self._reply(status, body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1", paths
    finally:
        server.shutdown()


def _completion(content: str) -> dict:
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }


def _gateway(url: str, tmp_path: Path, key: str = "sk-test") -> Gateway:
    settings = Settings(
        openai_base_url=url,
        openai_api_key=key,
        data_dir=tmp_path,
        cache=False,
        max_retries=0,
        timeout=5,
    )
    return Gateway.from_settings(settings)


@pytest.mark.real_client
def test_wrong_api_key(tmp_path: Path) -> None:
    for url, _ in _serve(
        401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
    ):
        with pytest.raises(ModelUnavailableError, match="set OPENAI_API_KEY"):
            _gateway(url, tmp_path).structured(PROMPT, Answer)


@pytest.mark.real_client
def test_unknown_model(tmp_path: Path) -> None:
    for url, _ in _serve(404, {"error": {"message": "model not found"}}):
        with pytest.raises(ModelUnavailableError, match="STORYDESK_MODEL"):
            _gateway(url, tmp_path).structured(PROMPT, Answer)


@pytest.mark.real_client
def test_no_retry_on_client_errors(tmp_path: Path) -> None:
    for url, paths in _serve(400, {"error": {"message": "bad request"}}):
        settings = Settings(
            openai_base_url=url,
            openai_api_key="k",
            data_dir=tmp_path,
            cache=False,
            max_retries=3,
            timeout=5,
        )
        with pytest.raises(Exception, match="refused the request"):
            Gateway.from_settings(settings).structured(PROMPT, Answer)
        assert paths.count("/v1/chat/completions") == 1


@pytest.mark.real_client
def test_unreachable_base_url(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ModelUnavailableError, match="check OPENAI_BASE_URL"):
        _gateway(f"http://127.0.0.1:{port}/v1", tmp_path).structured(PROMPT, Answer)


@pytest.mark.real_client
def test_model_that_keeps_returning_invalid_json(tmp_path: Path) -> None:
    for url, paths in _serve(200, _completion("{not json")):
        with pytest.raises(ModelOutputError, match="invalid output .* 3 times"):
            _gateway(url, tmp_path).structured(PROMPT, Answer)
        assert paths.count("/v1/chat/completions") == 3


@pytest.mark.real_client
def test_structured_mode_is_chosen_per_server(tmp_path: Path) -> None:
    for url, _ in _serve(200, _completion('{"name": "x"}'), models_owner="me"):
        backend = OpenAIBackend(Settings(openai_base_url=url, data_dir=tmp_path))
        assert backend.response_format({"type": "object"}, "Answer") == {
            "type": "json_object",
            "schema": {"type": "object"},
        }
    for url, _ in _serve(200, _completion('{"name": "x"}'), models_owner="vllm"):
        backend = OpenAIBackend(Settings(openai_base_url=url, data_dir=tmp_path))
        assert backend.response_format({"type": "object"}, "Answer")["type"] == "json_schema"
    backend = OpenAIBackend(Settings(openai_api_key="k", data_dir=tmp_path))
    assert backend.structured_mode() == "json_schema"  # api.openai.com, no probe


def test_missing_model_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real loader: it stops at the file check, before llama.cpp.
    monkeypatch.setattr(LocalBackend, "_load", REAL_LOAD)
    backend = LocalBackend(Settings(model_path=tmp_path / "nope.gguf", data_dir=tmp_path))
    with pytest.raises(ModelUnavailableError, match="STORYDESK_MODEL_PATH"):
        backend.generate(
            [{"role": "user", "content": "hi"}], {"type": "object"}, "X", Sampling(0.0, 5, 1)
        )


def test_missing_model_file_from_the_cli(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORYDESK_MODEL_PATH", str(tmp_path / "nope.gguf"))
    from agent.llm import backends

    monkeypatch.setattr(backends.LocalBackend, "_load", REAL_LOAD)
    out = tmp_path / "s.json"
    code = main(["draft", "--quiet", "examples/koizumi-hegseth.json", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 4 and "nope.gguf does not exist" in err and "STORYDESK_MODEL_PATH" in err
    assert err.count("\n") == 1 and err.startswith("storydesk: error: model file ")
    assert not out.exists()


def test_openai_backend_needs_a_key_or_url() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        load_settings(llm="openai")


def test_bad_setting_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYDESK_N_CTX", "lots")
    with pytest.raises(ConfigError, match="STORYDESK_N_CTX: Input should be a valid integer"):
        load_settings()


def test_cli_prints_one_line_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code = main(["draft", str(tmp_path / "missing.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("storydesk: error:") and "no such file" in err
    assert "Traceback" not in err and err.count("\n") == 1


@pytest.mark.real_client
def test_draft_with_a_model_that_only_returns_invalid_json(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for url, paths in _serve(200, _completion("{not json")):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("STORYDESK_MAX_RETRIES", "0")
        code = main(
            ["draft", "--quiet", "examples/koizumi-hegseth.json", "--out", str(tmp_path / "s.json")]
        )
        err = capsys.readouterr().err
        assert code == 4 and "invalid output for every one of" in err and "OPENAI_BASE_URL" in err
        assert err.count("\n") == 1 and not (tmp_path / "s.json").exists()
        assert paths.count("/v1/chat/completions") >= 4 * 3  # each drafter tried, bounded


@pytest.mark.real_client
def test_draft_against_an_unreachable_server(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("STORYDESK_MAX_RETRIES", "0")
    code = main(["draft", "examples/koizumi-hegseth.json", "--quiet"])
    err = capsys.readouterr().err
    assert code == 4 and "cannot reach the model server" in err and err.count("\n") == 1


@pytest.mark.real_client
def test_draft_with_a_wrong_key(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for url, _ in _serve(
        401, {"error": {"message": "Incorrect API key provided"}}, models_owner="vllm"
    ):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
        code = main(["draft", "examples/koizumi-hegseth.json", "--quiet"])
        err = capsys.readouterr().err
        assert code == 4 and "set OPENAI_API_KEY" in err and err.count("\n") == 1


def test_unreadable_inputs_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    latin = tmp_path / "latin1.json"
    latin.write_bytes('{"id": "café"}'.encode("latin-1"))
    assert main(["draft", str(latin)]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["review", "edit", "t:1", "--changes", str(tmp_path)]) == 2
    assert "cannot read it" in capsys.readouterr().err


def test_unwritable_data_dir_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("STORYDESK_DATA_DIR", str(blocker / "data"))
    assert main(["--no-cache", "review", "show", "t:1"]) == 3
    err = capsys.readouterr().err
    assert "STORYDESK_DATA_DIR" in err and err.count("\n") == 1
