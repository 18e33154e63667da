"""Read articles from JSONL/JSON files, RSS/Atom feeds and HTML pages (files or URLs).

Every reader yields `Record`s: an article as a dict, or the reason it could not be read, and
always where it came from (file and line, or feed entry), so a bad record is reported and
skipped while the rest are stored.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import http.client
import ipaddress
import json
import os
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ValidationError

from agent.errors import InputError
from agent.schemas import Article
from agent.store.sources import SourceRegistry, normalize_domain

USER_AGENT = "storydesk/0.1 (+https://github.com/storydesk)"
FETCH_TIMEOUT = 30.0
MAX_FETCH_BYTES = 20 * 1024 * 1024

_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "article_id"),
    "outlet": ("outlet", "source", "publisher", "site", "site_name", "sitename"),
    "title": ("title", "headline"),
    "url": ("url", "link"),
    "published_at": ("published_at", "published", "date", "pubDate", "pub_date", "datetime"),
    "text": ("text", "body", "content", "text_excerpt", "description", "summary"),
    "lean": ("lean",),
}
_TRACKING_PARAMS = re.compile(
    r"^(utm_.*|fbclid|gclid|dclid|mc_cid|mc_eid|cmpid|ocid|smid|smtyp|ito|ref|ref_src|"
    r"partner|guccounter|taid|mbid|src|__twitter_impression)$",
    re.IGNORECASE,
)
_FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson"}


@dataclass
class Record:
    """One article as read, or why it could not be read."""

    where: str
    data: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class IngestReport:
    """What an ingest run did."""

    read: int = 0
    stored: int = 0
    already: int = 0
    problems: list[str] = field(default_factory=list)
    stored_ids: list[str] = field(default_factory=list)


def _normalized(url: str) -> tuple[str, str]:
    """Return the folded URL and its host (lower case, without "www.")."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "http":
        scheme = "https"
    netloc = parts.netloc.lower()
    if not parts.query and "@" not in netloc and ":" not in netloc:
        # The common case, without the parsing of ports, user info and queries.
        host = netloc.removeprefix("www.")
        return urlunsplit((scheme, host, parts.path.rstrip("/") or "/", "", "")), host
    host = (parts.hostname or "").removeprefix("www.")
    location = host
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port not in (80, 443):
        location = f"{host}:{port}"
    query = urlencode(
        sorted(
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING_PARAMS.match(k)
        )
    )
    return urlunsplit((scheme, location, parts.path.rstrip("/") or "/", query, "")), host


def normalize_url(url: str) -> str:
    """Fold a URL so the same article is recognised: lower-case host, no tracking, no fragment."""
    return _normalized(url)[0]


def content_hash(title: str, text: str) -> str:
    """Return a digest of an article's title and text as given."""
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


def identity_of(url: str | None, title: str, text: str) -> str:
    """Return the key that makes the same article one row: its URL, else its words."""
    if url:
        return "u:" + hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()
    # Without a URL the words decide, with case and spacing folded.
    folded = " ".join(f"{title}\n{text}".lower().split())
    return "h:" + hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _pick(data: dict[str, Any], name: str) -> Any:
    for key in _FIELD_ALIASES[name]:
        value = data.get(key)
        if value not in (None, ""):
            return value
    return None


