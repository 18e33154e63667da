"""Workers: claim a job by id, run its graph thread with a renewed lease, record the result.

Every node may run twice (a worker can die anywhere), so: the thread id is the story's, the
story agent runs the graph (`StoryAgent.advance`: each step checkpointed before the next), a
re-claimed job resumes its thread where the checkpoint left it, and every write is keyed by
story id and revision.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command
from sqlalchemy.exc import SQLAlchemyError

from agent.desk.runtime import Desk, RevisionStore, make_checkpointer, revision_author, test_backend
from agent.errors import ClusterRefused, InputError, ModelOutputError, StorydeskError
from agent.schemas import Story
from agent.store.jobs import JobView

log = logging.getLogger("storydesk.desk")

FINAL_ERRORS: tuple[type[StorydeskError], ...] = (InputError, ClusterRefused, ModelOutputError)
"""Errors another attempt would only repeat: the job fails at once with their message."""


TEST_KILL_AFTER = "STORYDESK_TEST_KILL_AFTER"
"""Test-only: the name of a graph node; the worker SIGKILLs itself as soon as that node's task
has finished (before or while its checkpoint is written), so the crash tests can die at every
node boundary. Read only by `_test_kill_hook`; never set it in production."""


def _test_kill_hook(node: str) -> None:
    """Kill this process after the node named by STORYDESK_TEST_KILL_AFTER (tests only)."""
    if node == os.environ.get(TEST_KILL_AFTER):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


class LostJob(RuntimeError):
    """The job's lease passed to another worker while this one ran it."""


class Runner:
    """Runs jobs in this process; the story agent (and its model) is built once."""

    def __init__(self, desk: Desk, name: str | None = None) -> None:
        self.desk = desk
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._agent: Any = None
        self._lock = threading.Lock()

    @property
    def agent(self) -> Any:
        with self._lock:
            if self._agent is None:
                from agent.api import StoryAgent
                from agent.llm.gateway import Gateway

                backend = test_backend()
                gateway = Gateway(backend) if backend is not None else None
                self._agent = StoryAgent(
                    self.desk.settings,
                    gateway=gateway,
                    store=RevisionStore(self.desk),
                    checkpointer=make_checkpointer(self.desk.settings),
                )
            return self._agent

    # ------------------------------------------------------------------ one job

    def run(self, job_id: str) -> str:
        """Claim and run a job; return what became of it (or 'skipped' when not claimed)."""
        jobs = self.desk.jobs
        lease = self.desk.desk.lease_seconds
        job = jobs.claim(job_id, self.name, lease)
        if job is None:
            return "skipped"
        stop = threading.Event()
        renewer = threading.Thread(
            target=self._renew, args=(job.id, lease, stop), daemon=True, name=f"lease-{job.id}"
        )
        renewer.start()
        try:
            if job.kind == "draft":
                return self._draft(job)
            return self._review(job)
        except LostJob:
            log.warning("job %s was taken over by another worker; leaving it to them", job.id)
            return "lost"
        except FINAL_ERRORS as error:
            return jobs.give_up_or_retry(job.id, self.name, str(error), 0, final=True)
        except Exception as error:  # noqa: BLE001 - any other failure is retried, then reported
            log.exception("job %s failed on attempt %s", job.id, job.attempts)
            backoff = self.desk.desk.backoff_seconds * (2 ** max(0, job.attempts - 1))
            reason = f"{type(error).__name__}: {error}"
            return jobs.give_up_or_retry(job.id, self.name, reason, backoff)
        finally:
            stop.set()
            renewer.join(timeout=5)

    def _renew(self, job_id: str, lease: float, stop: threading.Event) -> None:
        while not stop.wait(lease / 3):
            try:
                if not self.desk.jobs.renew(job_id, self.name, lease):
                    return
            except Exception:  # noqa: BLE001 - a missed renewal is retried at the next tick
                log.exception("could not renew the lease of job %s", job_id)

    def _config(self, job: JobView) -> RunnableConfig:
        return {"configurable": {"thread_id": job.thread_id}}

    def _stream(self, job: JobView, data: Any) -> None:
        """Run the thread on (the agent checkpoints every step) and record which node runs."""
        running: list[str] = []

        def show() -> None:
            if not running:
                return
            try:
                self.desk.jobs.set_node(job.id, self.name, ", ".join(sorted(running)))
            except SQLAlchemyError as error:  # progress only: the draft need not stop for it
                log.warning("could not record the node of job %s (%s)", job.id, error)

        def started(node: str) -> None:
            running.append(node)
            show()

        def finished(node: str, _update: Any) -> None:
            _test_kill_hook(node)
            if node in running:
                running.remove(node)
            show()

        self.agent.advance(data, self._config(job), on_event=finished, on_start=started)

    def _draft(self, job: JobView) -> str:
        agent = self.agent
        snapshot = agent.graph.get_state(self._config(job))
        if not snapshot.values:
            self._stream(job, {"cluster": job.payload["cluster"]})
        elif "human_review" not in (snapshot.next or ()):
            # An earlier attempt died mid-way: carry on from its last checkpoint.
            self.desk.jobs.note(job.id, self.name, "resumed", next=list(snapshot.next or ()))
            self._stream(job, None)
        else:
            self.desk.jobs.note(job.id, self.name, "already_drafted")
        snapshot = agent.graph.get_state(self._config(job))
        if "human_review" not in (snapshot.next or ()):
            raise RuntimeError(
                f"the draft of {job.story_id} stopped before review (next: {snapshot.next})"
            )
        return self._settle(job, snapshot.values, "needs_review")

    def _review(self, job: JobView) -> str:
        agent = self.agent
        snapshot = agent.graph.get_state(self._config(job))
        story = (snapshot.values or {}).get("story") or {}
        waiting = "human_review" in (snapshot.next or ())
        decision = {k: job.payload[k] for k in ("action", "reviewer", "notes", "changes")}
        if waiting and story.get("revision") == job.revision:
            self._stream(job, Command(resume=decision))
        elif snapshot.next and not waiting:
            # Killed after the decision was taken in, before the thread ended: finish it.
            self.desk.jobs.note(job.id, self.name, "resumed", next=list(snapshot.next))
            self._stream(job, None)
        else:
            # The decision was applied before a crash: record what the thread holds.
            self.desk.jobs.note(job.id, self.name, "already_applied")
        snapshot = agent.graph.get_state(self._config(job))
        outcome = self._settle(job, snapshot.values, "done")
        if job.payload.get("redraft"):
            self._redraft(job)
        return outcome

    def _settle(self, job: JobView, values: dict[str, Any], status: str) -> str:
        """Record the thread's revisions and finish the job, in one transaction."""
        history = [Story.model_validate(d) for d in values.get("history") or []]
        story = Story.model_validate(values["story"])
        latest: dict[int, Story] = {s.revision: s for s in history}
        latest[story.revision] = story
        jobs = self.desk.jobs
        with self.desk.engine.begin() as connection:
            for revision in sorted(latest):
                item = latest[revision]
                author, kind = revision_author(item)
                jobs.record_revision(connection, item, author=author, kind=kind, job_id=job.id)
            finished = jobs.finish(
                connection,
                job.id,
                self.name,
                status,
                keep_active=status == "needs_review",
                story_id=story.id if job.kind == "draft" else None,
            )
            if not finished:
                raise LostJob(job.id)
            if job.kind == "review":
                jobs.settle_draft(connection, story.id, story.review.status)
        return status

    def _redraft(self, job: JobView) -> None:
        """Queue a fresh draft of the rejected story's cluster content (a new story)."""
        from agent.desk.service import thread_for

        original = self.desk.jobs.draft_of(job.story_id)
        if original is None:
            raise RuntimeError(f"story {job.story_id} has no draft job to redraft from")
        draft, created = self.desk.jobs.create_draft(
            cluster=original.payload["cluster"],
            content_hash=original.content_hash,
            thread_for=thread_for(original.cluster_id),
            created_by=job.created_by,
            max_attempts=self.desk.desk.max_attempts,
        )
        if created:
            self.desk.enqueue(draft.id, draft.priority)


