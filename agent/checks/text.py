"""Deterministic text tools: sentences, words, numbers, names and quotes.

These carry the guarantees a weak model cannot: what is cited, what is quoted and what a claim
asserts are all found here, by rule, so the fact-check can hold a claim to its evidence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st gen gov sen rep rev col lt sgt capt cmdr adm maj pres vs etc
    inc ltd co corp no jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri
    sat sun u.s u.k u.n e.g i.e a.m p.m d.c ft mt approx dept est fig
    """.split()
)

_SENTENCE_END = re.compile(r"""([.!?…]+["”’')\]]*)\s+(?=["“‘(\[]?[A-Z0-9])""")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into
    is it its itself just me more most my myself no nor not of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself said says
    say told tells according new one two also would could may might must shall us per via amid
    """.split()
)

# Latin letters with their accented forms (Müller, José, Łódź), so names are not skipped.
_L = "A-Za-zÀ-ÖØ-öø-ɏ"
_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
_LOW = "a-zß-öø-ÿāăąćĉċčďđēĕėęěĝğġģĥħĩīĭįıĳĵķĺļľŀłńņňŋōŏőœŕŗřśŝşšţťŧũūŭůűųŵŷźżž"
_WORD = re.compile(rf"[{_L}][{_L}'\-]*[{_L}]|[{_L}]")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?!\d)")
_QUOTE = re.compile(r"[\"“]([^\"”]{3,400})[\"”]")
# Single quotes, told apart from apostrophes: no letter just outside them.
_SINGLE_QUOTE = re.compile(r"(?<![\w])['‘]([^'‘’\n]{3,300}?)['’](?![\w])")
# A name part is a whole capitalised token: "BioNTech", "JPMorgan" and "McDonald's" are one
# part each (never "Bio", "JPM" or "Mc"), so a name is compared as the text writes it.
_NAME_PART = rf"(?:[{_UP}]\.(?:[{_UP}]\.)*|[{_UP}][{_L}]*(?:[-'][{_L}]+)*(?![{_L}]))"
_NAME = re.compile(rf"(?<![{_L}]){_NAME_PART}(?:\s+{_NAME_PART})*")
NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
}
# "one" is left out: "one of the", "no one", "one-year" say no figure a claim could get wrong.
_NUMBER_WORD = re.compile(
    r"\b(" + "|".join(w for w in NUMBER_WORDS if w not in ("one", "zero")) + r")\b", re.IGNORECASE
)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# Capitalised words that start sentences or name days and months: not names on their own.
_NOT_NAMES = frozenset(
    """
    the a an in on at for but and or he she it they we i this that these those his her their
    its after before when while as if mr mrs ms dr there some many monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    according both also with from by to of meanwhile however last next earlier later since
    during about over under president minister secretary officials reports report
    """.split()
)


# The checks ask about the same evidence sentences claim after claim: the pure functions below
# remember their answers (a list is returned as a fresh copy, so a caller may change its own).
_MEMO_SIZE = 16384


@lru_cache(maxsize=_MEMO_SIZE)
def normalize(text: str) -> str:
    """Normalise quotes, dashes and spaces so verbatim comparisons are fair."""
    text = unicodedata.normalize("NFKC", text)
    text = (
        text.replace("“", '"')
        .replace("”", '"')
        .replace("‘", "'")
        .replace("’", "'")
        .replace("‑", "-")
        .replace("–", "-")
        .replace("—", "-")
    )
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, keeping abbreviations, initials and decimals together."""
    return list(_split_sentences(text))


@lru_cache(maxsize=1024)
def _split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n(?=\S)", text):
        # Sentences stay exact substrings of the text, so evidence quotes are verbatim.
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(paragraph):
            end = match.end(1)
            before = paragraph[start : match.start(1)]
            last_word = before.rsplit(" ", 1)[-1].lower().rstrip(".")
            if match.group(1) == "." and (
                last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word)
            ):
                continue
            sentence = paragraph[start:end].strip()
            if sentence:
                sentences.append(sentence)
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return [s for s in sentences if re.search(r"[A-Za-z]{2}", s)]


