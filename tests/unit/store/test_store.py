"""Stories and revisions: stored, listed, never overwritten."""

from __future__ import annotations

import pytest

from agent.errors import InputError
from agent.store.store import Store
from tests.unit.store.helpers import make_story


def test_save_get_and_list(store: Store) -> None:
    store.save_story(make_story("s-1", 1, "c-1", "Ferry capsizes"))
    store.save_story(make_story("s-1", 2, "c-1", "Ferry capsizes, 40 rescued", status="approved"))
    store.save_story(make_story("s-2", 1, "c-2", "Budget passes"))
    assert store.get_story("s-1").title == "Ferry capsizes, 40 rescued"
    assert store.get_story("s-1", revision=1).title == "Ferry capsizes"
    assert store.story_revisions("s-1") == [1, 2]
    assert {s.id: s.revision for s in store.list_stories()} == {"s-1": 2, "s-2": 1}
    assert [s.id for s in store.list_stories(status="approved")] == ["s-1"]
    assert [s.id for s in store.list_stories(cluster_id="c-2")] == ["s-2"]


def test_revisions_are_never_overwritten(store: Store) -> None:
    story = make_story("s-1", 1)
    store.save_story(story)
    store.save_story(story)  # the same content again is a no-op
    with pytest.raises(InputError, match="already has revision 1.*save the change as revision 2"):
        store.save_story(make_story("s-1", 1, title="Something else"))
    assert store.get_story("s-1").title == "Ferry capsizes"
    # An older revision arriving late is stored but does not become the latest.
    store.save_story(make_story("s-1", 3, title="Third"))
    store.save_story(make_story("s-1", 2, title="Second"))
    assert store.get_story("s-1").title == "Third"
    assert store.list_stories()[0].revision == 3


def test_unknown_stories(store: Store) -> None:
    with pytest.raises(InputError, match="no story 'nope'"):
        store.get_story("nope")
    store.save_story(make_story("s-1", 1))
    with pytest.raises(InputError, match="has no revision 4; it has 1"):
        store.get_story("s-1", revision=4)
