"""The queue: huey carries job ids, nothing else (the jobs table is the truth).

SqliteHuey in the data dir by default; (Priority)RedisHuey when STORYDESK_QUEUE_URL is redis://…, so
workers on many machines share it. huey is at-most-once: a message a killed consumer held is
gone, which is why the reaper sends queued jobs' ids again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from agent.errors import ConfigError
from agent.settings import Settings

log = logging.getLogger("storydesk.desk")

TASK = "storydesk.run_job"
REDIS_TIMEOUT_SECONDS = 5.0
"""How long a queue operation waits on Redis before it fails (and is retried)."""
_handler: Callable[[str], object] | None = None


class JobQueue:
    """A huey instance with the one task it runs: take a job id and run that job."""

    def __init__(self, huey: Any) -> None:
        self.huey = huey
        self.task = huey.task(name=TASK, retries=0)(_run)

    def send(self, job_id: str, priority: int = 0) -> bool:
        """Enqueue a job id; False when the queue cannot be reached (the job stays queued)."""
        try:
            self.task(job_id, priority=priority)
        except Exception as error:  # noqa: BLE001 - redis/sqlite errors vary; the row is the truth
            log.warning(
                "could not send job %s to the queue (%s); the reaper will resend it", job_id, error
            )
            return False
        return True


def make_queue(settings: Settings) -> JobQueue:
    """Build the queue the settings name."""
    url = settings.queue_url
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        try:
            from huey import PriorityRedisHuey
            from redis import ConnectionPool
        except ImportError:
            raise ConfigError("a redis:// queue needs pip install 'storydesk[redis]'") from None
        # Bounded waits: a Redis that stops answering (a network cut that drops packets) makes
        # a send fail in seconds, not hang the request that triggered it; the job row stays
        # queued and the reaper sends its id again. The socket timeout outlasts huey's 1 s
        # blocking pop.
        pool = ConnectionPool.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            health_check_interval=30,
        )
        # The priority flavour: an editor's resume job overtakes queued drafts.
        huey: Any = PriorityRedisHuey("storydesk", connection_pool=pool, results=False)
    elif url:
        raise ConfigError(
            f"STORYDESK_QUEUE_URL {url!r} is not a redis:// URL; leave it unset for the "
            "SQLite queue in the data dir"
        )
    else:
        from huey import SqliteHuey

        path = settings.queue_path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        huey = SqliteHuey("storydesk", filename=str(path), results=False, timeout=30)
    return JobQueue(huey)


def _run(job_id: str) -> None:
    if _handler is None:
        raise RuntimeError("no job handler in this process; run jobs with `storydesk worker`")
    _handler(job_id)


def set_handler(handler: Callable[[str], object]) -> None:
    """Set what a consumer in this process does with a job id."""
    global _handler
    _handler = handler
