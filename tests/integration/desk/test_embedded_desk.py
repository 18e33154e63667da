"""The desk with the embedded model (opt-in: -m model): real serve and worker processes draft
the example cluster to review; prints the time from trigger to needs_review."""

from __future__ import annotations

import time

import pytest

from tests.desk_support import wait_for
from tests.integration.desk.helpers import Running, example_cluster


@pytest.mark.model
def test_embedded_model_draft_reaches_review(sqlite_desk: Running) -> None:
    desk = sqlite_desk
    # No scripted model, default leases: the worker loads SmolLM2 as `storydesk worker` does.
    desk.worker(
        "embedded",
        STORYDESK_TEST_BACKEND="",
        STORYDESK_DESK_LEASE_SECONDS="60",
        STORYDESK_DESK_REQUEUE_SECONDS="60",
    )
    with desk.client() as client:
        cluster = example_cluster()
        client.post("/api/clusters", json=cluster)
        started = time.monotonic()
        job_id = client.post(f"/api/clusters/{cluster['id']}/drafts").json()["job_id"]

        def reached() -> bool:
            job = client.get(f"/api/jobs/{job_id}").json()
            assert job["status"] != "failed", f"{job['reason']}\n{desk.log_text()}"
            return bool(job["status"] == "needs_review")

        wait_for(reached, 1800, "the embedded draft to reach review", interval=1.0)
        seconds = time.monotonic() - started
        job = client.get(f"/api/jobs/{job_id}").json()
        story = client.get(f"/api/stories/{job['story_id']}").json()
    assert story["provenance"]["backend"] == "local"
    # One attempt: the lease was renewed through the model calls, nobody else took the job.
    assert job["attempts"] == 1, job["events"]
    print(
        f"\ntrigger -> needs_review with the embedded model: {seconds:.1f} s "
        f"(model {story['provenance']['model']}, {story['provenance']['tokens']} tokens, "
        f"graph {story['provenance']['seconds']} s)"
    )
