"""The source registry: which outlet is which, and how it leans.

A record knows an outlet's names (its own, variants, and the qualified names rating sites use,
such as "CNN (Online News)" or "CNN - Editorial"), its web domains and its rating. Lookup by URL
domain walks up the host ("edition.cnn.com" -> "cnn.com"); lookup by name ignores case, accents,
punctuation, a leading "The" and qualifiers in parentheses, and prefers news over opinion desks.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import get_args
from urllib.parse import urlsplit

from agent.errors import InputError
from agent.schemas import Lean

LEANS: tuple[str, ...] = get_args(Lean)

DEFAULT_RATING_SOURCE = "storydesk default"

_LEAN_SYNONYMS: dict[str, str] = {
    "left": "left",
    "extreme left": "left",
    "far left": "left",
    "lean left": "lean-left",
    "leans left": "lean-left",
    "left center": "lean-left",
    "center left": "lean-left",
    "centre left": "lean-left",
    "left of center": "lean-left",
    "center": "center",
    "centre": "center",
    "least biased": "center",
    "neutral": "center",
    "lean right": "lean-right",
    "leans right": "lean-right",
    "right center": "lean-right",
    "center right": "lean-right",
    "centre right": "lean-right",
    "right of center": "lean-right",
    "right": "right",
    "extreme right": "right",
    "far right": "right",
    "mixed": "mixed",
    "allsides": "mixed",
    "balanced": "mixed",
    "unrated": "unrated",
    "not rated": "unrated",
    "unknown": "unrated",
    "na": "unrated",
    "n a": "unrated",
    "none": "unrated",
    "": "unrated",
    # MBFC categories that say nothing about left and right.
    "pro science": "unrated",
    "conspiracy pseudoscience": "unrated",
    "questionable": "unrated",
    "questionable source": "unrated",
    "satire": "unrated",
}
# AllSides' numeric scale (rating_num): 1 left .. 5 right.
_LEAN_NUMBERS = {"1": "left", "2": "lean-left", "3": "center", "4": "lean-right", "5": "right"}

_OPINION_WORDS = ("opinion", "editorial", "blog", "cartoon", "op ed", "oped", "commentary")
_GENERIC_SUFFIXES = {"news", "online", "com", "media", "newspaper", "web", "network"}
_RATING_SITES = ("allsides.com", "mediabiasfactcheck.com")


def parse_lean(value: str) -> Lean | None:
    """Map a rating label ("Lean Left", "left-center", "3", "extreme-right") to a Lean."""
    text = value.strip().lower()
    if text in _LEAN_NUMBERS:
        return _LEAN_NUMBERS[text]  # type: ignore[return-value]
    key = re.sub(r"[^a-z]+", " ", text).strip()
    lean = _LEAN_SYNONYMS.get(key)
    return lean  # type: ignore[return-value]


def normalize_name(name: str) -> str:
    """Fold an outlet name for comparison: lower case, no accents or punctuation, no "the"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    if text.startswith("the "):
        text = text[4:]
    return text


def split_qualifier(name: str) -> tuple[str, str]:
    """Split "CNN (Online News)" or "CNN - Editorial" into ("CNN", "Online News")."""
    match = re.match(r"^(.*?)\s*\(([^)]*)\)\s*$", name)
    if match and match.group(1).strip():
        return match.group(1).strip(), match.group(2).strip()
    parts = re.split(r"\s+[-\u2013\u2014|]\s+", name, maxsplit=1)
    if len(parts) == 2 and parts[0].strip():
        return parts[0].strip(), parts[1].strip()
    return name.strip(), ""


def _is_opinion(qualifier: str) -> bool:
    folded = normalize_name(qualifier)
    return any(word in folded for word in _OPINION_WORDS)


def _strip_generic(key: str) -> str:
    words = key.split()
    while len(words) > 1 and words[-1] in _GENERIC_SUFFIXES:
        words.pop()
    return " ".join(words)


def normalize_domain(value: str) -> str | None:
    """Return the lower-case host of a URL or bare domain, without "www."; None if there is none."""
    text = value.strip().lower()
    if not text:
        return None
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    host = host.rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host


def _domain_chain(host: str) -> Iterator[str]:
    # edition.cnn.com -> edition.cnn.com, cnn.com (never a bare public suffix like "com").
    labels = host.split(".")
    for start in range(len(labels) - 1):
        yield ".".join(labels[start:])


