"""Load benchmark: N drafts queued at once, W worker processes, an instant scripted model.

    python -m tests.integration.reliability.load --drafts 200 --workers 4

Starts `storydesk serve` and `storydesk worker -n W` on a fresh data dir (SQLite + SqliteHuey;
--pg/--redis URLs for the other engines), posts N copies of the example cluster, triggers all
N drafts, and while they run samples GET of story pages and of the queue page (/). Prints
p50/p95 of each, the time until all finished, and the peak RSS of every process (polled every
0.2 s). Exits 1 if any draft did not reach needs_review.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

from tests.desk_support import ROOT, desk_env, free_port, start, stop, wait_for
from tests.integration.reliability.support import COUNTING_BACKEND, MODEL_LOG, model_requests
from tests.integration.reliability.table import record


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _login(base: str, token: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login").text
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    assert nonce, page[:300]
    client.post("/login", data={"token": token, "nonce": nonce.group(1), "next": "/"})
    return client


def run(drafts: int, workers: int, extra: dict[str, str]) -> int:
    """Run the benchmark; print the figures; return the exit code."""
    with tempfile.TemporaryDirectory(prefix="storydesk-load-") as tmp:
        root = Path(tmp)
        model_log = root / "model.log"
        env = desk_env(
            root / "data",
            STORYDESK_DESK_LEASE_SECONDS="30",
            STORYDESK_TEST_BACKEND=COUNTING_BACKEND,
            **{MODEL_LOG: str(model_log)},
            **extra,
        )
        import subprocess

        token = (
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "agent.cli",
                    "users",
                    "add",
                    "Load Test",
                    "--role",
                    "editor",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start(["serve", "--port", str(port)], env, root / "serve.log")
        pool = start(["worker", "-n", str(workers)], env, root / "workers.log")
        peaks: dict[int, tuple[str, int]] = {}
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                for name, proc in (("server", server), ("worker-parent", pool)):
                    try:
                        p = psutil.Process(proc.pid)
                        members = [(name, p)] + [
                            (f"worker-{c.pid}", c) for c in p.children(recursive=True)
                        ]
                        for label, member in members:
                            rss = member.memory_info().rss
                            if rss > peaks.get(member.pid, ("", 0))[1]:
                                peaks[member.pid] = (label, rss)
                    except psutil.Error:
                        continue
                done.wait(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:

            def up() -> bool:
                try:
                    return httpx.get(f"{base}/docs", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_for(up, 120, "the server")
            api = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            cluster = json.loads((ROOT / "examples" / "koizumi-hegseth.json").read_text("utf-8"))
            jobs: list[tuple[str, str]] = []
            for n in range(drafts):
                copy = {**cluster, "id": f"{cluster['id']}-load-{n}"}
                # A distinct content hash per copy, so that each is its own draft.
                copy["articles"] = [
                    {**a, "text": f"{a['text']} (copy {n})"} if i == 0 else a
                    for i, a in enumerate(cluster["articles"])
                ]
                api.post("/api/clusters", json=copy).raise_for_status()
            started = time.monotonic()
            for n in range(drafts):
                answer = api.post(f"/api/clusters/{cluster['id']}-load-{n}/drafts").json()
                jobs.append((answer["job_id"], answer["story_id"]))
            queued_in = time.monotonic() - started
            pages = _login(base, token)
            story_ms: list[float] = []
            queue_ms: list[float] = []
            finished = 0
            while time.monotonic() - started < 1800:
                counts = api.get("/api/jobs", params={"kind": "draft", "limit": 1}).json()["counts"]
                finished = counts.get("needs_review", 0)
                if finished + counts.get("failed", 0) >= drafts:
                    break
                t = time.perf_counter()
                pages.get("/").raise_for_status()
                queue_ms.append((time.perf_counter() - t) * 1000)
                ready = api.get("/api/stories", params={"limit": 20}).json()["items"]
                for item in ready[:3]:
                    t = time.perf_counter()
                    pages.get(f"/stories/{item['id']}").raise_for_status()
                    story_ms.append((time.perf_counter() - t) * 1000)
                time.sleep(0.2)
            elapsed = time.monotonic() - started
            counts = api.get("/api/jobs", params={"kind": "draft", "limit": 1}).json()["counts"]
            total_jobs = api.get("/api/jobs", params={"limit": 1}).json()["total"]
            stories = api.get("/api/stories", params={"limit": 500}).json()
            stories["items"] += [
                item
                for offset in range(500, stories["total"], 500)
                for item in api.get("/api/stories", params={"limit": 500, "offset": offset}).json()[
                    "items"
                ]
            ]
            revisions = [
                [
                    r["revision"]
                    for r in api.get(f"/api/stories/{s['id']}/revisions").json()["items"]
                ]
                for s in stories["items"]
            ]
        finally:
            done.set()
            watcher.join(timeout=2)
            stop(pool)
            stop(server)
        print(f"drafts {drafts}, workers {workers}, engines {extra or 'sqlite+sqlitehuey'}")
        print(f"queued in {queued_in:.1f} s; all finished in {elapsed:.1f} s; counts {counts}")
        print(
            f"GET story page: n={len(story_ms)} p50 {_pct(story_ms, 0.5):.0f} ms "
            f"p95 {_pct(story_ms, 0.95):.0f} ms"
        )
        print(
            f"GET queue page: n={len(queue_ms)} p50 {_pct(queue_ms, 0.5):.0f} ms "
            f"p95 {_pct(queue_ms, 0.95):.0f} ms"
        )
        for pid, (label, rss) in sorted(peaks.items(), key=lambda kv: kv[1][0]):
            print(f"peak RSS {label} (pid {pid}): {rss / 2**20:.0f} MiB")
        requests = len(model_requests(model_log))
        one_each = all(r == [1] for r in revisions) and len(revisions) == drafts
        print(
            f"effects: jobs {total_jobs}, stories {stories['total']}, revisions "
            f"{sum(len(r) for r in revisions)} (one each: {one_each}), model requests {requests}"
        )
        held = counts.get("needs_review", 0) == drafts and one_each and total_jobs == drafts
        worst = max((rss for _, rss in peaks.values()), default=0)
        record(
            f"load: {drafts} drafts queued at once, {workers} workers, instant model",
            tried=drafts,
            outcome="all needs_review, one story and revision each" if held else f"{counts}",
            jobs=total_jobs,
            stories=stories["total"],
            revisions=sum(len(r) for r in revisions),
            model_requests=requests,
            note=f"all finished in {elapsed:.0f} s; story page p50/p95 "
            f"{_pct(story_ms, 0.5):.0f}/{_pct(story_ms, 0.95):.0f} ms, queue page "
            f"{_pct(queue_ms, 0.5):.0f}/{_pct(queue_ms, 0.95):.0f} ms; peak RSS "
            f"{worst / 2**20:.0f} MiB",
        )

        return 0 if held else 1


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drafts", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", help="e.g. postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--queue-url", help="e.g. redis://127.0.0.1:6379/3")
    args = parser.parse_args()
    extra = {}
    if args.database_url:
        extra["STORYDESK_DATABASE_URL"] = args.database_url
    if args.queue_url:
        extra["STORYDESK_QUEUE_URL"] = args.queue_url
    sys.exit(run(args.drafts, args.workers, extra))


if __name__ == "__main__":
    main()
