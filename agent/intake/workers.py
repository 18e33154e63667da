"""Work that large clustering runs hand to a helper process (text analysis and dedup).

Both are pure functions of the texts, so a run analyses the next batch in the helper while it
places the current one, and shares dedup with it; the results are the same either way.

The helper runs this file as a script, talking length-prefixed pickles over its stdin and
stdout. It is not a multiprocessing child: those re-import the caller's main script under
"spawn", and inherit locks and connections under "fork". It loads only the two modules it needs
(features and dedup use nothing but the standard library), so it starts in a fraction of a
second instead of importing all of storydesk.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pickle
import struct
import subprocess
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from types import ModuleType
from typing import IO, Any

_HERE = Path(__file__).resolve().parent
_HEADER = struct.Struct("!Q")
_modules: dict[str, ModuleType] = {}
_analyzer: Any = None


def _module(name: str) -> ModuleType:
    # In storydesk: the package's module. In the helper: the same file, loaded on its own.
    if name not in _modules:
        if __name__ != "__main__":
            _modules[name] = importlib.import_module(name)
        else:
            path = {
                "agent.checks.dedup": _HERE.parent / "checks" / "dedup.py",
                "agent.intake.features": _HERE / "features.py",
            }[name]
            spec = importlib.util.spec_from_file_location(f"_storydesk_{path.stem}", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            _modules[name] = module
    return _modules[name]


def analyze_batch(items: Sequence[tuple[str, str]]) -> list[dict[str, float]]:
    """Return the term counts of (title, text) pairs."""
    global _analyzer
    if _analyzer is None:
        _analyzer = _module("agent.intake.features").Analyzer()
    return [_analyzer.counts(title, text) for title, text in items]


_weigher: Any = None


def start_weighing(state: tuple[dict[str, int], int]) -> None:
    """Start weighing a run's batches against these document frequencies and count."""
    global _weigher
    df, documents = state
    _weigher = _module("agent.intake.features").BatchWeigher(df, documents)


def analyze_and_weigh(
    items: Sequence[tuple[str, str]],
) -> tuple[Counter[str], list[dict[str, float]]]:
    """Analyse and weigh the next batch of a run (see start_weighing): return the batch's
    document frequencies and each article's TF-IDF weights."""
    analyzed = analyze_batch(items)
    batch: Counter[str] = Counter()
    for counts in analyzed:
        batch.update(iter(counts))
    return batch, [vector.weights for vector in _weigher.weigh(analyzed)]


def duplicates_batch(
    groups: Sequence[tuple[str, Sequence[tuple[str, str]]]],
) -> list[tuple[str, dict[str, str]]]:
    """Return {copy id: original id} for each (cluster id, [(article id, text)]) group."""
    find = _module("agent.checks.dedup").syndicated_duplicates
    return [(cluster_id, find(items) if len(items) > 1 else {}) for cluster_id, items in groups]


TASKS: dict[str, Callable[[Any], Any]] = {
    "analyze": analyze_batch,
    "start weighing": start_weighing,
    "analyze and weigh": analyze_and_weigh,
    "duplicates": duplicates_batch,
}


def _send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 - our own helper process, over a private pipe


class Helper:
    """One helper process; `submit` returns a Future, answered in order."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(_HERE / "workers.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()
        # A reader thread drains answers as they come, so the helper never blocks on a full pipe.
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        while True:
            try:
                ok, value = _receive(self._process.stdout)
            except (EOFError, OSError, pickle.UnpicklingError):
                break
            with self._lock:
                future = self._futures.pop(0)
            if ok:
                future.set_result(value)
            else:
                future.set_exception(RuntimeError(f"the clustering helper failed:\n{value}"))
        with self._lock:
            waiting, self._futures = self._futures, []
        for future in waiting:
            future.set_exception(RuntimeError("the clustering helper process stopped"))

    def submit(self, task: str, payload: Any) -> Future[Any]:
        """Send work; the Future resolves when the helper answers."""
        future: Future[Any] = Future()
        with self._lock:
            self._futures.append(future)
        assert self._process.stdin is not None
        try:
            _send(self._process.stdin, (task, payload))
        except (BrokenPipeError, OSError):
            with self._lock:
                if future in self._futures:
                    self._futures.remove(future)
            future.set_exception(RuntimeError("the clustering helper process stopped"))
        return future

    def close(self) -> None:
        """Stop the helper."""
        if self._process.stdin is not None:
            try:
                self._process.stdin.close()
            except OSError:
                pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=5)


def helper_count(requested: int | None) -> int:
    """Return how many helpers to use: by default one per core left idle, at most 3.

    On a busy machine a helper only competes with this process for the same core, so the
    default looks at the load average, not just the number of cores.
    """
    if requested is not None:
        return max(0, requested)
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    idle = cores - 1 - load  # this process takes one core
    return max(0, min(3, int(idle + 0.5)))


def _serve() -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            task, payload = _receive(stdin)
        except EOFError:
            return
        try:
            _send(stdout, (True, TASKS[task](payload)))
        except Exception:  # noqa: BLE001 - reported to the parent, which raises it
            _send(stdout, (False, traceback.format_exc()))


if __name__ == "__main__":
    _serve()
