"""Test-only pieces of the reliability tests: a scripted model that logs every request it gets
to a file (so a test counts the model requests of worker processes), and effect counters."""

from __future__ import annotations

import fcntl
import os
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from agent.llm.fake import FakeModel
from tests.desk_support import wait_for
from tests.integration.desk.helpers import Running

COUNTING_BACKEND = "tests.integration.reliability.support:counting_backend"
MODEL_LOG = "STORYDESK_TEST_MODEL_LOG"


def counting_backend() -> FakeModel:
    """The desk tests' scripted model; each request appends `pid schema_name` to
    $STORYDESK_TEST_MODEL_LOG."""
    from tests.desk_support import scripted_backend

    fake = scripted_backend()
    inner = fake.generate
    path = os.environ.get(MODEL_LOG)

    def logged(*args: Any, **kwargs: Any) -> Any:
        if path:
            name = kwargs.get("schema_name", args[2] if len(args) > 2 else "?")
            with open(path, "a", encoding="utf-8") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                handle.write(f"{os.getpid()} {name}\n")
        return inner(*args, **kwargs)

    fake.generate = logged  # type: ignore[method-assign]
    return fake


def model_requests(path: Path) -> list[tuple[int, str]]:
    """The (pid, schema name) of every logged model request."""
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(int(pid), name) for pid, name in rows]


def per_schema(rows: list[tuple[int, str]], pid: int | None = None) -> Counter[str]:
    """How many requests each schema got (from one process, or all)."""
    return Counter(name for p, name in rows if pid is None or p == pid)


def effects(client: httpx.Client, cluster_id: str) -> dict[str, Any]:
    """Count what a cluster's drafts left behind: jobs, stories, revisions, flags."""
    jobs = client.get("/api/jobs", params={"cluster_id": cluster_id, "limit": 500}).json()
    stories = client.get("/api/stories", params={"cluster_id": cluster_id}).json()
    revisions: dict[str, list[int]] = {}
    flags: dict[str, list[tuple[str, str, Any, str]]] = {}
    for item in stories["items"]:
        rows = client.get(f"/api/stories/{item['id']}/revisions").json()["items"]
        revisions[item["id"]] = [r["revision"] for r in rows]
        story = client.get(f"/api/stories/{item['id']}").json()
        flags[item["id"]] = [
            (f["kind"], f.get("section", ""), f.get("index"), f["message"])
            for f in story["review"]["flags"]
        ]
    return {
        "jobs": jobs["total"],
        "job_items": jobs["items"],
        "stories": stories["total"],
        "revisions": revisions,
        "flags": flags,
    }


def job_of(client: httpx.Client, job_id: str) -> dict[str, Any]:
    data: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
    return data


def wait_status(client: httpx.Client, job_id: str, status: str, desk: Running) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        job = job_of(client, job_id)
        assert job["status"] != "failed", f"{job['reason']}\n{desk.log_text()}"
        return job if job["status"] == status else None

    try:
        found: dict[str, Any] = wait_for(check, 90, f"job {job_id} to be {status}")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{desk.log_text()}") from None
    return found


def server_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/docs", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