@dataclass(frozen=True)
class SourceRecord:
    """One outlet with its lean and where that rating comes from."""

    name: str
    lean: Lean = "unrated"
    domains: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    factuality: str | None = None
    owner: str | None = None
    country: str | None = None
    rating_source: str = DEFAULT_RATING_SOURCE
    rating_url: str | None = None
    kind: str | None = None

    def names(self) -> tuple[str, ...]:
        """Return the name and every alias."""
        return (self.name, *self.aliases)

    def merged_with(self, newer: SourceRecord) -> SourceRecord:
        """Return this record updated by a newer rating of the same outlet (keeping its names)."""
        known = {normalize_name(self.name)}
        aliases_list: list[str] = []
        for alias in [*self.aliases, *newer.names()]:
            if normalize_name(alias) not in known:
                known.add(normalize_name(alias))
                aliases_list.append(alias)
        aliases = tuple(aliases_list)
        return replace(
            self,
            lean=newer.lean,
            domains=tuple(dict.fromkeys([*self.domains, *newer.domains])),
            aliases=aliases,
            factuality=newer.factuality or self.factuality,
            owner=newer.owner or self.owner,
            country=newer.country or self.country,
            rating_source=newer.rating_source,
            rating_url=newer.rating_url or self.rating_url,
            kind=newer.kind or self.kind,
        )

    def as_row(self) -> dict[str, str]:
        """Return the record as a row of the registry's own CSV format."""
        return {
            "name": self.name,
            "lean": self.lean,
            "domains": "|".join(self.domains),
            "aliases": "|".join(self.aliases),
            "factuality": self.factuality or "",
            "owner": self.owner or "",
            "country": self.country or "",
            "rating_source": self.rating_source,
            "rating_url": self.rating_url or "",
            "kind": self.kind or "",
        }


@dataclass
class ImportReport:
    """What a CSV import read, and the rows it skipped with the reason."""

    records: list[SourceRecord] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    shape: str = "storydesk"


