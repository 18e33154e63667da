"""A fault-injecting OpenAI-compatible server on loopback, for tests only.

It answers POST /v1/chat/completions with the desk tests' scripted model (the answer for the
schema named in `response_format`), except where its plan injects a fault: 429 with
Retry-After, 500, 503, a hang past the client's timeout, a connection cut mid-body, text that
is not JSON, JSON that violates the schema, or empty `choices`. It binds 127.0.0.1 only,
refuses bodies over 4 MB, and every hang is bounded (`hang_seconds`), so a test cannot hang.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agent.llm.backends import Sampling

FAULTS = ("429", "500", "503", "hang", "cut", "text", "schema", "empty")
MAX_BODY = 4 * 1024 * 1024


@dataclass
class Seen:
    """One request the server got: when, for which schema, and what it did."""

    at: float
    schema: str
    fault: str | None


@dataclass
class FaultServer:
    """The server, its plan (request number, schema -> fault or None) and what it saw."""

    plan: Callable[[int, str], str | None]
    retry_after: float = 1.0
    hang_seconds: float = 3.0
    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FaultServer:
        from tests.desk_support import scripted_backend

        model = scripted_backend()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner._json(self, 200, {"object": "list", "data": [{"id": "fault-model"}]})

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    owner._json(self, 413, {"error": {"message": "body too large"}})
                    return
                body = json.loads(self.rfile.read(length) or b"{}")
                response_format = body.get("response_format") or {}
                schema_info = response_format.get("json_schema") or {}
                schema_name = str(schema_info.get("name") or "?")
                with owner._lock:
                    number = len(owner.seen)
                    fault = owner.plan(number, schema_name)
                    owner.seen.append(Seen(time.monotonic(), schema_name, fault))
                owner._answer(self, model, body, schema_name, schema_info, fault)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def count(self, fault: str | None = "any") -> int:
        """How many requests came (all, or those that got this fault; None: answered)."""
        with self._lock:
            if fault == "any":
                return len(self.seen)
            return sum(1 for s in self.seen if s.fault == fault)

    # ----------------------------------------------------------------- answers

    def _json(
        self, handler: BaseHTTPRequestHandler, status: int, data: Any, **headers: str
    ) -> None:
        raw = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(raw)

    def _completion(self, text: str | None) -> dict[str, Any]:
        choices = (
            []
            if text is None
            else [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ]
        )
        return {
            "id": "chatcmpl-fault",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "fault-model",
            "choices": choices,
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    def _answer(
        self,
        handler: BaseHTTPRequestHandler,
        model: Any,
        body: dict[str, Any],
        schema_name: str,
        schema_info: dict[str, Any],
        fault: str | None,
    ) -> None:
        if fault == "429":
            self._json(
                handler,
                429,
                {"error": {"message": "slow down", "type": "rate_limit"}},
                **{"Retry-After": str(self.retry_after)},
            )
        elif fault in ("500", "503"):
            self._json(handler, int(fault), {"error": {"message": f"injected {fault}"}})
        elif fault == "hang":
            time.sleep(self.hang_seconds)
            handler.close_connection = True
        elif fault == "cut":
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", "5000")
            handler.end_headers()
            handler.wfile.write(b'{"id": "chatcmpl-cut", "choices": [{"mess')
            handler.wfile.flush()
            handler.close_connection = True
        elif fault == "text":
            self._json(handler, 200, self._completion("Sure! Here is the summary you asked for."))
        elif fault == "schema":
            self._json(handler, 200, self._completion('{"unexpected": [1, 2, 3]}'))
        elif fault == "empty":
            self._json(handler, 200, self._completion(None))
        else:
            completion = model.generate(
                body.get("messages") or [],
                schema_info.get("schema") or {},
                schema_name,
                Sampling(temperature=0.0, max_tokens=512, seed=7),
            )
            self._json(handler, 200, self._completion(completion.text))
