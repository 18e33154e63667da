"""Security: SSRF guard on fetching, CSRF on every state-changing form, XSS in the story page
and the desk pages, signed expiring sessions, no secrets in cassettes, private dirs, and the
diskcache pickle path closed."""

from __future__ import annotations

import os
import re
import socket
import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agent.desk import auth
from agent.desk.pages import router
from agent.errors import InputError
from agent.intake import ingest
from agent.render.story import render_html
from tests.helpers import ROOT
from tests.integration.reliability.table import record as row
from tests.unit.desk.helpers import Harness, csrf, example_cluster, login

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "' onmouseover='alert(3)",
    "</textarea><script>alert(4)</script>",
]

# ------------------------------------------------------------------ SSRF


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://localhost:8000/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://0.0.0.0/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "ftp://example.com/x",
        "http:///nohost",
    ],
)
def test_fetch_refuses_non_public_addresses_and_schemes(url: str) -> None:
    with pytest.raises(InputError) as error:
        ingest.fetch(url, allow_private=False)
    assert url.split("/")[0] in str(error.value) or "http" in str(error.value)
    row(
        "SSRF: loopback, link-local, private, 0.0.0.0, non-http scheme, no host",
        tried=1,
        outcome="refused with the reason",
    )


class _Local(BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - the paths asked, across servers of one run

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        _Local.hits.append(self.path)
        if self.path == "/redirect-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()
        elif self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"[" + b"1," * 4000 + b"1]")
        elif self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            for _ in range(40):  # 1 byte every 0.1 s: every read is quick, the whole is not
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"[]")


@pytest.fixture
def local() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Local)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_from_loopback_only_when_allowed(local: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="STORYDESK_FETCH_ALLOW_PRIVATE"):
        ingest.fetch(f"{local}/feed")
    monkeypatch.setenv("STORYDESK_FETCH_ALLOW_PRIVATE", "1")
    assert ingest.fetch(f"{local}/feed") == (b"[]", "application/json")
    row("SSRF: loopback fetch without / with the setting", tried=2, outcome="refused, then allowed")


def test_redirects_are_checked_again(local: str) -> None:
    with pytest.raises(InputError, match="only http|not allowed"):
        ingest.fetch(f"{local}/redirect-file", allow_private=True)
    handler = ingest._CheckedRedirects(allow_private=False)
    with pytest.raises(InputError, match="loopback"):
        handler.redirect_request(None, None, 302, "Found", {}, "http://127.0.0.1:1/admin")
    row("SSRF: redirect to file:// and to loopback", tried=2, outcome="refused")