class SourceRegistry:
    """Outlets by name and by domain."""

    def __init__(self, records: Iterable[SourceRecord] = ()) -> None:
        self._records: list[SourceRecord] = []
        self._by_key: dict[str, int] = {}
        self._by_base: dict[str, list[int]] = {}
        self._by_stripped: dict[str, list[int]] = {}
        self._by_domain: dict[str, int] = {}
        for record in records:
            self.add(record)

    @classmethod
    def default(cls) -> SourceRegistry:
        """Return the registry shipped with storydesk (agent/data/sources.csv)."""
        text = resources.files("agent").joinpath("data/sources.csv").read_text(encoding="utf-8")
        report = read_sources_csv(io.StringIO(text), "agent/data/sources.csv")
        if report.skipped:
            raise InputError("the packaged sources.csv is damaged: " + "; ".join(report.skipped))
        return cls(report.records)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[SourceRecord]:
        return iter(self._records)

    def find_same(self, record: SourceRecord) -> int | None:
        """Return the index of the record describing the same outlet, if any."""
        for name in record.names():
            index = self._by_key.get(normalize_name(name))
            if index is not None:
                return index
        # "CNN (Web News)" updates "CNN"; "CNN - Editorial" stays an outlet of its own.
        for name in record.names():
            base, qualifier = split_qualifier(name)
            if qualifier and not _is_opinion(qualifier):
                index = self._by_key.get(normalize_name(base))
                if index is not None and not self._is_opinion_record(index):
                    return index
        if not _is_opinion(split_qualifier(record.name)[1]):
            for domain in record.domains:
                index = self._by_domain.get(domain)
                if index is not None and not self._is_opinion_record(index):
                    return index
        return None

    def _is_opinion_record(self, index: int) -> bool:
        return all(_is_opinion(split_qualifier(n)[1]) for n in self._records[index].names())

    def add(self, record: SourceRecord) -> SourceRecord:
        """Add a record, or update the record of the same outlet (matched by name); return it."""
        index = self.find_same(record)
        if index is None:
            index = len(self._records)
            self._records.append(record)
        else:
            record = self._records[index].merged_with(record)
            self._records[index] = record
        self._index(index, record)
        return record

    def _index(self, index: int, record: SourceRecord) -> None:
        for name in record.names():
            key = normalize_name(name)
            if not key:
                continue
            self._by_key.setdefault(key, index)
            base, qualifier = split_qualifier(name)
            base_key = normalize_name(base)
            for table, value in (
                (self._by_base, base_key),
                (self._by_stripped, _strip_generic(base_key)),
            ):
                bucket = table.setdefault(value, [])
                if index not in bucket:
                    bucket.append(index)
            # A name that is itself a domain ("villagevoice.com") also answers URL lookups.
            as_domain = (
                normalize_domain(name)
                if re.fullmatch(r"[\w.-]+\.[a-z]{2,}", name.strip().lower())
                else None
            )
            if as_domain:
                self._by_domain.setdefault(as_domain, index)
        for domain in record.domains:
            self._by_domain.setdefault(domain, index)

    def _prefer(self, indexes: Sequence[int], name: str) -> SourceRecord:
        # Among "CNN (Online News)" and "CNN - Editorial", a bare "CNN" means the newsroom.
        _, qualifier = split_qualifier(name)
        wants_opinion = _is_opinion(qualifier)

        def rank(index: int) -> tuple[int, int]:
            opinion = self._is_opinion_record(index)
            return (0 if opinion == wants_opinion else 1, index)

        return self._records[min(indexes, key=rank)]

    def by_domain(self, url: str) -> SourceRecord | None:
        """Return the record of a URL's or domain's outlet."""
        host = normalize_domain(url)
        if host is None:
            return None
        for candidate in _domain_chain(host):
            index = self._by_domain.get(candidate)
            if index is not None:
                return self._records[index]
        return None

    def by_name(self, outlet: str) -> SourceRecord | None:
        """Return the record of an outlet name or one of its variants."""
        key = normalize_name(outlet)
        if not key:
            return None
        index = self._by_key.get(key)
        if index is not None:
            return self._records[index]
        base, _ = split_qualifier(outlet)
        base_key = normalize_name(base)
        if base_key in self._by_base:
            return self._prefer(self._by_base[base_key], outlet)
        stripped = _strip_generic(base_key)
        if stripped in self._by_stripped:
            return self._prefer(self._by_stripped[stripped], outlet)
        if re.fullmatch(r"[\w.-]+\.[a-z]{2,}", outlet.strip().lower()):
            return self.by_domain(outlet)
        return None

    def lookup(self, outlet: str | None = None, url: str | None = None) -> SourceRecord | None:
        """Find an outlet by its exact name, then its URL's domain, then looser name variants."""
        if outlet:
            index = self._by_key.get(normalize_name(outlet))
            if index is not None:
                return self._records[index]
        if url:
            record = self.by_domain(url)
            if record is not None:
                return record
        if outlet:
            return self.by_name(outlet)
        return None

    def lean_of(self, outlet: str | None = None, url: str | None = None) -> Lean:
        """Return the outlet's lean, "unrated" when the registry does not know it."""
        record = self.lookup(outlet, url)
        return record.lean if record is not None else "unrated"


# --------------------------------------------------------------------------- CSV import

_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "news_source", "outlet", "source", "source_name", "media", "publication"),
    "lean": (
        "lean",
        "rating",
        "bias",
        "bias_rating",
        "political_bias",
        "allsides_rating",
        "leaning",
    ),
    "lean_number": ("rating_num",),
    "domains": (
        "domains",
        "domain",
        "source_url_normalized",
        "source_url",
        "website",
        "homepage",
        "site",
    ),
    "url": ("url", "link"),
    "aliases": ("aliases", "variants", "names"),
    "factuality": ("factuality", "fact", "factual_reporting", "factual", "reliability"),
    "owner": ("owner", "ownership", "owned_by"),
    "country": ("country",),
    "rating_source": ("rating_source", "source_of_rating"),
    "rating_url": ("rating_url", "ref", "mbfc_url", "allsides_url"),
    "kind": ("kind", "type", "media_type"),
}


