"""Ingestion: the same words are one article, and URLs fail with a reason, never silently.

URL tests run against a local http.server on 127.0.0.1 (no network).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent.intake import ingest as ingest_module
from agent.intake.pipeline import ingest
from agent.settings import Settings
from agent.store.db import open_store
from agent.store.store import Store

PAGE = b"""<html><head><title>Senate passes Harlow budget - Example Times</title>
<meta property="og:site_name" content="Example Times">
<meta property="article:published_time" content="2026-01-15T10:00:00+09:00"></head>
<body><article><h1>Senate passes Harlow budget</h1>
<p>The Senate on Thursday passed the Harlow budget after an all-night session, sending the
appropriations bill to the House with a narrow majority of senators in favour.</p>
<p>Treasury officials said the deficit would narrow next year under the plan, which cuts
spending on several programmes and raises some fees.</p></article></body></html>"""


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = open_store(settings)
    try:
        yield opened
    finally:
        opened.close()


def _record(title: str, text: str, article_id: str) -> dict[str, str]:
    return {
        "id": article_id,
        "outlet": "Reuters",
        "title": title,
        "published_at": "2026-01-15T09:00:00+00:00",
        "text": text,
    }


def test_the_same_words_in_other_case_and_spacing_are_one_article(
    store: Store, tmp_path: Path
) -> None:
    first = _record(
        "Ferry capsizes in the Calder estuary",
        "A ferry capsized on Thursday.\nForty passengers were rescued by the coastguard.",
        "a1",
    )
    refolded = _record(
        "FERRY  capsizes in the calder Estuary ",
        "a ferry capsized   on thursday. Forty passengers\n\nwere rescued by the COASTGUARD.",
        "a1-again",
    )
    other = _record("Ferry capsizes in the Calder estuary", "A different text entirely.", "a2")
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (first, refolded, other)) + "\n")
    report = ingest(store, [str(path)])
    assert (report.stored, report.already, report.problems) == (2, 1, [])
    assert store.count_articles() == 2


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        if self.path == "/page":
            self._send(200, PAGE)
        elif self.path == "/gone":
            self._send(404, b"not here")
        elif self.path == "/broken":
            self._send(503, b"down")
        elif self.path == "/slow":
            time.sleep(2.0)
            self._send(200, PAGE)
        elif self.path == "/big":
            self._send(200, PAGE + b" " * 5000)
        else:
            self._send(500, b"?")

    def _send(self, code: int, body: bytes) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    # These servers listen on loopback, which the fetch guard refuses unless a setting allows it
    # (the guard itself is tested in tests/unit/security).
    monkeypatch.setenv(ingest_module.FETCH_PRIVATE, "1")


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_url_is_fetched_and_stored(store: Store, server: str) -> None:
    report = ingest(store, [f"{server}/page"])
    assert (report.stored, report.problems) == (1, [])
    assert store.count_articles() == 1


@pytest.mark.parametrize(("path", "answer"), [("/gone", "404"), ("/broken", "503")])
def test_an_http_error_is_reported_with_its_status(
    store: Store, server: str, path: str, answer: str
) -> None:
    url = f"{server}{path}"
    report = ingest(store, [url, f"{server}/page"])
    assert report.stored == 1  # the other URL is still stored
    assert len(report.problems) == 1
    assert report.problems[0].startswith(f"{url}: the server answered {answer}")


def test_a_timeout_is_reported_not_waited_out(
    store: Store, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "FETCH_TIMEOUT", 0.3)
    started = time.monotonic()
    report = ingest(store, [f"{server}/slow"])
    assert time.monotonic() - started < 1.8
    assert report.stored == 0 and len(report.problems) == 1
    assert "cannot fetch it" in report.problems[0] and "timed out" in report.problems[0]


def test_a_page_over_the_size_limit_is_refused(
    store: Store, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "MAX_FETCH_BYTES", len(PAGE) + 100)
    report = ingest(store, [f"{server}/big", f"{server}/page"])
    assert report.stored == 1
    assert len(report.problems) == 1
    assert "larger than" in report.problems[0] and "ingest the file" in report.problems[0]


def test_an_unreachable_host_is_reported(store: Store) -> None:
    # Port 9 (discard) on loopback: nothing listens there on a test machine.
    report = ingest(store, ["http://127.0.0.1:9/nothing"])
    assert report.stored == 0
    assert "cannot fetch it" in report.problems[0] and "check the URL" in report.problems[0]