class Normalizer:
    """Turn records into validated article rows."""

    def __init__(
        self,
        registry: SourceRegistry,
        *,
        assign_ids: bool = False,
        default_published_at: datetime | None = None,
        now: datetime | None = None,
    ) -> None:
        self.registry = registry
        self.assign_ids = assign_ids
        self.default_published_at = default_published_at
        self.now = now or datetime.now(UTC)

    def row(self, record: Record) -> dict[str, Any]:
        """Return the article row for a record; raise ValueError with what is wrong."""
        data = record.data or {}
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
        url = _pick(data, "url")
        if url is not None and not isinstance(url, str):
            raise ValueError("field 'url' must be a string")
        outlet = _pick(data, "outlet")
        if outlet is None and url:
            known = self.registry.lookup(None, url)
            outlet = known.name if known else normalize_domain(url)
        if outlet is None:
            raise ValueError("no outlet (field 'outlet') and no URL to tell it from; add one")
        published = _pick(data, "published_at")
        if published is None:
            if self.default_published_at is None:
                raise ValueError(
                    "no publication time (field 'published_at'); add an ISO 8601 time, "
                    "or pass --published-at for records without one"
                )
            published = self.default_published_at
        title = _pick(data, "title")
        text = _pick(data, "text")
        if text is None and isinstance(title, str):
            raise ValueError("no text (field 'text'); add the article's body text")
        given_id = None if self.assign_ids else _pick(data, "id")
        candidate = {
            "id": str(given_id) if given_id is not None else "pending",
            "outlet": outlet,
            "title": title,
            "url": url,
            "published_at": published,
            "text": text,
            "lean": _pick(data, "lean"),
        }
        try:
            article = Article.model_validate(candidate)
        except ValidationError as error:
            problems = []
            for item in error.errors():
                name = ".".join(str(part) for part in item["loc"]) or "record"
                problems.append(f"field {name!r}: {item['msg']}")
            raise ValueError("; ".join(problems)) from None
        if article.url:
            normalized, host = _normalized(article.url)
            identity = "u:" + hashlib.sha256(normalized.encode("utf-8")).hexdigest()
        else:
            host = ""
            identity = identity_of(None, article.title, article.text)
        article_id = article.id if given_id is not None else "a-" + identity[2:18]
        offset = article.published_at.utcoffset()
        return {
            "id": article_id,
            "identity": identity,
            "url": article.url,
            "domain": host or None,
            "outlet": article.outlet.strip(),
            "title": article.title.strip(),
            "text": article.text,
            "published_at": article.published_at.astimezone(UTC),
            "utc_offset": int(offset.total_seconds() // 60) if offset is not None else None,
            "lean": article.lean,
            "content_hash": content_hash(article.title, article.text),
            "origin": record.where,
            "ingested_at": self.now,
            "cluster_id": None,
            "duplicate_of": None,
        }


# --------------------------------------------------------------------------- readers


def _json_articles(value: Any, where: str) -> Iterator[Record]:
    if isinstance(value, dict) and isinstance(value.get("articles"), list):
        for index, item in enumerate(value["articles"], start=1):
            yield Record(f"{where}, article #{index}", data=item)
    elif isinstance(value, list):
        for index, item in enumerate(value, start=1):
            yield Record(f"{where}, item #{index}", data=item)
    else:
        yield Record(where, data=value)


def read_jsonl(lines: Iterable[str], source: str) -> Iterator[Record]:
    """Yield the articles of JSONL lines (one article, or one cluster of articles, per line)."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}: line {number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            yield Record(where, error=f"not valid JSON (column {error.colno}: {error.msg})")
            continue
        yield from _json_articles(value, where)


def read_json(text: str, source: str) -> Iterator[Record]:
    """Yield the articles of a JSON document (a cluster, a list or one article), or of JSONL."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":
            # Several JSON values, one per line: JSONL under another name.
            yield from read_jsonl(text.splitlines(), source)
            return
        yield Record(
            f"{source}: line {error.lineno}",
            error=f"not valid JSON (column {error.colno}: {error.msg})",
        )
        return
    yield from _json_articles(value, source)


def _html_to_text(fragment: str) -> str:
    if "<" not in fragment:
        return fragment.strip()
    from lxml import html as lxml_html
    from lxml.etree import ParserError

    try:
        root = lxml_html.fromstring(fragment)
    except (ParserError, ValueError):
        return re.sub(r"<[^>]+>", " ", fragment).strip()
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    return " ".join(root.text_content().split())


def _struct_to_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(value), UTC)


def read_feed(content: bytes, source: str, registry: SourceRegistry) -> Iterator[Record]:
    """Yield the entries of an RSS or Atom feed as articles."""
    import feedparser

    parsed = feedparser.parse(content)
    if parsed.bozo and not parsed.entries:
        reason = getattr(parsed.get("bozo_exception"), "getMessage", lambda: None)() or str(
            parsed.get("bozo_exception", "unreadable")
        )
        yield Record(source, error=f"not a readable RSS/Atom feed ({reason})")
        return
    feed_title = (parsed.feed.get("title") or "").strip() or None
    feed_link = parsed.feed.get("link")
    for index, entry in enumerate(parsed.entries, start=1):
        link = entry.get("link")
        where = f"{source}: entry #{index}" + (f" ({link})" if link else "")
        html = ""
        if entry.get("content"):
            html = entry["content"][0].get("value", "")
        html = html or entry.get("summary", "") or entry.get("description", "")
        known = registry.lookup(feed_title, link or feed_link)
        outlet = (
            known.name
            if known is not None
            else feed_title or (normalize_domain(link) if link else None)
        )
        published = _struct_to_datetime(
            entry.get("published_parsed") or entry.get("updated_parsed")
        )
        yield Record(
            where,
            data={
                "outlet": outlet,
                "title": _html_to_text(entry.get("title", "")),
                "url": link,
                "published_at": published.isoformat() if published else None,
                "text": _html_to_text(html),
            },
        )