def _header_key(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


def _column_map(header: Sequence[str]) -> dict[str, int]:
    keys = [_header_key(value) for value in header]
    found: dict[str, int] = {}
    for field_name, synonyms in _COLUMNS.items():
        for synonym in synonyms:
            if synonym in keys:
                found[field_name] = keys.index(synonym)
                break
    return found


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[|;]", value) if part.strip()]


def _name_from_rating_url(url: str) -> str | None:
    # https://mediabiasfactcheck.com/the-village-voice/ -> "The Village Voice"
    path = urlsplit(url).path.strip("/")
    slug = path.rsplit("/", 1)[-1] if path else ""
    slug = re.sub(r"-(media-bias|bias|news-source)$", "", slug)
    if not slug:
        return None
    return " ".join(word.capitalize() for word in slug.split("-") if word)


def _detect_shape(columns: Mapping[str, int], header: Sequence[str]) -> str:
    keys = {_header_key(value) for value in header}
    if "news_source" in keys:
        return "allsides"
    if "source_url_normalized" in keys or ("fact" in keys and "bias" in keys):
        return "mbfc"
    return "storydesk"


def _sniff_dialect(first_line: str, source: str) -> type[csv.Dialect] | csv.Dialect:
    if source.lower().endswith(".tsv") or first_line.count("\t") > first_line.count(","):
        return csv.excel_tab
    return csv.excel


def read_sources_csv(
    stream: io.TextIOBase | io.StringIO, source: str, rating_source: str | None = None
) -> ImportReport:
    """Read outlet ratings from a CSV/TSV in the storydesk, AllSides or MBFC (Baly) shape."""
    text = stream.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(f"{source}: the file is empty; expected a CSV with a header row")
    dialect = _sniff_dialect(lines[0], source)
    rows = csv.reader(io.StringIO(text), dialect)
    header = next(rows)
    columns = _column_map(header)
    if "lean" not in columns and "lean_number" not in columns:
        raise InputError(
            f"{source}: line 1: no column with the lean (looked for "
            f"{', '.join(_COLUMNS['lean'])}); found {', '.join(header)}"
        )
    if "name" not in columns and "domains" not in columns:
        raise InputError(
            f"{source}: line 1: no column naming the outlet (looked for "
            f"{', '.join(_COLUMNS['name'] + _COLUMNS['domains'])}); found {', '.join(header)}"
        )
    shape = _detect_shape(columns, header)
    default_rating_source = rating_source or {
        "allsides": "AllSides",
        "mbfc": "Media Bias/Fact Check",
    }.get(shape, Path(source).name)
    report = ImportReport(shape=shape)

    def cell(row: Sequence[str], name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(row):
            return ""
        value = row[index].strip()
        return "" if value.upper() == "NA" else value

    for row in rows:
        line = rows.line_num
        if not any(value.strip() for value in row):
            continue
        raw_lean = cell(row, "lean")
        lean = parse_lean(raw_lean) if raw_lean else None
        if lean is None and cell(row, "lean_number"):
            lean = parse_lean(cell(row, "lean_number"))
        if lean is None:
            report.skipped.append(
                f"{source}: line {line}: lean {raw_lean!r} is not one of left, lean-left, center, "
                "lean-right, right, mixed, unrated (or an AllSides/MBFC label); fix or drop the row"
            )
            continue
        domains: list[str] = []
        for value in _split_list(cell(row, "domains")):
            domain = normalize_domain(value)
            if domain and domain not in domains:
                domains.append(domain)
        url = cell(row, "url")
        rating_url = cell(row, "rating_url") or None
        if url:
            if any(site in url for site in _RATING_SITES):
                rating_url = rating_url or url
            else:
                domain = normalize_domain(url)
                if domain and domain not in domains:
                    domains.append(domain)
        name = cell(row, "name")
        aliases = _split_list(cell(row, "aliases"))
        if not name:
            derived = _name_from_rating_url(rating_url) if rating_url else None
            name = derived or (domains[0] if domains else "")
            if domains and name != domains[0]:
                aliases.append(domains[0])
        if not name:
            report.skipped.append(f"{source}: line {line}: no outlet name or domain; fill one in")
            continue
        aliases = [alias for alias in dict.fromkeys(aliases) if alias and alias != name]
        report.records.append(
            SourceRecord(
                name=name,
                lean=lean,
                domains=tuple(domains),
                aliases=tuple(aliases),
                factuality=cell(row, "factuality").lower() or None,
                owner=cell(row, "owner") or None,
                country=cell(row, "country") or None,
                rating_source=cell(row, "rating_source") or default_rating_source,
                rating_url=rating_url,
                kind=cell(row, "kind") or None,
            )
        )
    return report


def load_sources_file(path: str | Path, rating_source: str | None = None) -> ImportReport:
    """Read a ratings file from disk, raising InputError when it cannot be read."""
    from agent.files import read_text

    text = read_text(path, "a CSV or TSV of outlet ratings", encoding="utf-8-sig")
    return read_sources_csv(io.StringIO(text), str(path), rating_source)
