"""The story diff names what changed and leaves out what differs on every run."""

from __future__ import annotations

import json
from pathlib import Path

from evals.story_diff import differences, main


def test_ids_and_times_are_ignored_and_changes_named() -> None:
    old = {
        "id": "story-a-1",
        "title": "Ferry capsizes",
        "summary": [{"text": "One.", "citations": ["a1"]}],
        "provenance": {"created_at": "2026-01-01T00:00:00Z", "seconds": 3.1, "model": "m"},
    }
    new = {
        "id": "story-a-2",
        "title": "Ferry capsizes",
        "summary": [{"text": "One.", "citations": ["a1", "a2"]}, {"text": "Two.", "citations": []}],
        "provenance": {"created_at": "2026-02-02T00:00:00Z", "seconds": 9.9, "model": "m"},
        "section_notes": {},
    }
    found = dict(differences(old, new))
    assert found == {
        "summary[0].citations[1]": '+ "a2"',
        "summary[1]": '+ {"text": "Two.", "citations": []}',
        "section_notes": "+ {}",
    }


def test_the_exit_code_says_whether_the_stories_differ(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"id": "x", "title": "T"}))
    b.write_text(json.dumps({"id": "y", "title": "T"}))
    assert main([str(a), str(b)]) == 0
    b.write_text(json.dumps({"id": "y", "title": "U"}))
    assert main([str(a), str(b)]) == 1


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path: Path, capsys: object) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text("{}")
    bad.write_text("{not json")
    assert main([str(good), str(tmp_path / "none.json")]) == 2
    assert main([str(good), str(bad)]) == 2