def read_html(
    content: bytes | str, source: str, url: str | None, registry: SourceRegistry
) -> Iterator[Record]:
    """Yield the article of an HTML page (text and metadata by trafilatura)."""
    import trafilatura

    document = trafilatura.bare_extraction(
        content,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params={
            "outputformat": "%Y-%m-%dT%H:%M:%S%z",
            "original_date": True,
            "extensive_search": True,
        },
    )
    if document is None:
        yield Record(source, error="no article text found in the page")
        return
    meta: dict[str, Any] = document if isinstance(document, dict) else document.as_dict()
    title = str(meta.get("title") or "").strip()
    text = str(meta.get("text") or "").strip()
    if title and text.startswith(title):
        text = text[len(title) :].lstrip()
    page_url = url or meta.get("url")
    sitename = meta.get("sitename")
    known = registry.lookup(sitename, page_url)
    outlet = known.name if known is not None else (sitename or meta.get("hostname"))
    yield Record(
        source,
        data={
            "outlet": outlet,
            "title": title or None,
            "url": page_url,
            "published_at": meta.get("date"),
            "text": text or None,
        },
    )


def _kind_of(name: str, head: bytes, content_type: str = "") -> str:
    suffix = Path(urlsplit(name).path).suffix.lower()
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".json" or "json" in content_type:
        return "json"
    if suffix in _FEED_SUFFIXES or any(t in content_type for t in ("rss", "atom", "xml")):
        return "feed"
    if suffix in _HTML_SUFFIXES or "html" in content_type:
        return "html"
    start = head.lstrip()[:2048].lower()
    if start.startswith((b"{", b"[")):
        return "json"
    if b"<rss" in start or b"<feed" in start or b"<rdf" in start:
        return "feed"
    if b"<html" in start or b"<!doctype html" in start:
        return "html"
    return "unknown"


FETCH_PRIVATE = "STORYDESK_FETCH_ALLOW_PRIVATE"
"""Set to 1 to let ingest fetch from loopback, link-local and private addresses (a feed on your
own network); off by default, so a URL in a feed cannot reach the machine's own services."""
MAX_REDIRECTS = 5


def _allow_private() -> bool:
    return os.environ.get(FETCH_PRIVATE, "").strip().lower() in ("1", "true", "yes")


