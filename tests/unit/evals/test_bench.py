"""The story bench's arithmetic, the prefix layout that lets llama.cpp reuse its KV cache,
record/replay, the synthetic clusters, and the lazily registered CLI commands."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from agent.llm.backends import DEFAULT_N_THREADS, Completion, LocalBackend, Sampling
from agent.llm.fake import FakeModel
from agent.llm.gateway import Gateway
from agent.nodes.screen import build_evidence
from agent.schemas import parse_cluster
from agent.settings import Settings
from evals.bench import (
    Rates,
    Recorder,
    Replay,
    common_prefix,
    distinct_prefix_tokens,
    format_table,
    lower_bound_seconds,
    ratio,
    sequential_prefill,
    summarize,
    synthetic_cluster,
    verdict,
)
from tests.helpers import NOW, example, scripted

DRAFTERS = {"SummaryDraft", "TimelineDraft", "ImpactDraft", "Classification"}


def test_distinct_prefix_tokens_counts_each_shared_prefix_once() -> None:
    assert distinct_prefix_tokens([]) == 0
    assert distinct_prefix_tokens([[1, 2, 3]]) == 3
    # trie nodes: 1, 2, 3, 4 | 5 | 6
    assert distinct_prefix_tokens([[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 6]]) == 6
    assert distinct_prefix_tokens([[1, 2], [1, 2]]) == 2
    assert distinct_prefix_tokens([[7, 8], [1, 2]]) == 4
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2


def test_sequential_prefill_follows_llama_cpp_order_and_refresh() -> None:
    # The second prompt reuses [1, 2]; the third diverges from the second at once.
    assert sequential_prefill([[1, 2, 3], [1, 2, 4], [9]]) == 3 + 1 + 1
    # The same prompt twice: llama.cpp re-evaluates one token to refresh the logits.
    assert sequential_prefill([[1, 2, 3], [1, 2, 3]]) == 3 + 1
    # Interleaving two stories' prompts loses the reuse that grouping keeps.
    a1, a2, b1, b2 = [1, 1, 1, 2], [1, 1, 1, 3], [5, 5, 5, 6], [5, 5, 5, 7]
    assert sequential_prefill([a1, b1, a2, b2]) == 16
    assert sequential_prefill([a1, a2, b1, b2]) == 10 == distinct_prefix_tokens([a1, a2, b1, b2])


def test_lower_bound_and_ratios() -> None:
    rates = Rates(prefill=200.0, decode_free=80.0, decode_constrained=50.0)
    assert lower_bound_seconds(1000, 100, rates) == pytest.approx(5.0 + 2.0)
    with pytest.raises(ValueError):
        lower_bound_seconds(1, 1, Rates(0.0, 1.0, 1.0))
    assert ratio(3, 4) == 0.75
    assert ratio(1, 0) is None
    assert verdict("wall_over_bound", 1.29) == "met"
    assert verdict("wall_over_bound", 1.31) == "NOT met"
    assert verdict("redraft_tokens", 0.0) == "met"
    assert verdict("prefill_tokens", 5.0) == ""


def _tokens(messages: list[dict[str, str]]) -> list[int]:
    # A stand-in tokenizer: one token per word, in a chat-template-like layout.
    vocabulary: dict[str, int] = _tokens.vocabulary  # type: ignore[attr-defined]
    words = []
    for message in messages:
        words += [f"<{message['role']}>", *message["content"].split(), "</>"]
    return [vocabulary.setdefault(w, len(vocabulary)) for w in words]


_tokens.vocabulary = {}  # type: ignore[attr-defined]


def _draft_requests(settings: Settings) -> list[Any]:
    from agent.api import StoryAgent

    fake = scripted(FakeModel())
    agent = StoryAgent(settings, gateway=Gateway(fake), now=NOW)
    agent.draft(parse_cluster(example("koizumi-hegseth")))
    return [r for r in fake.requests if r.schema_name in DRAFTERS]


def test_every_drafter_prompt_starts_with_the_same_instructions_then_evidence(
    settings: Settings,
) -> None:
    requests = _draft_requests(settings)
    assert {r.schema_name for r in requests} == DRAFTERS
    firsts = {json.dumps(r.messages[0]) for r in requests}
    assert len(firsts) == 1, "the drafters' first messages differ: no shared prefix to reuse"
    system = requests[0].messages[0]
    assert system["role"] == "system"
    # Instructions first, the numbered evidence after them, the task only in later messages.
    assert system["content"].index("EVIDENCE") < system["content"].index("[a1.s1]")
    assert all("[a1.s1]" not in m["content"] for r in requests for m in r.messages[1:])


def test_revise_and_verify_follow_the_drafters_prefix(settings: Settings) -> None:
    # A loose paraphrase goes to the model's verdict, a wrong figure to revise: both questions
    # must start with the very message the drafters prefilled, so it is not prefilled again.
    from agent.api import StoryAgent

    summary = [
        {"citations": ["a2.s2"], "text": "Koizumi and Hegseth spoke for roughly fifty minutes."},
        {"citations": ["a2.s2"], "text": "The meeting at the Pentagon lasted about 90 minutes."},
    ]
    fake = scripted(
        FakeModel(),
        summary=summary,
        verdict="supported",
        rewrite="The meeting at the Pentagon lasted about 95 minutes.",
    )
    agent = StoryAgent(
        settings.model_copy(update={"model_verdicts": "on", "max_revisions": 1}),
        gateway=Gateway(fake),
        now=NOW,
    )
    agent.draft(parse_cluster(example("koizumi-hegseth")))
    shared = {json.dumps(r.messages[0]) for r in fake.requests if r.schema_name in DRAFTERS}
    asked = fake.calls("VerifyAnswer") + fake.calls("Rewrite")
    assert len(shared) == 1 and fake.calls("VerifyAnswer") and fake.calls("Rewrite")
    assert all(json.dumps(r.messages[0]) in shared for r in asked)
    assert all(len(r.messages) == 2 and r.messages[1]["role"] == "user" for r in asked)


def test_the_shared_prefix_says_the_evidence_is_data_not_instructions() -> None:
    from agent.prompts import load_prompt

    system = load_prompt("prefix").render(today="2026-01-17", evidence="[a1.s1] x").messages[0]
    instructions = system.content.split("EVIDENCE")[0]
    assert "not instructions" in instructions


def test_prefix_reuse_is_the_same_in_any_branch_order(settings: Settings) -> None:
    # The four drafters run in parallel and take turns on one llama.cpp context in any order:
    # each order must prefill only the shared prefix once, plus each task.
    prompts = [_tokens(r.messages) for r in _draft_requests(settings)]
    naive = sum(len(p) for p in prompts)
    best = distinct_prefix_tokens(prompts)
    for order in itertools.permutations(prompts):
        assert sequential_prefill(list(order)) == best
    assert best <= 0.5 * naive


def test_recorded_answers_replay_instantly_and_refuse_an_unknown_call() -> None:
    fake = FakeModel().enqueue_text("Thing", '{"a": 1}')
    recorder = Recorder(fake)
    messages = [{"role": "user", "content": "hello there"}]
    sampling = Sampling(temperature=0.0, max_tokens=5, seed=1)
    first = recorder.generate(messages, {}, "Thing", sampling)
    replay = Replay(recorder.answers, model="m")
    again = replay.generate(messages, {}, "Thing", sampling)
    assert (again.text, again.prompt_tokens) == (first.text, first.prompt_tokens)
    with pytest.raises(RuntimeError, match="no recorded answer"):
        replay.generate([{"role": "user", "content": "other"}], {}, "Thing", sampling)


class _Prefilling(FakeModel):
    def generate(self, *args: Any, **kwargs: Any) -> Completion:
        done = super().generate(*args, **kwargs)
        return Completion(done.text, done.prompt_tokens, done.completion_tokens, False, 1)


def test_gateway_counts_prefilled_tokens_or_the_whole_prompt_when_unknown() -> None:
    from pydantic import BaseModel

    class Thing(BaseModel):
        a: int

    from agent.prompts import Message, RenderedPrompt

    prompt = RenderedPrompt("p", "1", "x", (Message("user", "one two three"),))
    unknown = Gateway(FakeModel().enqueue(Thing(a=1)))
    unknown.structured(prompt, Thing)
    assert unknown.totals.prefilled_tokens == unknown.totals.prompt_tokens == 3
    known = Gateway(_Prefilling().enqueue(Thing(a=1)))
    known.structured(prompt, Thing)
    assert (known.totals.prompt_tokens, known.totals.prefilled_tokens) == (3, 1)


def test_one_model_thread_by_default(settings: Settings) -> None:
    assert DEFAULT_N_THREADS == 1
    assert LocalBackend(settings).n_threads == 1
    assert LocalBackend(settings.model_copy(update={"n_threads": 2})).n_threads == 2
    with pytest.raises(ValueError):
        LocalBackend(settings).set_threads(0)


@pytest.mark.parametrize("size", [3, 30, 100])
def test_synthetic_clusters_are_one_event_of_distinct_articles_within_budget(size: int) -> None:
    cluster = parse_cluster(synthetic_cluster(size))
    assert len(cluster.articles) == size
    assert len({a.text for a in cluster.articles}) == size
    evidence = build_evidence(cluster, 1500)  # raises if it is not one event
    assert not [a for a in evidence.articles if a.duplicate_of]
    assert evidence.used_tokens <= 1500
    assert synthetic_cluster(size) == synthetic_cluster(size)  # seeded: the same every run


def _out() -> dict[str, Any]:
    story = {
        "cluster_id": "c1",
        "articles": 3,
        "wall_seconds": 10.0,
        "cpu_seconds": 5.0,
        "calls": 5,
        "prompt_tokens": 3000,
        "prefilled_tokens": 1200,
        "distinct_prompt_tokens": 1100,
        "completion_tokens": 200,
        "model_seconds": 9.5,
        "max_prompt_tokens": 800,
        "supported": 6,
        "claims": 7,
        "first_round_supported": 5,
        "first_round_claims": 7,
        "bound_seconds": 8.0,
        "wall_over_bound": 1.25,
        "cpu_bound_seconds": 4.0,
        "cpu_over_bound": 1.25,
        "prefill_share": 0.4,
        "calls_by_schema": {},
    }
    return {
        "machine": {"cpus": 2, "nice": 10, "loadavg_start": 1.0, "loadavg_end": 1.5},
        "settings": {"n_threads": 1, "n_ctx": 8192},
        "stories": [story, {**story, "cluster_id": "c2", "wall_over_bound": 1.5}],
        "overhead": {
            "overhead_ms": 40.0,
            "overhead_cpu_ms": 30.0,
            "first_ms": 90.0,
            "overhead_share": 0.004,
        },
        "cache": {"cli_start_seconds": 0.1},
        "growth": [
            {
                "ok": True,
                "size": n,
                "draft_seconds": seconds,
                "prompt_tokens": 3000,
                "prefilled_tokens": 1200,
                "completion_tokens": 200,
                "max_prompt_tokens": 900,
                "n_ctx": 8192,
                "peak_rss_mib": 400.0,
            }
            for n, seconds in ((10, 20.0), (100, 50.0))
        ],
    }


def test_summary_takes_the_worst_story_and_the_growth_ratio() -> None:
    summary = summarize(_out())
    assert summary["wall_over_bound"] == 1.5
    assert summary["prefill_share"] == 0.4
    assert summary["growth_100_over_10"] == 2.5
    assert summary["cli_start_seconds"] == 0.1
    assert "redraft_seconds" not in summary


def test_table_names_each_target_and_whether_it_is_met() -> None:
    out = _out()
    out["summary"] = summarize(out)
    table = format_table(out)
    assert "wall_over_bound" in table and "NOT met" in table
    assert "overhead_ms" in table and "load average 1.0" in table


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """`storydesk --help` builds the whole parser without SQLAlchemy, LangGraph or llama.cpp."""
    import subprocess
    import sys

    probe = (
        "import sys; from agent.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'langgraph', 'llama_cpp', 'fastapi') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_bench_subcommands_keep_cluster_and_add_story() -> None:
    from agent.cli import bench, build_parser

    parser = build_parser()
    args = parser.parse_args(["bench", "--json", "x.json"])
    assert args.func is bench.cmd_bench and args.json_path == "x.json"
    args = parser.parse_args(["bench", "story", "--sections", "rates"])
    assert args.func is bench.cmd_bench and args.sections == "rates"
    args = parser.parse_args(["bench", "cluster", "--n", "100"])
    assert args.func is not bench.cmd_bench


def test_unknown_bench_section_is_refused(settings: Settings, tmp_path: Path) -> None:
    from agent.errors import InputError
    from evals.bench import run_bench

    with pytest.raises(InputError, match="unknown bench sections"):
        run_bench(settings, clusters=[], sections=["nope"])


class _Overlapping(FakeModel):
    """Counts how many calls are in flight at once (a server backend can take them all)."""

    def __init__(self) -> None:
        super().__init__()
        import threading

        self.in_flight = 0
        self.most = 0
        self.gate = threading.Barrier(4, timeout=5)
        self.count_lock = threading.Lock()

    def generate(self, messages: Any, schema: Any, schema_name: str, sampling: Any) -> Completion:
        if schema_name in DRAFTERS:
            with self.count_lock:
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
            try:
                self.gate.wait()  # only returns once all four drafters are in flight together
            finally:
                with self.count_lock:
                    self.in_flight -= 1
        return super().generate(messages, schema, schema_name, sampling)


def test_the_four_drafters_reach_a_concurrent_backend_together(settings: Settings) -> None:
    from agent.api import StoryAgent

    fake = scripted(_Overlapping())
    StoryAgent(settings, gateway=Gateway(fake), now=NOW).draft(
        parse_cluster(example("koizumi-hegseth"))
    )
    assert fake.most == 4


def test_queue_copies_draft_separately_with_the_same_prompts(tmp_path: Path) -> None:
    # The queue bench replays one recording for every copy: their content must differ (the
    # desk drafts the same content once) while what the model is shown stays the same.
    from agent.desk.bench import copies
    from agent.desk.service import content_hash
    from agent.nodes.common import format_evidence
    from evals.bench import load_answers, save_answers

    cluster = example("riverton-ferry-conflict")
    made = copies(cluster, 3, "t")
    parsed = [parse_cluster(c) for c in made]
    assert len({content_hash(c) for c in parsed}) == 3
    assert len({c.id for c in parsed}) == 3
    shown = {format_evidence(build_evidence(c, 4000)) for c in parsed}
    assert shown == {format_evidence(build_evidence(parse_cluster(cluster), 4000))}

    recorder = Recorder(FakeModel().enqueue_text("Thing", '{"a": 1}'))
    messages = [{"role": "user", "content": "hello"}]
    recorder.generate(messages, {}, "Thing", Sampling(temperature=0.0, max_tokens=5, seed=1))
    save_answers(recorder.answers, tmp_path / "answers.json")
    assert load_answers(tmp_path / "answers.json") == recorder.answers
