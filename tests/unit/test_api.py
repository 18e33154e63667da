"""StoryAgent, the library API: drafts wait for review; approve, edit and reject resume them from
the checkpoint; the async twin; bad decisions are refused clearly."""

from __future__ import annotations

import pytest

from agent.errors import InputError
from agent.llm.fake import FakeModel
from agent.settings import Settings
from tests.helpers import (
    assert_flags_point_at_items,
    cluster_of,
    make_agent,
    scripted,
)


def test_interrupt_then_approve_edit_reject(settings: Settings) -> None:
    fake = scripted(FakeModel())
    agent = make_agent(settings, fake)
    story = agent.draft(cluster_of("koizumi-hegseth"))
    thread = story.provenance.thread_id
    assert thread
    from agent.store.db import open_store

    store = open_store(settings)
    assert store.list_stories(cluster_id=story.cluster_id) == []  # no side effect before review

    pending = agent.pending(thread)
    assert pending == story
    with pytest.raises(InputError, match="not in the cluster"):
        agent.review(
            thread,
            {
                "action": "edit",
                "reviewer": "rm",
                "changes": {"summary": [{"text": "x y z w", "citations": ["zz9"]}]},
            },
        )
    edited = agent.review(
        thread,
        {
            "action": "edit",
            "reviewer": "rm",
            "notes": "tighter",
            "changes": {"title": "Japan and U.S. defense chiefs meet"},
        },
    )
    assert edited.revision == 2 and edited.title == "Japan and U.S. defense chiefs meet"
    assert edited.review.status == "needs_review" and edited.review.reviewer == "rm"
    approved = agent.review(thread, {"action": "approve", "reviewer": "rm"})
    assert approved.review.status == "approved" and approved.revision == 2
    with pytest.raises(InputError, match="not waiting for review"):
        agent.review(thread, {"action": "reject", "reviewer": "rm"})
    saved = store.list_stories(cluster_id=story.cluster_id)
    assert [s.revision for s in saved] == [2]
    assert store.get_story(story.id, 1).review.status == "needs_review"
    assert store.get_story(story.id, 2).review.status == "approved"

    # A second draft of the same cluster is its own story; reject leaves it rejected.
    other = agent.draft(cluster_of("koizumi-hegseth"))
    assert other.id != story.id
    rejected = agent.review(
        other.provenance.thread_id, {"action": "reject", "reviewer": "rm", "notes": "duplicate"}
    )
    assert rejected.review.status == "rejected"


def test_resume_from_a_new_agent_uses_the_sqlite_checkpoint(settings: Settings) -> None:
    # Same process, new agent object; the real cross-process review is tests/unit/cli/test_draft.py
    # test_review_in_another_process.
    story = make_agent(settings, scripted(FakeModel())).draft(cluster_of("koizumi-hegseth"))
    assert settings.checkpoint_path.exists()
    fresh = make_agent(settings, FakeModel())  # a new agent: state comes from the checkpoint
    approved = fresh.review(story.provenance.thread_id, {"action": "approve", "reviewer": "ed"})
    assert approved.review.status == "approved" and approved.summary == story.summary


def test_bad_decisions_are_refused_clearly(settings: Settings) -> None:
    agent = make_agent(settings, scripted(FakeModel()))
    story = agent.draft(cluster_of("koizumi-hegseth"))
    with pytest.raises(InputError, match="approve, edit or reject"):
        agent.review(story.provenance.thread_id, {"action": "publish", "reviewer": "x"})
    with pytest.raises(InputError, match="no draft"):
        agent.review("nope:123", {"action": "approve", "reviewer": "x"})
    with pytest.raises(InputError, match="may change"):
        agent.review(
            story.provenance.thread_id, {"action": "edit", "reviewer": "x", "changes": {"bias": {}}}
        )
    assert agent.pending(story.provenance.thread_id).review.status == "needs_review"


async def test_async_twin(settings: Settings) -> None:
    agent = make_agent(settings, scripted(FakeModel()))
    story = await agent.adraft(cluster_of("koizumi-hegseth"))
    assert story.review.status == "needs_review" and story.summary


def test_an_edit_is_fact_checked_like_a_draft(settings: Settings) -> None:
    agent = make_agent(settings, scripted(FakeModel()))
    story = agent.draft(cluster_of("koizumi-hegseth"))
    thread = story.provenance.thread_id
    assert thread
    changes = {
        "title": "Koizumi resigns after Pentagon clash",
        "summary": [
            {"text": "Japan declared war on China on Thursday.", "citations": ["a1"]},
            {"text": "The meeting at the Pentagon lasted about 50 minutes.", "citations": ["a2"]},
        ],
    }
    edited = agent.review(thread, {"action": "edit", "reviewer": "rm", "changes": changes})
    assert (
        edited.revision == 2 and edited.title == "Koizumi resigns after Pentagon clash"
    )  # the editor's word stands
    verdicts = {(c.section, c.index): c.verdict for c in edited.fact_check.claims}
    assert verdicts[("summary", 1)] == "supported"
    assert verdicts[("summary", 0)] != "supported" and verdicts[("title", 0)] != "supported"
    assert {(f.section, f.index) for f in edited.review.flags if f.kind == "edit"} >= {
        ("summary", 0),
        ("title", 0),
    }
    assert_flags_point_at_items(edited)