# Clustering (agent/intake/features.py) keeps its own tokenizer and stemmer on purpose: each is
# measurably better at its own task. A claim is held word by word to its evidence, so this one
# meets the inflections of one word (-ation, -ment, -er, -ly) and reads letters only (figures
# are numbers(), checked apart); a cluster is found by a story's rare terms, so clustering keeps
# figures and years, splits compounds and folds -e, doubled consonants and defence/defense.
# Measured: this stemmer in clustering costs ARI on the tuning half of the AllSides dev stories
# (0.948 -> 0.945 at 1x, 0.937 -> 0.933 at 3x; this tokenizer 0.948 -> 0.942, `storydesk
# cluster eval`); clustering's stemmer here costs SummEdits balanced accuracy (CV mean 0.675 ->
# 0.668, `storydesk eval run summedits --deterministic`).
@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix-stripping stemmer: enough to match 'agreed' with 'agree'."""
    word = word.lower().strip("'-")
    if word.endswith("'s"):
        word = word[:-2]
    for suffix, keep in (
        ("ations", 4),
        ("ation", 4),
        ("ments", 4),
        ("ment", 4),
        ("ings", 4),
        ("ing", 4),
        ("ies", 3),
        ("ied", 3),
        ("edly", 4),
        ("ed", 4),
        ("ers", 4),
        ("er", 5),
        ("es", 4),
        ("ly", 4),
        ("s", 3),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep - 1:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                base += "y"
            return base
    return word


def words(text: str) -> list[str]:
    """Return the words of the text, lowercased."""
    return list(_words(text))


@lru_cache(maxsize=_MEMO_SIZE)
def _words(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORD.findall(normalize(text)))


def content_words(text: str) -> list[str]:
    """Return stemmed words that carry meaning (no stopwords, no single letters)."""
    return list(_content_words(text))


@lru_cache(maxsize=_MEMO_SIZE)
def _content_words(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in _words(text) if w not in STOPWORDS and len(w) > 1)


def numbers(text: str) -> list[float]:
    """Return the numbers the text states, in digits or words, scaled ('2.5 million')."""
    return list(_numbers(text))


def forget() -> None:
    """Drop what the text functions remember (stems excepted: a word's stem never changes)."""
    normalize.cache_clear()
    not_reporting.cache_clear()
    for memoized in (_words, _content_words, _numbers, _quotes, _names, _split_sentences):
        memoized.cache_clear()


@lru_cache(maxsize=_MEMO_SIZE)
def _numbers(text: str) -> tuple[float, ...]:
    text = normalize(text)
    found: list[float] = []
    for match in _NUMBER.finditer(text):
        value = float(
            match.group(1).replace(",", "") + ("." + match.group(2) if match.group(2) else "")
        )
        tail = text[match.end() : match.end() + 12].lower()
        for scale_word, scale in _SCALE.items():
            if tail.lstrip().startswith(scale_word):
                value *= scale
        found.append(value)
    for match in _NUMBER_WORD.finditer(text):
        value = float(NUMBER_WORDS[match.group(1).lower()])
        tail = text[match.end() : match.end() + 12].lower()
        for scale_word, scale in _SCALE.items():
            if tail.lstrip().startswith(scale_word):
                value *= scale
        found.append(value)
    return tuple(found)


def quotes(text: str) -> list[str]:
    """Return the phrases the text puts in quotation marks."""
    return list(_quotes(text))


@lru_cache(maxsize=_MEMO_SIZE)
def _quotes(text: str) -> list[str]:
    found = _QUOTE.findall(normalize(text))
    # Curly single quotes are read before normalize() turns them into apostrophes.
    found += _SINGLE_QUOTE.findall(unicodedata.normalize("NFKC", text))
    return list(dict.fromkeys(q.strip() for q in found if len(q.split()) >= 2))


def names(text: str) -> list[str]:
    """Return capitalised name-like phrases (people, places, organisations)."""
    return list(_names(text))


@lru_cache(maxsize=_MEMO_SIZE)
def _names(text: str) -> list[str]:
    found = []
    for match in _NAME.finditer(normalize(text)):
        parts = [p for p in match.group(0).split() if p.lower().rstrip(".") not in _NOT_NAMES]
        if not parts:
            continue
        parts = [re.sub(r"'s$", "", p) for p in parts]
        phrase = " ".join(parts)
        if len(phrase) >= 2:
            found.append(phrase)
    return found


def contains_phrase(haystack: str, needle: str) -> bool:
    """True when the needle occurs in the haystack, ignoring case, quotes and spacing."""
    return normalize(needle).lower() in normalize(haystack).lower()


def overlap(claim: str, evidence: str) -> float:
    """Share of the claim's content words found in the evidence."""
    claim_words = set(content_words(claim))
    if not claim_words:
        return 1.0
    evidence_words = set(content_words(evidence))
    return len(claim_words & evidence_words) / len(claim_words)


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def is_prose(text: str, minimum_words: int = 4) -> bool:
    """True for a real sentence: enough words, not just a date or a list of ids."""
    return len([w for w in words(text) if len(w) > 1]) >= minimum_words


# Text that is not reporting: addressed to a model (prompt injection) or to the reader
# (sign-up, sharing, navigation), or page furniture (credits, copyright). Each pattern names
# why, so the editor's flag says what was left out. Matched on the normalised sentence.
_NOT_REPORTING: list[tuple[str, re.Pattern[str]]] = [
    (
        "an instruction to a language model",
        re.compile(
            r"\b(ignore|disregard|forget|override)\b.{0,30}\b(previous|prior|above|earlier|"
            r"all|any|your)\b.{0,20}\b(instructions?|prompts?|rules|directions)\b"
            r"|\b(you are|act as|pretend to be)\s+(an?\s+)?(ai|assistant|language model|"
            r"chatbot|llm)\b|\bas an ai\b|\b(new|updated|real) instructions?\s*:"
            r"|\b(write|say|state|report|claim)\s+that\b.{0,80}\binstead\b"
            r"|\bdo not (mention|summari[sz]e|report)\b"
            r"|^\W*(write|say|report|state|claim|announce|tell (readers|users))\s+that\b"
            r"|\b(developer|jailbreak|god) mode\b|\byou must (say|write|report|state)\b",
            re.I,
        ),
    ),
    (
        "a fake system or chat-role line",
        re.compile(r"^\W*(system|assistant|user|developer|prompt)\s*(message)?\s*[:>\]]", re.I),
    ),
    (
        "a sign-up or subscription prompt",
        re.compile(
            r"\b(sign up (for|to|here|now|today)\b|sign up\W*$|signup|"
            r"subscribe (now|here|today|to our)|"
            r"newsletter|log in to|register (now|here|for free)|"
            r"create an? (free )?account|become a member|support our journalism|"
            r"donate (now|today))\b",
            re.I,
        ),
    ),
    (
        "a sharing or navigation prompt",
        re.compile(
            r"\b(click here|send this (page|article|story)|share (this|on)|email this|"
            r"follow us|download (our|the) app|read more\b|continue reading|"
            r"see also|related (stories|articles|coverage)\s*:|watch the video|"
            r"listen to (this|the) (article|story|podcast))",
            re.I,
        ),
    ),
    ("an editor's note", re.compile(r"^\W*(editor'?s note|editors'? note|correction)\s*:", re.I)),
    (
        "a photo or copyright credit",
        re.compile(
            r"^\W*(photo|image|picture|video|file photo|credit|illustration)\s*(credit)?\s*:"
            r"|\((photo|image)\s*(by|credit|:)|\b(getty images|ap photo|afp via getty|"
            r"reuters/|shutterstock)\b|\ball rights reserved\b|©|\bcopyright \d{4}\b",
            re.I,
        ),
    ),
    (
        "text about the page itself",
        re.compile(
            r"\b(the|this) (ad|video|chart|graphic|photo|image|map|poll|form|list|story|article)"
            r" (below|above)\b|\b(see|watch|read|listen) (below|above)\b",
            re.I,
        ),
    ),
    (
        "a transcript or download notice",
        re.compile(
            r"\b(rush transcript|download (the )?(pdf|transcript|maps?|app)|"
            r"this copy may not be in "
            r"its final form|transcript (is|was) (provided|prepared))\b",
            re.I,
        ),
    ),
    ("an advertisement", re.compile(r"^\W*(advertisement|sponsored( content)?|ad)\W*$", re.I)),
    (
        # A scraped page's tags or script left in the text: printed, they would be the page's
        # code, not its news ("…an official said.</p><script>x()</script>").
        "page markup",
        re.compile(r"<(/?(p|div|span|br|a|b|i|em|strong|img|script|style|iframe)\b|!--)", re.I),
    ),
]


@lru_cache(maxsize=_MEMO_SIZE)
def not_reporting(sentence: str) -> str | None:
    """Why a sentence is not news reporting (an instruction, a prompt, a credit), else None."""
    text = normalize(sentence)
    for reason, pattern in _NOT_REPORTING:
        if pattern.search(text):
            return reason
    return None


def shared_words(a: str, b: str) -> float:
    """Share of the shorter text's content words that the other also has (0 when empty)."""
    wa, wb = set(content_words(a)), set(content_words(b))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))