def checked_addresses(
    url: str, host: str, port: int, allow_private: bool
) -> list[tuple[int, int, int, tuple[Any, ...]]]:
    """Resolve a host once and return its addresses (family, type, proto, sockaddr), or refuse
    the URL when any of them is loopback, link-local or private (unless allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise InputError(f"{url}: cannot resolve {host} ({error})") from None
    if not infos:
        raise InputError(f"{url}: {host} resolves to no address")
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not allow_private and not address.is_global:
            raise InputError(
                f"{url}: {host} is {address}, a loopback, link-local or private "
                f"address; set {FETCH_PRIVATE}=1 to fetch from your own network"
            )
    return [(family, kind, proto, sockaddr) for family, kind, proto, _, sockaddr in infos]


def check_url(url: str, allow_private: bool | None = None) -> None:
    """Refuse a URL that is not http(s) or whose host resolves to a non-public address."""
    allow = _allow_private() if allow_private is None else allow_private
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{url}: only http:// and https:// URLs with a host can be fetched")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InputError(f"{url}: the port is not a number from 0 to 65535") from None
    checked_addresses(url, parts.hostname, port, allow)


def _pinned_connection(allow_private: bool) -> Any:
    """A `socket.create_connection` that resolves the host once, checks every address and
    connects only to an address it checked: a name that resolves to a public address for the
    check and to a private one for the connection (DNS rebinding) never reaches the latter."""

    def create_connection(
        address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        host, port = address
        url = f"//{host}:{port}"
        last: OSError | None = None
        for family, kind, proto, sockaddr in checked_addresses(url, host, port, allow_private):
            sock = socket.socket(family, kind, proto)
            try:
                if isinstance(timeout, int | float):  # not socket's "default" sentinel
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as error:
                sock.close()
                last = error
        raise last or OSError(f"cannot connect to {host}:{port}")

    return create_connection


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, allow_private: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _pinned_connection(allow_private)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    # The TLS handshake and the certificate check still use the host name (server_hostname).
    def __init__(self, *args: Any, allow_private: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _pinned_connection(allow_private)


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def http_open(self, req: Any) -> Any:
        return self.do_open(
            functools.partial(_PinnedHTTPConnection, allow_private=self.allow_private), req
        )


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def https_open(self, req: Any) -> Any:
        return self.do_open(
            functools.partial(_PinnedHTTPSConnection, allow_private=self.allow_private), req
        )


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Re-check every redirect target (a public URL may redirect to a private one)."""

    max_redirections = MAX_REDIRECTS

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        check_url(newurl, self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def opener(allow_private: bool) -> urllib.request.OpenerDirector:
    """The one way ingest opens URLs: connections pinned to the addresses they checked,
    redirects checked again, and no proxy from the environment (a proxy would resolve the
    name itself, past the check)."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _PinnedHTTPHandler(allow_private),
        _PinnedHTTPSHandler(allow_private),
        _CheckedRedirects(allow_private),
    )


def fetch(url: str, allow_private: bool | None = None) -> tuple[bytes, str]:
    """Download a public http(s) URL within FETCH_TIMEOUT s and MAX_FETCH_BYTES; return the
    body and its content type."""
    allow = _allow_private() if allow_private is None else allow_private
    check_url(url, allow)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    urls = opener(allow)
    deadline = time.monotonic() + FETCH_TIMEOUT
    chunks: list[bytes] = []
    size = 0
    try:
        with urls.open(request, timeout=FETCH_TIMEOUT) as response:
            content_type = response.headers.get("Content-Type", "")
            # The socket timeout bounds each read, not the whole download: a server that
            # trickles bytes is stopped by the deadline.
            while size <= MAX_FETCH_BYTES:
                if time.monotonic() > deadline:
                    raise InputError(
                        f"{url}: the download took longer than {FETCH_TIMEOUT:g} s; download "
                        "it and ingest the file"
                    )
                chunk = response.read1(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except urllib.error.HTTPError as error:
        raise InputError(f"{url}: the server answered {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, InputError):
            raise reason from None
        raise InputError(
            f"{url}: cannot fetch it ({reason}); check the URL and the network"
        ) from None
    if size > MAX_FETCH_BYTES:
        raise InputError(
            f"{url}: larger than {MAX_FETCH_BYTES // 2**20} MiB; download it and ingest the file"
        )
    return b"".join(chunks), content_type.lower()


def _decode(content: bytes, source: str) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{source}: not UTF-8 text (byte {error.start}); convert it to UTF-8"
        ) from None


_UNKNOWN = (
    "cannot tell what this is; ingest .jsonl/.json articles, RSS/Atom feeds (.xml/.rss/.atom) "
    "or HTML pages (.html)"
)


def read_content(
    content: bytes,
    source: str,
    registry: SourceRegistry,
    url: str | None = None,
    content_type: str = "",
) -> Iterator[Record]:
    """Yield the records of a downloaded document, by its kind."""
    kind = _kind_of(url or source, content[:65536], content_type)
    if kind == "jsonl":
        yield from read_jsonl(_decode(content, source).splitlines(), source)
    elif kind == "json":
        yield from read_json(_decode(content, source), source)
    elif kind == "feed":
        yield from read_feed(content, source, registry)
    elif kind == "html":
        yield from read_html(content, source, url, registry)
    else:
        yield Record(source, error=_UNKNOWN)


def read_file(path: Path, registry: SourceRegistry) -> Iterator[Record]:
    """Yield the records of a file; JSONL is streamed line by line, whatever its size."""
    source = str(path)
    with path.open("rb") as handle:
        head = handle.read(65536)
    kind = _kind_of(source, head)
    if kind == "jsonl":
        with path.open(encoding="utf-8-sig", errors="strict") as lines:
            try:
                yield from read_jsonl(lines, source)
            except UnicodeDecodeError as error:
                yield Record(
                    source, error=f"not UTF-8 text (byte {error.start}); convert it to UTF-8"
                )
        return
    yield from read_content(path.read_bytes(), source, registry)


def expand(targets: Sequence[str]) -> Iterator[str]:
    """Yield files and URLs to read: a directory stands for the files in it."""
    for target in targets:
        if target.startswith(("http://", "https://")):
            yield target
            continue
        path = Path(target)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in (
                    _JSONL_SUFFIXES | _FEED_SUFFIXES | _HTML_SUFFIXES | {".json"}
                ):
                    yield str(child)
        elif path.exists():
            yield str(path)
        else:
            raise InputError(
                f"{target}: no such file or directory; pass files, directories or URLs"
            )


def read_targets(targets: Iterable[str], registry: SourceRegistry) -> Iterator[Record]:
    """Yield the records of every file and URL."""
    for target in targets:
        if target.startswith(("http://", "https://")):
            try:
                body, content_type = fetch(target)
            except InputError as error:
                yield Record(target, error=str(error).removeprefix(f"{target}: "))
                continue
            yield from read_content(body, target, registry, url=target, content_type=content_type)
        else:
            try:
                yield from read_file(Path(target), registry)
            except OSError as error:
                yield Record(target, error=f"cannot read it ({error.strerror})")
            except InputError as error:
                yield Record(target, error=str(error).removeprefix(f"{target}: "))