# ---------------------------------------------------------------------- the consumer


def reap_once(desk: Desk) -> int:
    """Re-queue expired leases and resend forgotten queued jobs; return how many were sent."""
    due = desk.jobs.reap(desk.desk.requeue_seconds, desk.desk.backoff_seconds)
    for job_id, priority in due:
        desk.enqueue(job_id, priority)
    return len(due)


def _reaper(desk: Desk, stop: threading.Event) -> None:
    while not stop.wait(desk.desk.reap_seconds):
        try:
            reap_once(desk)
        except Exception:  # noqa: BLE001 - the database may be briefly away; look again later
            log.exception("the reaper could not look at the jobs")


def consume(desk: Desk) -> None:
    """Run one consumer in this process: reap first, then take job ids until stopped."""
    from agent.desk.queue import set_handler

    runner = Runner(desk)
    set_handler(runner.run)
    queue = desk.queue
    sent = reap_once(desk)
    log.info("worker %s started (%d queued jobs sent again)", runner.name, sent)
    stop = threading.Event()
    reaper = threading.Thread(target=_reaper, args=(desk, stop), daemon=True, name="reaper")
    reaper.start()
    consumer = queue.huey.create_consumer(
        workers=1, worker_type="thread", periodic=False, initial_delay=0.1, max_delay=1.0
    )
    try:
        consumer.run()
    finally:
        stop.set()


def run_workers(desk: Desk, n: int) -> int:
    """Run n consumers: in this process for one, else as n child processes."""
    if n == 1:
        consume(desk)
        return 0
    import signal

    stopping = threading.Event()

    def on_term(signum: int, frame: Any) -> None:
        stopping.set()  # stop the children too, not only this process

    signal.signal(signal.SIGTERM, on_term)
    children = [subprocess.Popen([sys.executable, "-m", "agent.desk.worker"]) for _ in range(n)]
    try:
        while not stopping.is_set():
            for index, child in enumerate(children):
                code = child.poll()
                if code is not None:
                    # A consumer that died (killed, out of memory) is replaced; its job's lease
                    # runs out and the reaper hands the job on.
                    log.warning(
                        "worker process %s exited with %s; starting another", child.pid, code
                    )
                    children[index] = subprocess.Popen([sys.executable, "-m", "agent.desk.worker"])
            stopping.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
    return 0


def main() -> None:
    """Run one consumer (the child process of `storydesk worker -n N`)."""
    from agent.settings import load_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    consume(Desk.open(load_settings()))


if __name__ == "__main__":
    main()
