"""The response cache lives in a directory only its owner can read, whoever created it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from agent.llm.cache import ResponseCache


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
