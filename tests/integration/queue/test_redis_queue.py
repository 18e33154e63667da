"""The desk's queue on a real Redis (127.0.0.1:6379, database 15, flushed): ids in, ids out.

Skips with a reason when the redis client or the server is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.desk import queue as desk_queue
from agent.settings import Settings

URL = os.environ.get("STORYDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/15"

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_db() -> Iterator[Any]:
    try:
        import redis
    except ImportError:
        pytest.skip("redis is not installed: pip install 'storydesk[redis]'")
    client = redis.Redis.from_url(URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"no Redis at {URL} ({error}); start one or set STORYDESK_TEST_REDIS_URL")
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def _drain(queue: desk_queue.JobQueue) -> list[str]:
    seen: list[str] = []
    desk_queue.set_handler(seen.append)
    try:
        while (task := queue.huey.dequeue()) is not None:
            queue.huey.execute(task)
    finally:
        desk_queue.set_handler(lambda job_id: None)
    return seen


def test_job_ids_go_through_redis_and_priority_overtakes(redis_db: Any, tmp_path: Path) -> None:
    queue = desk_queue.make_queue(Settings(data_dir=tmp_path, queue_url=URL))
    assert type(queue.huey).__name__ == "PriorityRedisHuey"
    assert queue.send("draft-1") and queue.send("draft-2") and queue.send("resume-1", priority=9)
    assert redis_db.dbsize() > 0  # the messages are in Redis, not in memory
    # A second queue object (another process would do the same) sees the same messages.
    other = desk_queue.make_queue(Settings(data_dir=tmp_path, queue_url=URL))
    assert _drain(other) == ["resume-1", "draft-1", "draft-2"]
    assert _drain(queue) == []


def test_an_unreachable_redis_leaves_the_job_to_the_reaper(tmp_path: Path) -> None:
    pytest.importorskip("redis")
    queue = desk_queue.make_queue(Settings(data_dir=tmp_path, queue_url="redis://127.0.0.1:9/0"))
    assert queue.send("draft-1") is False