def test_fetch_has_size_and_time_limits(local: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "MAX_FETCH_BYTES", 1000)
    with pytest.raises(InputError, match="larger than"):
        ingest.fetch(f"{local}/big", allow_private=True)
    monkeypatch.setattr(ingest, "FETCH_TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(InputError, match="longer than"):
        ingest.fetch(f"{local}/slow", allow_private=True)
    assert time.monotonic() - started < 2.5
    row("fetch: oversized body, trickling body", tried=2, outcome="stopped at the limit")


def _resolver(answers: list[str], port: int, seen: list[str]) -> Any:
    """A getaddrinfo for the made-up host `rebind.test` that answers `answers` in turn (the
    last one from then on), as a rebinding DNS server would; other names resolve as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real(host, *args, **kwargs)
        address = answers[min(len(seen), len(answers) - 1)]
        seen.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    return getaddrinfo


def test_dns_rebinding_is_refused_at_the_connection(
    local: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name resolves to a public address for the check, then to loopback: the fetch
    connects only to an address it checked, so it refuses instead of reaching loopback."""
    port = int(local.rsplit(":", 1)[1])
    seen: list[str] = []
    monkeypatch.setattr(
        socket, "getaddrinfo", _resolver(["93.184.216.34", "127.0.0.1"], port, seen)
    )
    hits = len(_Local.hits)
    with pytest.raises(InputError, match="rebind.test is 127.0.0.1, a loopback"):
        ingest.fetch(f"http://rebind.test:{port}/feed", allow_private=False)
    assert seen == ["93.184.216.34", "127.0.0.1"]  # the check, then the connection's own
    assert len(_Local.hits) == hits  # the loopback server was never asked
    row(
        "SSRF: DNS rebinding (public for the check, loopback for the connection)",
        tried=1,
        outcome="refused; loopback never reached",
    )


def test_the_connection_goes_to_the_address_it_checked(
    local: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name only the guard can resolve is fetched: the connection uses the guard's answer
    (resolved once per connection), not a second lookup of its own."""
    port = int(local.rsplit(":", 1)[1])
    seen: list[str] = []
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(["127.0.0.1"], port, seen))
    hits = len(_Local.hits)
    assert ingest.fetch(f"http://rebind.test:{port}/feed", allow_private=True)[0] == b"[]"
    assert len(_Local.hits) == hits + 1 and seen == ["127.0.0.1", "127.0.0.1"]
    row("fetch connects to the address it checked", tried=1, outcome="one request, pinned")


def test_a_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def both(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    with pytest.raises(InputError, match="10.0.0.5, a loopback, link-local or private"):
        ingest.fetch("http://mixed.test/feed", allow_private=False)
    row("SSRF: a name with public and private addresses", tried=1, outcome="refused")


def test_fetch_ignores_proxies_from_the_environment(
    local: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy would resolve the name itself, past the guard: ingest never uses one."""
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    assert ingest.fetch(f"{local}/feed", allow_private=True)[0] == b"[]"

    # ------------------------------------------------------------------ CSRF
    row("SSRF: an environment proxy", tried=1, outcome="ignored")


# ------------------------------------------------------------------ CSRF


def test_every_state_changing_form_needs_the_csrf_token(harness: Harness) -> None:
    """Walk the pages router: every POST route but /login (guarded by its signed nonce) must
    refuse a post without the session's CSRF token, and one from another origin."""
    posts = sorted(r.path for r in router.routes if "POST" in getattr(r, "methods", set()))
    assert posts == sorted(
        [
            "/login",
            "/logout",
            "/clusters/{cluster_id}/draft",
            "/jobs/{job_id}/retry",
            "/stories/{story_id}/review",
            "/stories/{story_id}/edit",
        ]
    ), posts
    story_id = harness.drafted()
    login(harness)
    token = csrf(harness.client.get(f"/stories/{story_id}").text)
    job_id = harness.desk.jobs.draft_of(story_id).id  # type: ignore[union-attr]
    values = {
        "cluster_id": example_cluster()["id"],
        "job_id": job_id,
        "story_id": story_id,
    }
    for path in posts:
        if path == "/login":
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        bare = harness.client.post(url, data={"action": "approve"}, follow_redirects=False)
        assert bare.status_code == 403, (path, bare.status_code)
        cross = harness.client.post(
            url,
            data={"csrf": token, "action": "approve"},
            headers={"Origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert cross.status_code == 403, (path, cross.status_code)
    assert harness.desk.jobs.find(kind="review")[1] == 0  # nothing was decided
    row(
        "CSRF: state-changing forms posted without the token / from another origin",
        tried=2 * (len(posts) - 1),
        outcome="403; no decision recorded",
        jobs=1,
    )


# ------------------------------------------------------------------ XSS


def test_story_page_and_desk_pages_escape_article_text(harness: Harness) -> None:
    cluster = example_cluster()
    for article, hostile in zip(cluster["articles"], HOSTILE, strict=False):
        article["title"] = f"{hostile} {article['title']}"
        article["outlet"] = (
            f"{article['outlet']}{hostile}" if hostile == HOSTILE[1] else article["outlet"]
        )
    story_id = harness.drafted(cluster)
    login(harness)
    for url in (
        "/",
        f"/stories/{story_id}",
        f"/stories/{story_id}/history",
        f"/stories/{story_id}/edit",
    ):
        page = harness.client.get(url).text
        for hostile in HOSTILE:
            assert hostile not in page, (url, hostile)
        assert "onerror=alert" not in page.replace("onerror=alert(2)&gt;", "")
    row("XSS: hostile article text on 4 pages", tried=4 * len(HOSTILE), outcome="escaped")


def test_rendered_story_escapes_model_output_and_never_links_javascript(
    harness: Harness,
) -> None:
    from agent.desk.service import get_story

    story = get_story(harness.desk, harness.drafted())
    summary = [s.model_copy(update={"text": HOSTILE[i % 4]}) for i, s in enumerate(story.summary)]
    coverage = story.coverage.model_copy(
        update={
            side: [
                item.model_copy(update={"url": " javascript:alert(5)", "title": HOSTILE[1]})
                for item in getattr(story.coverage, side)
            ]
            for side in ("left", "center", "right")
        }
    )
    hostile = story.model_copy(
        update={"summary": summary, "coverage": coverage, "title": HOSTILE[0]}
    )
    page = render_html(hostile)
    for text in HOSTILE:
        assert text not in page
    assert "javascript:" not in page.lower()
    from agent.desk.pages import _article_links, web_url

    assert all(
        not link["url"].lower().strip().startswith("javascript")
        for link in _article_links(hostile).values()
    )
    assert not web_url("javascript:alert(1)") and not web_url(" data:text/html,x")
    assert web_url("https://example.com/a")
    row(
        "XSS: hostile model output and javascript:/data: URLs",
        tried=len(HOSTILE) + 3,
        outcome="escaped; never linked",
    )


# ------------------------------------------------------------------ sessions, tokens, secrets


def test_sessions_are_signed_and_expire(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = auth.Sessions(harness.desk.users)
    record = harness.desk.users.authenticate(harness.tokens["editor"])
    assert record is not None
    cookie = sessions.issue(record)
    assert sessions.read(cookie) is not None
    assert sessions.read(cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")) is None
    monkeypatch.setattr(auth, "SESSION_SECONDS", 0)
    time.sleep(1.1)
    assert sessions.read(cookie) is None
    row("sessions: tampered and expired cookies", tried=2, outcome="refused")


def test_tokens_are_compared_in_constant_time() -> None:
    import inspect

    from agent.store import users

    source = inspect.getsource(users.Users.authenticate)
    assert "hash_token(" in source and "hmac.compare_digest" in source
    assert "hmac.compare_digest" in inspect.getsource(auth.check_csrf)


def test_no_secret_in_cassettes() -> None:
    key = re.compile(r"sk-[A-Za-z0-9_-]{16,}|Bearer\s+[A-Za-z0-9._-]{16,}", re.I)
    found = []
    for path in (ROOT / "tests" / "cassettes").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [f"{path.name}: {m.group(0)[:12]}…" for m in key.finditer(text)]
            assert not re.search(r"(?im)^\s*-?\s*authorization:", text), path
    assert not found, found
    row("secrets in cassettes", tried=1, outcome="none found")


def test_data_and_cache_dirs_are_private(tmp_path: Path) -> None:
    from agent.llm.cache import ResponseCache

    cache = ResponseCache(tmp_path / "cache")
    cache.close()
    assert stat.S_IMODE(os.stat(tmp_path / "cache").st_mode) == 0o700


def test_data_dir_made_by_the_desk_is_private(harness: Harness) -> None:
    data = harness.desk.settings.data_dir
    for path in [data, *[p for p in data.rglob("*") if p.is_dir()]]:
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0, (path, oct(os.stat(path).st_mode))
    row("data and cache dirs", tried=2, outcome="0700")


def test_a_planted_pickle_row_is_never_unpickled(tmp_path: Path) -> None:
    import diskcache

    from agent.llm.cache import ResponseCache

    ran = tmp_path / "ran"

    class Boom:
        def __reduce__(self) -> Any:
            return (Path.touch, (ran,))

    planted = diskcache.Cache(str(tmp_path / "cache"))
    planted.set("k" * 64, Boom())
    planted.close()
    cache = ResponseCache(tmp_path / "cache")
    assert cache.get("k" * 64) is None
    cache.close()
    assert not ran.exists()
    row("a planted pickle row in the cache", tried=1, outcome="never unpickled")
