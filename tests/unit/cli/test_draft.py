"""The command line and library as a newcomer uses them: switches, review, paths, counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent import StoryAgent, draft_story
from agent.cli import _split_global_switches, main
from agent.errors import InputError
from agent.llm.fake import FakeModel
from agent.llm.gateway import Gateway
from agent.render.story import basis_line
from agent.schemas import Story, parse_cluster
from agent.settings import Settings
from tests.helpers import NOW, ROOT, draft, example, scripted

KOIZUMI = str(ROOT / "examples" / "koizumi-hegseth.json")


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> FakeModel:
    """Every gateway the command line builds talks to one scripted model."""
    fake = scripted(FakeModel())
    monkeypatch.setattr(
        Gateway, "from_settings", staticmethod(lambda s, backend=None: Gateway(fake))
    )
    return fake


def only_classification(fake: FakeModel) -> FakeModel:
    """A model that answers the headline and nothing else well: every section falls back."""
    fake.respond(
        "Classification",
        lambda r: {
            "title": "Ferry capsizes on the river",
            "category": "General",
            "sentiment": "neutral",
        },
    )
    return fake.respond_to_all(lambda r: "not json")


WITNESSES = [
    "the harbour master",
    "police",
    "the mayor",
    "coast guard officers",
    "a ferry worker",
    "the operator",
    "firefighters",
    "a passenger",
    "local officials",
    "rescue divers",
]
DETAILS = [
    "The vessel had been overloaded, according to port records.",
    "Families gathered at the terminal awaiting news through the night.",
    "Divers searched the murky water for hours after sunset.",
    "The operator suspended all crossings until further notice.",
    "Investigators will examine the ferry's maintenance logs.",
    "Several survivors were treated for hypothermia at the county hospital.",
    "The river had risen sharply after a week of heavy rain.",
    "Witnesses described the boat tilting suddenly before it overturned.",
    "Regional authorities announced an inquiry into river safety.",
    "Volunteers brought blankets and food to the survivors on the bank.",
]


def small_cluster(leans: list[str], outlets: list[str] | None = None) -> dict[str, Any]:
    outlets = outlets or [f"Outlet {i}" for i in range(len(leans))]
    return {
        "id": "c-ferry",
        "articles": [
            {
                "id": f"f{i + 1}",
                "outlet": outlet,
                "title": f"Ferry capsizes on the Riverton river, report {i + 1}",
                "url": f"https://outlet{i}.example/ferry",
                "published_at": "2026-03-07T10:00:00+00:00",
                "lean": lean,
                "text": (
                    f"A ferry capsized on the Riverton river on Friday, {WITNESSES[i]} said. "
                    f"Rescuers pulled {40 + i} passengers from the water near pier {i + 2}. "
                    f"{DETAILS[i]}"
                ),
            }
            for i, (lean, outlet) in enumerate(zip(leans, outlets, strict=True))
        ],
    }


def test_global_switches_work_wherever_they_stand() -> None:
    assert _split_global_switches(["draft", "x.json", "--no-cache"]) == (
        {"--no-cache"},
        ["draft", "x.json"],
    )
    assert _split_global_switches(["--no-cache", "check"]) == ({"--no-cache"}, ["check"])
    # After `--` a word is an argument, never a switch.
    assert _split_global_switches(["draft", "--", "--no-cache"]) == (
        set(),
        ["draft", "--", "--no-cache"],
    )


def test_no_cache_after_the_command(data_dir: Path, fake_model: FakeModel, tmp_path: Path) -> None:
    out = tmp_path / "story.json"
    assert main(["draft", KOIZUMI, "--no-cache", "--quiet", "--out", str(out)]) == 0
    assert Story.model_validate_json(out.read_text()).review.status == "needs_review"
    assert not (data_dir / "cache").exists()  # --no-cache: neither read nor written


def test_progress_comes_from_the_graphs_stream(
    data_dir: Path, fake_model: FakeModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["draft", KOIZUMI, "--out", str(tmp_path / "s.json")]) == 0
    lines = capsys.readouterr().err.splitlines()
    nodes = [line.split("  ")[-1].split(":")[0] for line in lines if line.startswith("storydesk: ")]
    for node in ("retrieve", "screen", "draft_summary", "fact_check", "assemble"):
        assert node in nodes
    assert "human_review (waiting for the editor)" in nodes
    assert lines[-1].startswith("drafted story-")


def test_quiet_leaves_only_the_result_line(
    data_dir: Path, fake_model: FakeModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["draft", "--quiet", KOIZUMI, "--out", str(tmp_path / "s.json")]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("drafted story-")


def test_review_takes_the_story_id_and_writes_the_decided_story(
    data_dir: Path, fake_model: FakeModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story_file = tmp_path / "story.json"
    assert main(["draft", KOIZUMI, "--quiet", "--out", str(story_file)]) == 0
    story = Story.model_validate_json(story_file.read_text())
    assert story.id == story.provenance.thread_id
    capsys.readouterr()

    assert main(["review", "show", story.id]) == 0
    assert json.loads(capsys.readouterr().out)["review"]["status"] == "needs_review"

    code = main(
        ["review", "approve", story.id, "--reviewer", "R. Morgan", "--out", str(story_file)]
    )
    captured = capsys.readouterr()
    assert code == 0 and captured.out == ""  # the story goes to --out, not over the terminal
    assert "approved by R. Morgan" in captured.err
    approved = Story.model_validate_json(story_file.read_text())
    assert approved.review.status == "approved" and approved.review.reviewer == "R. Morgan"

    # show works in every state, approve refuses a story that waits for nothing.
    assert main(["review", "show", story.id]) == 0
    assert json.loads(capsys.readouterr().out)["review"]["status"] == "approved"
    assert main(["review", "approve", story.id]) == 2
    assert "not waiting for review (status approved)" in capsys.readouterr().err


def test_review_in_another_process(data_dir: Path, fake_model: FakeModel, tmp_path: Path) -> None:
    """Draft here; approve with `storydesk review` and resume_review() from fresh interpreters."""
    agent = StoryAgent(Settings(data_dir=data_dir, cache=False), now=NOW)
    first = agent.draft(parse_cluster(example("koizumi-hegseth")))
    second = agent.draft(parse_cluster(example("koizumi-hegseth")))
    agent.close()
    env = {**os.environ, "STORYDESK_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    out = tmp_path / "approved.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.cli",
            "review",
            "approve",
            first.id,
            "--reviewer",
            "ed",
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert Story.model_validate_json(out.read_text()).review.status == "approved"
    script = (
        "from agent import resume_review; "
        f"s = resume_review({second.id!r}, {{'action': 'reject', 'reviewer': 'rm', 'notes': 'dup'}}); "
        "print(s.review.status, s.review.reviewer)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["rejected", "rm"]
    # Both decisions are in the checkpoints this process reads too.
    with StoryAgent(Settings(data_dir=data_dir, cache=False)) as again:
        assert again.story(first.id).review.status == "approved"
        assert again.story(second.id).review.status == "rejected"


def test_the_library_takes_a_cluster_file_path(data_dir: Path, fake_model: FakeModel) -> None:
    story = draft_story("examples/koizumi-hegseth.json", data_dir=data_dir, cache=False)
    assert story.cluster_id == "c-2026-01-15-koizumi-hegseth"
    assert story.review.status == "needs_review"
    assert not (data_dir / "storydesk.sqlite").exists()  # a file draft creates no article store
    with pytest.raises(InputError, match="nope.json"):
        draft_story("examples/nope.json", data_dir=data_dir, cache=False)
    with pytest.raises(InputError, match="no cluster"):
        draft_story("c-not-stored", data_dir=data_dir, cache=False)


def test_a_file_draft_uses_ratings_imported_into_the_store(
    data_dir: Path, fake_model: FakeModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ratings = tmp_path / "ratings.csv"
    ratings.write_text(
        "news_source,rating,rating_num,type,agree,disagree,perc_agree,url,editorial_review,"
        "blind_survey,third_party_analysis,independent_research,confidence_level,twitter,wiki,"
        "facebook,screen_name\n"
        "Jiji Press,right,5,News Media,1,1,0.5,https://www.allsides.com/news-source/jiji,0,0,0,1,"
        "Low,NA,NA,NA,NA\n",
        encoding="utf-8",
    )
    assert main(["sources", "import", str(ratings)]) == 0
    out = tmp_path / "story.json"
    assert main(["draft", KOIZUMI, "--quiet", "--out", str(out)]) == 0
    story = Story.model_validate_json(out.read_text())
    assert [c.outlet for c in story.coverage.right] == ["Jiji Press"]
    assert story.bias.right == 1


def test_clusters_counts_agree_with_the_rows_and_json_is_complete(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    koizumi = example("koizumi-hegseth")
    stream = tmp_path / "stream.jsonl"
    rows = [dict(a, id=f"{c}-{a['id']}") for c, a in [("k", a) for a in koizumi["articles"]]]
    # 55 one-article stories on distinct topics, days apart, and the Koizumi story.
    for n in range(55):
        rows.append(
            {
                "id": f"x{n}",
                "outlet": "Outlet",
                "title": f"Topic{n} zq{n} rises",
                "url": f"https://example.com/{n}",
                "published_at": f"2025-{1 + n % 12:02d}-{1 + n % 27:02d}T00:00:00+00:00",
                "text": f"Topic{n} zq{n} wv{n} rose today in the town of Place{n}.",
            }
        )
    stream.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert main(["ingest", str(stream), "--quiet"]) == 0
    assert main(["cluster", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["clusters", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) > 50  # not cut at the listing's default
    assert main(["clusters"]) == 0
    text = capsys.readouterr().out
    assert "(the 50 most recent; --limit 0 lists all)" in text
    koizumi_line = next(line for line in text.splitlines() if line.startswith("c-2026-01-15"))
    assert "(5 article(s), 1 a syndicated copy counted once," in koizumi_line


def test_the_byline_says_what_the_story_rests_on(settings: Settings) -> None:

    story = draft(settings, scripted(FakeModel()))
    assert basis_line(story) == (
        "Based on 4 distinct articles from 5 outlets (1 syndicated copy of another outlet's "
        "article, listed but counted once)."
    )


def test_a_single_source_story_is_flagged(settings: Settings) -> None:
    agent = StoryAgent(settings, gateway=Gateway(only_classification(FakeModel())), now=NOW)
    story = agent.draft(parse_cluster(small_cluster(["left"])))
    flags = [f for f in story.review.flags if f.kind == "single_source"]
    assert len(flags) == 1 and "Outlet 0" in flags[0].message
    assert story.blindspot == "right"  # one side alone covered it


def test_the_story_and_the_store_name_the_same_blindspot(settings: Settings) -> None:
    from agent.store.blindspot import SideCounts, judge

    leans = ["center"] * 6 + ["right"] * 4
    agent = StoryAgent(settings, gateway=Gateway(only_classification(FakeModel())), now=NOW)
    story = agent.draft(parse_cluster(small_cluster(leans)))
    assert (story.bias.left, story.bias.center, story.bias.right) == (0, 6, 4)
    assert story.blindspot == "left"
    assert not [f for f in story.review.flags if f.kind == "single_source"]
    report = judge(
        "c",
        SideCounts(left=0, center=6, right=4),
        0,
        SideCounts(left=3, center=3, right=3),
        SideCounts(left=3, center=3, right=3),
        3.0,
    )
    assert report.side == "left" and report.verdict == "blindspot"


def test_cli_draft_writes_story_and_html(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from agent import cli

    fake = scripted(FakeModel())
    monkeypatch.setattr(Gateway, "from_settings", staticmethod(lambda s: Gateway(fake)))
    out, html = tmp_path / "story.json", tmp_path / "story.html"
    assert (
        cli.main(["draft", "examples/koizumi-hegseth.json", "--out", str(out), "--html", str(html)])
        == 0
    )
    story = Story.model_validate(json.loads(out.read_text()))
    assert story.review.status == "needs_review"
    page = html.read_text()
    for heading in (
        "Timeline of Events",
        "Who Benefited",
        "Who Impacted",
        "Media Bias Meter",
        "From Left",
        "From Center",
        "From Right",
    ):
        assert heading in page
    assert "Left 25%" in page and "Center 75%" in page
    assert "<script" not in page and "http-equiv" not in page
    err = capsys.readouterr().err
    assert "prompt +" in err and "completion tokens" in err and " s; " in err


def test_draft_a_cluster_from_the_store(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Articles in, clusters formed, a stored cluster drafted by id: the editors' path."""
    from agent import cli

    articles = example("koizumi-hegseth")["articles"]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in articles) + "\n", encoding="utf-8")
    assert cli.main(["ingest", str(path), "--quiet"]) == 0
    # Five articles make a store too small for IDF to tell names from common words: at the
    # default threshold the Adnkronos article (10 hours later, mean cosine 0.087) stays apart.
    assert cli.main(["cluster", "--quiet", "--threshold", "0.05"]) == 0
    capsys.readouterr()
    assert cli.main(["clusters", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 1 and {a["id"] for a in listed[0]["articles"]} == {
        "a1",
        "a2",
        "a3",
        "a4",
        "a5",
    }
    fake = scripted(FakeModel())
    monkeypatch.setattr(Gateway, "from_settings", staticmethod(lambda s: Gateway(fake)))
    out = tmp_path / "story.json"
    assert cli.main(["draft", "--cluster-id", listed[0]["id"], "--out", str(out)]) == 0
    story = Story.model_validate(json.loads(out.read_text()))
    assert story.cluster_id == listed[0]["id"]
    assert (story.bias.left, story.bias.center, story.bias.articles) == (1, 3, 4)
    assert cli.main(["draft", "--cluster-id", "no-such-cluster"]) == 2
    assert "no-such-cluster" in capsys.readouterr().err
