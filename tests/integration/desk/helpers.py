"""Helpers for real desk processes (`storydesk serve`, `storydesk worker`) over the defaults (SQLite +
SqliteHuey) and over PostgreSQL + Redis (skipped, saying why, when those are absent)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.desk_support import ROOT, desk_env, free_port, start, stop, wait_for

PG_URL = os.environ.get("STORYDESK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("STORYDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@dataclass
class Running:
    """A served desk and the processes around it."""

    url: str
    env: dict[str, str]
    logs: Path
    token: str = ""
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    server: subprocess.Popen[bytes] | None = None

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token or self.token}"},
            timeout=30,
        )

    def worker(self, name: str, **extra: str) -> subprocess.Popen[bytes]:
        process = start(["worker"], {**self.env, **extra}, self.logs / f"{name}.log")
        self.workers.append(process)
        return process

    def add_user(self, name: str, role: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "agent.cli", "users", "add", name, "--role", role],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip().splitlines()[-1]

    def log_text(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in self.logs.glob("*.log")
        )


def pg_schema() -> Iterator[str]:
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg is not installed: pip install 'storydesk[postgres]'")
    try:
        connection = psycopg.connect(PG_URL, connect_timeout=3, autocommit=True)
    except Exception as error:  # noqa: BLE001 - any failure means: no server to test against
        pytest.skip(f"PostgreSQL not reachable at {PG_URL} ({str(error).strip()})")
    from sqlalchemy.engine import make_url

    schema = f"storydesk_desk_{uuid.uuid4().hex[:12]}"
    connection.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        connection.close()


def redis_url_or_skip() -> str:
    try:
        import redis
    except ImportError:
        pytest.skip("redis is not installed: pip install 'storydesk[redis]'")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as error:  # noqa: BLE001 - any failure means: no server to test against
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({error})")
    # A database of its own, so that another run's consumers do not take this run's ids.
    return f"{REDIS_URL.rstrip('/')}/{random.randint(1, 15)}"


def serve(tmp_path: Path, extra: dict[str, str]) -> Iterator[Running]:
    """Start `storydesk serve` with an editor token; stop everything afterwards."""
    logs = tmp_path / "logs"
    logs.mkdir()
    env = desk_env(tmp_path / "data", **extra)
    port = free_port()
    running = Running(url=f"http://127.0.0.1:{port}", env=env, logs=logs)
    running.token = running.add_user("Rachel Morgan", "editor")
    running.server = start(["serve", "--port", str(port)], env, logs / "serve.log")

    def up() -> bool:
        try:
            return httpx.get(f"{running.url}/docs", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, 60, "the server to answer")
        yield running
    finally:
        for process in [*running.workers, running.server]:
            stop(process)


def example_cluster() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "examples" / "koizumi-hegseth.json").read_text(encoding="utf-8")
    )
    return data
