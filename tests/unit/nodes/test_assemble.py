"""assemble: the editor's flags, each said once."""

from __future__ import annotations

from agent.llm.fake import FakeModel
from agent.settings import Settings
from tests.helpers import draft, scripted


def test_a_flag_raised_twice_is_shown_once(settings: Settings) -> None:
    # The model names the same unfounded party twice: one flag for the editor, not two.
    unfounded = {"party": "harmed", "citations": ["a2.s2"], "explanation": "They were harmed."}
    fake = scripted(FakeModel()).respond(
        "ImpactDraft", lambda r: {"benefited": [], "impacted": [unfounded, unfounded]}
    )
    story = draft(settings, fake)
    removed = [f for f in story.review.flags if "'harmed'" in f.message]
    assert len(removed) == 1 and removed[0].kind == "removed", story.review.flags
    keys = [(f.kind, f.section, f.index, f.message) for f in story.review.flags]
    assert len(keys) == len(set(keys))
