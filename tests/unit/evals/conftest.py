"""Fixtures for the eval suite's tests: tiny synthetic dataset files of every kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.evals.evalfakes import allsides_row, make_cluster, write_allsides


@pytest.fixture
def allsides_file(tmp_path: Path) -> Path:
    """Four roundups, one of them without articles (skipped)."""
    return write_allsides(
        tmp_path / "roundups.jsonl",
        [
            allsides_row(1),
            allsides_row(2, n_articles=2),
            allsides_row(3, n_articles=0),
            allsides_row(4),
            allsides_row(5),
        ],
    )


@pytest.fixture
def summedits_file(tmp_path: Path) -> Path:
    rows = [
        {
            "id": f"s{i}",
            "doc": "The council approved the budget.",
            "summary": summary,
            "label": label,
            "original_summary": "x",
            "edit_types": edits,
            "split": "evaluation",
        }
        for i, (summary, label, edits) in enumerate(
            [
                ("The council approved the budget.", 1, []),
                ("The council did not approve the budget.", 0, ["negation_insertion_removal"]),
                ("The mayor approved the budget.", 0, ["entity_modification"]),
                ("The budget was approved.", "1", "[]"),
            ]
        )
    ]
    path = tmp_path / "summedits.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


@pytest.fixture
def babe_file(tmp_path: Path) -> Path:
    biased = [
        "The radical extremists shamelessly pushed their disastrous agenda.",
        "Outrageous lies from the corrupt elites destroyed the country.",
        "The disgraceful mob viciously attacked innocent citizens.",
        "Their absurd propaganda is a shameful disaster for everyone.",
        "The crooked regime shamelessly rigged the disastrous vote.",
        "Hysterical radicals spread outrageous lies again.",
    ]
    neutral = [
        "The committee will meet on Tuesday to discuss the proposal.",
        "The report was published by the agency in March.",
        "Officials said the bridge will reopen next week.",
        "The company reported quarterly revenue of 3 billion dollars.",
        "The bill passed the Senate by a vote of 52 to 48.",
        "Researchers collected data from 200 hospitals.",
    ]
    lines = ["\ufefftext;news_link;outlet;topic;type;label_bias;label_opinion;biased_words"]
    for text in biased:
        lines.append(f"{text};http://x;o;t;left;Biased;Expresses writer's opinion;[]")
    for text in neutral:
        lines.append(f"{text};http://x;o;t;right;Non-biased;Entirely factual;[]")
    lines.append("An unclear sentence;http://x;o;t;center;No agreement;No agreement;[]")
    path = tmp_path / "babe.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def t17_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "t17"
    folder.mkdir()
    articles = [
        {
            "pub_date": day,
            "text": f"Protesters -LRB- thousands -RRB- marched on {day} . \n"
            f"Officials said they do n't know `` why '' . More words here .",
        }
        for day in [
            "2011-01-25",
            "2011-01-25",
            "2011-01-26",
            "2011-01-27",
            "2011-01-27",
            "2011-01-27",
            "2011-01-28",
            "2011-01-30",
        ]
    ]
    topic = {
        "topic": "egypt",
        "articles": articles,
        "gold_timeline": [
            {"date": "2011-01-25", "sentences": ["Protesters marched in Cairo ."]},
            {"date": "2011-01-27", "sentences": ["ElBaradei returns to Egypt ."]},
            {"date": "2011-02-11", "sentences": ["Mubarak resigns ."]},
        ],
    }
    (folder / "t17_egypt.json").write_text(json.dumps(topic), encoding="utf-8")
    return folder


@pytest.fixture
def examples_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "examples"
    folder.mkdir()
    for name in ("c-one", "c-two"):
        data = make_cluster(name).model_dump(mode="json")
        (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    return folder
