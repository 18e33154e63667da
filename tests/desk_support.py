"""Test-only pieces of the desk tests: the scripted model the worker processes load through
STORYDESK_TEST_BACKEND, and helpers to start and stop real server and worker processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agent.llm.fake import FakeModel

ROOT = Path(__file__).resolve().parent.parent
BACKEND = "tests.desk_support:scripted_backend"


def scripted_backend() -> FakeModel:
    """The careful scripted model of the graph tests, slowed by STORYDESK_TEST_MODEL_DELAY s
    per call (so a test can kill a worker mid-draft)."""
    from tests.helpers import scripted

    fake = scripted(FakeModel())
    delay = float(os.environ.get("STORYDESK_TEST_MODEL_DELAY", "0"))
    if delay:
        inner = fake.generate

        def slow(*args: Any, **kwargs: Any) -> Any:
            time.sleep(delay)
            return inner(*args, **kwargs)

        fake.generate = slow  # type: ignore[method-assign]
    return fake


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def desk_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYDESK_", "OPENAI_"))}
    env.update(
        {
            "STORYDESK_DATA_DIR": str(data_dir),
            "STORYDESK_CACHE": "false",
            "STORYDESK_TEST_BACKEND": BACKEND,
            "STORYDESK_DESK_LEASE_SECONDS": "3",
            "STORYDESK_DESK_REAP_SECONDS": "0.5",
            "STORYDESK_DESK_REQUEUE_SECONDS": "5",
            "STORYDESK_DESK_BACKOFF_SECONDS": "0.2",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "agent.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(check: Any, timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
