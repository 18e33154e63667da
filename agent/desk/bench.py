"""`storydesk bench queue`: drafts per second through the desk's queue and worker processes.

The model is instant (each call answered from a recording of the embedded model's answers for
the same cluster, `evals.bench.replay_backend`), so the figures are the desk's own cost: the
queue, the job rows, the leases, the checkpoints and the graph. Each run starts real `storydesk
worker -n W` processes on a fresh data dir, warms them up (imports, the agent), then times N
drafts from trigger to needs_review. The engines: SQLite with SqliteHuey (the defaults), and
PostgreSQL with Redis (a schema and a Redis database of the run's own, removed afterwards).
Last, one draft with the embedded model itself, trigger to needs_review.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.errors import ConfigError, InputError
from agent.settings import Settings

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def copies(cluster: dict[str, Any], n: int, tag: str) -> list[dict[str, Any]]:
    """n copies of a cluster that the desk drafts separately (their content hashes differ: the
    first article's URL carries the copy's number) while every prompt stays the same (URLs are
    not shown to the model), so the recorded answers serve them all."""
    out = []
    for k in range(n):
        articles = [dict(a) for a in cluster["articles"]]
        url = articles[0].get("url") or "https://example.org/article"
        articles[0]["url"] = f"{url}{'&' if '?' in url else '?'}copy={tag}-{k}"
        out.append({**cluster, "id": f"{cluster['id']}-{tag}-{k}", "articles": articles})
    return out


def record_answers(settings: Settings, cluster: dict[str, Any], path: Path) -> dict[str, Any]:
    """Draft the cluster once with the embedded model, keeping every answer for the replay.

    "Now" is the clock, as in a worker, so the workers' prompts are the recorded ones.
    """
    from agent.api import StoryAgent
    from agent.llm.backends import LocalBackend
    from agent.llm.gateway import Gateway
    from agent.schemas import parse_cluster
    from evals.bench import Recorder, save_answers

    with tempfile.TemporaryDirectory(prefix="storydesk-bench-record-") as scratch:
        local_settings = settings.model_copy(update={"data_dir": Path(scratch)})
        recorder = Recorder(LocalBackend(local_settings))
        gateway = Gateway(
            recorder,
            temperature=local_settings.temperature,
            seed=local_settings.seed,
            output_attempts=local_settings.output_attempts,
        )
        started = time.perf_counter()
        with StoryAgent(local_settings, gateway=gateway) as agent:
            agent.draft(parse_cluster(cluster))
        seconds = time.perf_counter() - started
    save_answers(recorder.answers, path)
    return {"record_seconds": seconds, "recorded_calls": sum(map(len, recorder.answers.values()))}


def _env(data_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYDESK_", "OPENAI_"))}
    keep = ("STORYDESK_N_THREADS", "STORYDESK_N_CTX", "STORYDESK_MODEL_PATH", "STORYDESK_LLM")
    env.update({k: v for k, v in os.environ.items() if k in keep})
    env.update(
        {
            "STORYDESK_DATA_DIR": str(data_dir),
            "STORYDESK_CACHE": "false",
            "STORYDESK_DESK_LEASE_SECONDS": "60",
        }
    )
    env.update(extra)
    return env


@contextmanager
def _engines(kind: str, pg_url: str, redis_url: str) -> Iterator[dict[str, str]]:
    """The environment of one engine pair: nothing for the defaults; else a PostgreSQL schema
    and a Redis queue of this run's own, cleaned up afterwards."""
    if kind == "sqlite":
        yield {}
        return
    try:
        import psycopg
        import redis
        from sqlalchemy.engine import make_url
    except ImportError:
        raise ConfigError(
            "the PostgreSQL/Redis queue bench needs pip install 'storydesk[postgres,redis]'"
        ) from None
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
        client.ping()
        connection = psycopg.connect(pg_url, connect_timeout=3, autocommit=True)
    except Exception as error:  # noqa: BLE001 - any failure means: no server to bench on
        raise ConfigError(
            f"the queue bench needs PostgreSQL at {pg_url} and Redis at {redis_url} ({error}); "
            "start them, pass --pg and --redis, or bench SQLite alone with --engines sqlite"
        ) from None
    schema = f"storydesk_bench_{uuid.uuid4().hex[:12]}"
    connection.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield {
            "STORYDESK_DATABASE_URL": url.render_as_string(hide_password=False),
            "STORYDESK_QUEUE_URL": redis_url,
        }
    finally:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        connection.close()
        client.close()


