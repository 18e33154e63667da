"""The response cache lives in a directory only its owner can read, whoever created it."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.llm.cache import ResponseCache, cache_key


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_existing_open_cache_directory_is_made_private(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    os.chmod(directory, 0o755)  # made earlier by someone else, readable by all
    cache = ResponseCache(directory)
    try:
        assert _mode(directory) == 0o700
    finally:
        cache.close()


def test_a_new_cache_directory_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        cache = ResponseCache(tmp_path / "new" / "cache")
    finally:
        os.umask(old)
    try:
        assert _mode(tmp_path / "new" / "cache") == 0o700
        cache.set("k" * 64, {"value": {"x": 1}})
        assert cache.get("k" * 64) == {"value": {"x": 1}}
    finally:
        cache.close()


def test_rows_persist_in_that_directory_and_large_ones_round_trip(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    cache = ResponseCache(directory)
    big = {"value": {"text": "é" * 50_000}}  # over diskcache's inline size: stored as a file
    cache.set("b" * 64, big)
    cache.set("s" * 64, {"value": {"text": "Tōkyō"}})
    cache.close()
    assert (directory / "cache.db").exists()
    again = ResponseCache(directory)
    try:
        assert again.get("b" * 64) == big
        assert again.get("s" * 64) == {"value": {"text": "Tōkyō"}}
    finally:
        again.close()


def test_rows_that_are_not_a_json_object_are_dropped(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache")
    try:
        cache._cache.set("l" * 64, "[1, 2]")
        cache._cache.set("x" * 64, "{not json")
        assert cache.get("l" * 64) is None
        assert cache.get("x" * 64) is None
        assert "x" * 64 not in cache._cache  # the broken row is deleted, not read again
    finally:
        cache.close()


def test_only_text_keys_and_json_text_values_are_stored(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache")
    try:
        with pytest.raises(TypeError, match="^cache keys are sha256 hex strings$"):
            cache._cache.set(42, "{}")
        with pytest.raises(TypeError, match="^the response cache stores JSON text only$"):
            cache._cache.set("k" * 64, {"a": 1})
    finally:
        cache.close()


def test_cache_dir_is_private_and_holds_json_only(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache")
    assert stat.S_IMODE(os.stat(tmp_path / "cache").st_mode) == 0o700
    cache.set("k", {"value": {"a": 1}})
    assert cache.get("k") == {"value": {"a": 1}}
    with pytest.raises(TypeError):
        cache._cache.set("other", {"not": "json text"})  # would be pickled by plain diskcache


def test_pickled_rows_are_refused_on_read(tmp_path: Path) -> None:
    import diskcache

    directory = tmp_path / "cache"
    planted = diskcache.Cache(str(directory))  # a default Disk pickles non-str values
    key = cache_key({"x": 1})
    planted.set(key, {"payload": "pickled"})
    planted.close()
    with sqlite3.connect(directory / "cache.db") as db:
        assert db.execute("select count(*) from Cache where mode = 4").fetchone()[0] == 1
    cache = ResponseCache(directory)
    assert cache.get(key) is None  # refused, not unpickled
    assert cache.get(key) is None  # and dropped


def test_a_cache_directory_that_cannot_be_made_says_what_to_do(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        ResponseCache(blocker / "cache")
    message = str(caught.value)
    assert message.startswith(f"cannot create the cache directory {blocker / 'cache'} (")
    assert message.endswith("); set STORYDESK_DATA_DIR to a writable folder or pass --no-cache"), (
        message
    )


def test_non_ascii_answers_round_trip(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache")
    try:
        cache.set("k" * 64, {"text": "Koizumi – 小泉進次郎 – « déjà »"})
        assert cache.get("k" * 64) == {"text": "Koizumi – 小泉進次郎 – « déjà »"}
    finally:
        cache.close()


def test_a_key_depends_on_the_content_not_on_the_order_it_was_built_in() -> None:
    first = {"model": "m", "schema": {"title": "A", "type": "object"}, "seed": 7}
    second = {"seed": 7, "schema": {"type": "object", "title": "A"}, "model": "m"}
    assert cache_key(first) == cache_key(second)
    assert cache_key(first) != cache_key({**first, "seed": 8})
