"""The model response cache: diskcache holding JSON text only, in a private directory.

diskcache 5.6.3 unpickles values by default (CVE-2025-69872): a row planted in the cache
database could run code on read. This Disk stores only `str` values and refuses to read any
row that was stored in pickle mode.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import diskcache
from diskcache.core import MODE_PICKLE

from agent.errors import ConfigError


class UnsafeCacheRow(RuntimeError):
    """A cache row was not stored as JSON text."""


class JSONOnlyDisk(diskcache.Disk):  # type: ignore[misc]
    """A diskcache Disk that stores and returns JSON text only, never pickles."""

    def put(self, key: Any) -> Any:
        if not isinstance(key, str):
            raise TypeError("cache keys are sha256 hex strings")
        return super().put(key)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise UnsafeCacheRow("refusing a pickled cache key")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = None) -> Any:
        if read or not isinstance(value, str):
            raise TypeError("the response cache stores JSON text only")
        return super().store(value, read, key=key)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == MODE_PICKLE:
            raise UnsafeCacheRow("refusing a pickled cache row")
        return super().fetch(mode, filename, value, read)


def cache_key(parts: dict[str, Any]) -> str:
    """Hash everything that determines a response into one key."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    """JSON-only response cache in a directory only its owner can read."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.directory, 0o700)
        except OSError as error:
            raise ConfigError(
                f"cannot create the cache directory {self.directory} ({error.strerror}); "
                "set STORYDESK_DATA_DIR to a writable folder or pass --no-cache"
            ) from None
        self._cache = diskcache.Cache(str(self.directory), disk=JSONOnlyDisk)

    def get(self, key: str) -> dict[str, Any] | None:
        """Return the cached JSON object for the key, or None; drop rows that are not JSON."""
        try:
            text = self._cache.get(key)
        except UnsafeCacheRow:
            self._cache.delete(key)
            return None
        if text is None:
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            self._cache.delete(key)
            return None
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict[str, Any]) -> None:
        self._cache.set(key, json.dumps(value, ensure_ascii=False))

    def close(self) -> None:
        self._cache.close()
