"""Model faults through the queue, with the real openai client against a loopback fault server.

Each draft either completes after retries or ends `failed` with a clear reason; the job is
claimed once per attempt (never lost, never run twice at once); 429's Retry-After is honoured;
and the model requests of one draft stay within the bound

    desk attempts x gateway calls of a clean draft x output attempts x (SDK retries + 1)

(STORYDESK_DESK_MAX_ATTEMPTS x C x STORYDESK_OUTPUT_ATTEMPTS x (STORYDESK_MAX_RETRIES + 1)),
with C measured by a clean draft against the same server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.desk.app import create_app
from agent.desk.config import DeskSettings
from agent.desk.worker import Runner
from agent.settings import Settings
from tests.integration.reliability.faults import FaultServer
from tests.integration.reliability.table import record
from tests.unit.desk.helpers import example_cluster

pytestmark = pytest.mark.real_client

MAX_ATTEMPTS = 2
SDK_RETRIES = 2
OUTPUT_ATTEMPTS = 3
TARGET = "SummaryDraft"  # the faults hit this node's requests; the others answer normally


def _only(fault: str | None, first: int | None) -> Callable[[int, str], str | None]:
    """A plan: the first `first` requests for TARGET (all of them when None) get `fault`."""
    hits = {"n": 0}

    def plan(number: int, schema: str) -> str | None:
        if schema != TARGET:
            return None
        hits["n"] += 1
        return fault if first is None or hits["n"] <= first else None

    return plan


class Drafted:
    def __init__(
        self,
        job: dict[str, Any],
        server: FaultServer,
        stories: int,
        runs: list[str],
        flags: list[str],
    ):
        self.flags = flags
        self.job = job
        self.server = server
        self.stories = stories
        self.runs = runs


def _draft(tmp_path: Path, plan: Callable[[int, str], str | None], **server: Any) -> Drafted:
    faults = FaultServer(plan, **server).start()
    try:
        settings = Settings(
            data_dir=tmp_path / "data",
            cache=False,
            llm="openai",
            openai_base_url=faults.url,
            openai_api_key="sk-test-not-a-secret",
            structured_output="json_schema",
            timeout=1.0,
            max_retries=SDK_RETRIES,
            output_attempts=OUTPUT_ATTEMPTS,
        )
        app = create_app(
            settings, DeskSettings(lease_seconds=30, backoff_seconds=0, max_attempts=MAX_ATTEMPTS)
        )
        desk = app.state.desk
        token = desk.users.add("Rachel Morgan", "editor")[1]
        headers = {"Authorization": f"Bearer {token}"}
        runner = Runner(desk, name="fault-worker")
        with TestClient(app) as client:
            cluster = example_cluster()
            assert client.post("/api/clusters", json=cluster, headers=headers).status_code == 201
            job_id = client.post(f"/api/clusters/{cluster['id']}/drafts", headers=headers).json()[
                "job_id"
            ]
            runs = []
            # The worker's loop, by hand: run the job while it is queued (a retry re-queues it).
            for _ in range(MAX_ATTEMPTS + 2):
                if desk.jobs.get(job_id).status != "queued":
                    break
                runs.append(runner.run(job_id))
            job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
            stories = client.get(
                "/api/stories", params={"cluster_id": cluster["id"]}, headers=headers
            ).json()["total"]
            flags = []
            if job["story_id"] and stories:
                story = client.get(f"/api/stories/{job['story_id']}", headers=headers).json()
                flags = [
                    f"{f['kind']}:{f['section']}:{f['index']}:{f['message']}"
                    for f in story["review"]["flags"]
                ]
            jobs = client.get("/api/jobs", headers=headers).json()["total"]
            assert jobs == 1
        return Drafted(job, faults, stories, runs, flags)
    finally:
        faults.stop()


@pytest.fixture(scope="module")
def clean_calls(tmp_path_factory: pytest.TempPathFactory) -> int:
    drafted = _draft(tmp_path_factory.mktemp("clean"), _only(None, None))
    assert drafted.job["status"] == "needs_review", drafted.job["reason"]
    return drafted.server.count()


def _record(case: str, drafted: Drafted, outcome: str, note: str = "") -> None:
    record(
        case,
        tried=1,
        outcome=outcome,
        jobs=1,
        stories=drafted.stories,
        revisions=drafted.stories,
        model_requests=drafted.server.count(),
        note=f"attempts {drafted.job['attempts']}" + (f"; {note}" if note else ""),
    )


def _bound(clean: int) -> int:
    return MAX_ATTEMPTS * clean * OUTPUT_ATTEMPTS * (SDK_RETRIES + 1)


def _claims(job: dict[str, Any]) -> int:
    return sum(1 for e in job["events"] if e["event"] == "claimed")


@pytest.mark.parametrize("fault", ["429", "500", "503", "hang", "cut", "text", "schema"])
def test_transient_fault_completes_after_retries(
    tmp_path: Path, clean_calls: int, fault: str
) -> None:
    drafted = _draft(tmp_path, _only(fault, 2), retry_after=1.0, hang_seconds=2.0)
    job = drafted.job
    print(
        f"{fault} x2: {job['status']}, attempts {job['attempts']}, requests "
        f"{drafted.server.count()} (clean {clean_calls})"
    )
    assert job["status"] == "needs_review", job["reason"]
    assert job["attempts"] == 1 and _claims(job) == 1 and drafted.stories == 1
    assert drafted.server.count(fault) == 2
    assert drafted.server.count() == clean_calls + 2
    if fault == "429":
        times = [s.at for s in drafted.server.seen if s.schema == TARGET]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)][:2]
        assert all(gap >= 0.9 for gap in gaps), f"Retry-After 1 s not honoured: {gaps}"
    _record(f"model {fault}, first 2 requests", drafted, "completed after retries; needs_review")


@pytest.mark.parametrize(
    ("fault", "reason", "attempts"),
    [
        ("429", "rate limits", MAX_ATTEMPTS),
        ("500", "failed (500) after retries", MAX_ATTEMPTS),
        ("503", "failed (503) after retries", MAX_ATTEMPTS),
        ("hang", "did not answer in time", MAX_ATTEMPTS),
        ("cut", "cannot reach the model server", MAX_ATTEMPTS),
    ],
)
def test_persistent_fault_fails_with_a_clear_reason(
    tmp_path: Path, clean_calls: int, fault: str, reason: str, attempts: int
) -> None:
    drafted = _draft(tmp_path, _only(fault, None), retry_after=0.2, hang_seconds=1.5)
    job = drafted.job
    hits = drafted.server.count(fault)
    print(
        f"{fault} always: attempts {job['attempts']}, requests {drafted.server.count()} "
        f"({hits} faulted), bound {_bound(clean_calls)}; reason: {job['reason']}"
    )
    assert job["status"] == "failed"
    assert reason in job["reason"], job["reason"]
    assert job["attempts"] == attempts and _claims(job) == attempts and drafted.stories == 0
    assert drafted.server.count() <= _bound(clean_calls)
    # Each attempt asks TARGET exactly as often as the SDK's retries allow, then stops.
    assert hits == attempts * (SDK_RETRIES + 1)
    _record(
        f"model {fault} on every request",
        drafted,
        f"failed: {reason}",
        note=f"bound {_bound(clean_calls)}",
    )


@pytest.mark.parametrize("fault", ["text", "schema"])
def test_persistent_bad_output_drafts_with_the_section_flagged(
    tmp_path: Path, clean_calls: int, fault: str
) -> None:
    """Output that never parses is the summary node's to handle: it gives up on the section
    after the gateway's output attempts and flags it, and the draft goes on to review."""
    drafted = _draft(tmp_path, _only(fault, None))
    job = drafted.job
    print(
        f"{fault} always: {job['status']}, attempts {job['attempts']}, requests "
        f"{drafted.server.count()}, flags {drafted.flags}"
    )
    assert job["status"] == "needs_review", job["reason"]
    assert job["attempts"] == 1 and _claims(job) == 1 and drafted.stories == 1
    assert drafted.server.count(fault) == OUTPUT_ATTEMPTS
    assert any(flag.startswith("fallback:summary:") for flag in drafted.flags), drafted.flags
    assert len(drafted.flags) == len(set(drafted.flags))
    _record(f"model {fault} on every request", drafted, "needs_review, summary flagged fallback")


def test_empty_choices_once_completes_on_the_desk_retry(tmp_path: Path, clean_calls: int) -> None:
    drafted = _draft(tmp_path, _only("empty", 1))
    job = drafted.job
    assert job["status"] == "needs_review", job["reason"]
    assert job["attempts"] == 2 and _claims(job) == 2 and drafted.stories == 1
    assert drafted.server.count() <= _bound(clean_calls)
    _record("model empty choices once", drafted, "completed on the desk's retry; needs_review")


def test_empty_choices_always_fails_with_a_clear_reason(tmp_path: Path, clean_calls: int) -> None:
    drafted = _draft(tmp_path, _only("empty", None))
    job = drafted.job
    assert job["status"] == "failed"
    assert drafted.server.count() <= _bound(clean_calls)
    assert "IndexError" not in job["reason"] and "empty" in job["reason"].lower(), job["reason"]
    _record("model empty choices always", drafted, "failed with a clear reason")