def _settings_of(settings: Settings, env: dict[str, str]) -> Settings:
    return settings.model_copy(
        update={
            "data_dir": Path(env["STORYDESK_DATA_DIR"]),
            "database_url": env.get("STORYDESK_DATABASE_URL"),
            "queue_url": env.get("STORYDESK_QUEUE_URL"),
            "cache": False,
        }
    )


def _wait(check: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
    raise InputError(f"queue bench: timed out after {timeout:.0f} s waiting for {what}\n{tail}")


class _Workers:
    """`storydesk worker -n W` as a child process, logging to a file."""

    def __init__(self, n: int, env: dict[str, str], log: Path) -> None:
        self.n = n
        self.log = log
        handle = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "worker", "-n", str(n)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()

    def started(self) -> bool:
        if self.process.poll() is not None:
            raise InputError(
                f"queue bench: the workers exited ({self.process.returncode})\n"
                + self.log.read_text(errors="replace")[-1500:]
            )
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count(" started (") >= self.n

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _drain(
    desk: Any, user: Any, clusters: list[dict[str, Any]], want: int, log: Path, timeout: float
) -> float:
    """Trigger a draft of each cluster; return the seconds until `want` drafts are in review."""
    from agent.desk.service import trigger

    started = time.perf_counter()
    for cluster in clusters:
        trigger(desk, cluster["id"], user)

    def done() -> bool:
        counts = desk.jobs.counts()
        if counts["failed"]:
            failed, _ = desk.jobs.find(status="failed", limit=1)
            raise InputError(f"queue bench: a draft failed: {failed[0].reason}")
        return bool(counts["needs_review"] >= want)

    _wait(done, timeout, f"{want} drafts to reach review", log)
    return time.perf_counter() - started


def run_engine(
    settings: Settings,
    engine: dict[str, str],
    workers: int,
    cluster: dict[str, Any],
    answers: Path,
    drafts: int,
    timeout: float,
) -> dict[str, Any]:
    """Drafts per second with W workers on one engine pair, after a warm-up of 2 W drafts."""
    from agent.desk.runtime import Desk
    from agent.desk.service import post_cluster

    with tempfile.TemporaryDirectory(prefix="storydesk-bench-queue-") as scratch:
        root = Path(scratch)
        env = _env(
            root / "data",
            {
                **engine,
                "STORYDESK_TEST_BACKEND": "evals.bench:replay_backend",
                "STORYDESK_BENCH_REPLAY": str(answers),
            },
        )
        desk = Desk.open(_settings_of(settings, env))
        user, _ = desk.users.add("Queue Bench", "editor")
        warm = copies(cluster, 2 * workers, f"warm{workers}")
        timed = copies(cluster, drafts, f"timed{workers}")
        for data in warm + timed:
            post_cluster(desk, data, user)
        log = root / "workers.log"
        pool = _Workers(workers, env, log)
        try:
            _wait(pool.started, 120, f"{workers} worker(s) to start", log)
            warm_seconds = _drain(desk, user, warm, len(warm), log, timeout)
            load = os.getloadavg()[0]
            cpu_before = _children_cpu(pool.process.pid)
            seconds = _drain(desk, user, timed, len(warm) + drafts, log, timeout)
            cpu_after = _children_cpu(pool.process.pid)
            cpu = cpu_after - cpu_before if cpu_after is not None and cpu_before else None
        finally:
            pool.stop()
            if engine.get("STORYDESK_QUEUE_URL"):
                desk.queue.huey.flush()
            desk.engine.dispose()
    return {
        "workers": workers,
        "drafts": drafts,
        "seconds": seconds,
        "drafts_per_second": drafts / seconds,
        "worker_cpu_seconds_per_draft": cpu / drafts if cpu is not None else None,
        "warmup_seconds": warm_seconds,
        "loadavg": load,
    }


def _children_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a process and its children so far (psutil, if there)."""
    try:
        import psutil
    except ImportError:
        return None
    try:
        parent = psutil.Process(pid)
        total = 0.0
        for member in [parent, *parent.children(recursive=True)]:
            times = member.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return None


def embedded_trigger(settings: Settings, cluster: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Trigger to needs_review for one draft with the embedded model on a started worker (its
    first job: the worker loads the model for it, as `storydesk worker` does)."""
    from agent.desk.runtime import Desk
    from agent.desk.service import get_story, post_cluster, trigger

    with tempfile.TemporaryDirectory(prefix="storydesk-bench-embedded-") as scratch:
        root = Path(scratch)
        env = _env(root / "data", {})
        desk = Desk.open(_settings_of(settings, env))
        user, _ = desk.users.add("Queue Bench", "editor")
        post_cluster(desk, cluster, user)
        log = root / "worker.log"
        pool = _Workers(1, env, log)
        try:
            _wait(pool.started, 120, "the worker to start", log)
            started = time.perf_counter()
            job, _ = trigger(desk, cluster["id"], user)

            def reached() -> bool:
                view = desk.jobs.get(job.id)
                if view.status == "failed":
                    raise InputError(f"queue bench: the embedded draft failed: {view.reason}")
                return bool(view.status == "needs_review")

            _wait(reached, timeout, "the embedded draft to reach review", log)
            seconds = time.perf_counter() - started
            story = get_story(desk, desk.jobs.get(job.id).story_id or "")
        finally:
            pool.stop()
            desk.engine.dispose()
    return {
        "cluster_id": cluster["id"],
        "trigger_to_review_seconds": seconds,
        "graph_seconds": story.provenance.seconds,
        "tokens": story.provenance.tokens.model_dump(mode="json"),
    }


def queue_bench(
    settings: Settings,
    *,
    cluster_path: Path,
    drafts: int = 24,
    workers: Sequence[int] = (1, 2, 4),
    engines: Sequence[str] = ("sqlite", "postgres+redis"),
    pg_url: str = DEFAULT_PG_URL,
    redis_url: str = DEFAULT_REDIS_URL,
    embedded: bool = True,
    timeout: float = 600.0,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every figure of the queue bench (see the module docstring)."""
    unknown = set(engines) - {"sqlite", "postgres+redis"}
    if unknown:
        raise InputError(f"unknown engines {sorted(unknown)}; choose sqlite, postgres+redis")
    if settings.backend != "local":
        raise InputError(
            "storydesk bench queue records the embedded model: unset OPENAI_BASE_URL and "
            "OPENAI_API_KEY (STORYDESK_LLM=local)"
        )
    cluster = json.loads(cluster_path.read_text(encoding="utf-8"))
    out: dict[str, Any] = {"cpus": os.cpu_count(), "loadavg_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="storydesk-bench-answers-") as scratch:
        answers = Path(scratch) / "answers.json"
        progress(f"queue: recording the embedded model's answers for {cluster['id']} ...")
        out["recording"] = record_answers(settings, cluster, answers)
        out["runs"] = []
        for kind in engines:
            for n in workers:
                progress(f"queue: {kind}, {n} worker(s), {drafts} drafts ...")
                with _engines(kind, pg_url, redis_url) as engine:
                    row = run_engine(settings, engine, n, cluster, answers, drafts, timeout)
                out["runs"].append({"engines": kind, **row})
    by = {(r["engines"], r["workers"]): r["drafts_per_second"] for r in out["runs"]}
    out["scaling"] = {
        f"{kind}_{n}_over_1": by[(kind, n)] / by[(kind, 1)]
        for kind in engines
        for n in workers
        if n != 1 and (kind, 1) in by
    }
    if embedded:
        progress(f"queue: one draft of {cluster['id']} with the embedded model ...")
        out["embedded"] = embedded_trigger(settings, cluster, timeout)
    out["loadavg_end"] = os.getloadavg()[0]
    return out


def format_queue(out: dict[str, Any]) -> str:
    """The queue bench's figures as plain text."""
    lines = [
        f"queue bench: {out['cpus']} cpus, load average {out['loadavg_start']:.1f} at start, "
        f"{out['loadavg_end']:.1f} at end; instant model = the embedded model's "
        f"{out['recording']['recorded_calls']} recorded answers, replayed"
    ]
    for r in out["runs"]:
        cpu = r.get("worker_cpu_seconds_per_draft")
        shown = f", worker CPU {cpu * 1000:.0f} ms/draft" if cpu is not None else ""
        lines.append(
            f"  {r['engines']:<15} {r['workers']} worker(s): {r['drafts']} drafts in "
            f"{r['seconds']:.2f} s = {r['drafts_per_second']:.2f} drafts/s{shown} "
            f"(load {r['loadavg']:.1f})"
        )
    for key, value in out["scaling"].items():
        lines.append(f"  scaling {key:<26} {value:.2f}x")
    if "embedded" in out:
        e = out["embedded"]
        lines.append(
            f"  embedded model, trigger -> needs_review: {e['trigger_to_review_seconds']:.1f} s "
            f"(graph {e['graph_seconds']} s, {e['tokens']} tokens; the worker's first job, so "
            "the model load is in it)"
        )
    return "\n".join(lines)
