"""`storydesk bench`: what a story costs against what the embedded model itself allows.

Every figure is a ratio inside one run on this machine (machines are shared and noisy): the
model's own prefill and decode rates are measured in the same run as the stories they bound.
Sections: rates, story (lower bound, prefix reuse), overhead (instant replayed model), cache,
baseline (one prompt for the whole story), growth (3 to 100 articles), threads (under load).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, create_model

from agent.errors import InputError, ModelOutputError
from agent.llm.backends import Backend, CallTrace, Completion, LocalBackend, Sampling
from agent.settings import Settings

SECTIONS = ("rates", "story", "overhead", "cache", "baseline", "growth", "threads")
GROWTH_SIZES = (3, 10, 30, 100)
NOW = datetime(2026, 1, 17, 12, 0, tzinfo=UTC)
"""A fixed "today": the prompts (and so the replayed answers) must not drift between runs."""

TARGETS = {
    "wall_over_bound": ("<=", 1.3),
    "cpu_over_bound": ("<=", 1.3),
    "prefill_share": ("<=", 0.40),
    "overhead_ms": ("<=", 50.0),
    "overhead_cpu_ms": ("<=", 50.0),
    "overhead_share": ("<=", 0.03),
    "redraft_tokens": ("<=", 0.0),
    "redraft_seconds": ("<=", 0.2),
    "cli_start_seconds": ("<=", 0.5),
    "growth_100_over_10": ("<=", 3.0),
}


# --------------------------------------------------------------------------- arithmetic


def distinct_prefix_tokens(sequences: Iterable[Sequence[int]]) -> int:
    """Tokens a perfect prefix cache prefills for these prompts: each shared prefix once.

    That is the number of nodes of the token trie, computed as the sum of lengths minus the
    common prefix of each prompt with its neighbour in sorted order.
    """
    ordered = sorted(tuple(s) for s in sequences)
    total = 0
    previous: tuple[int, ...] = ()
    for sequence in ordered:
        total += len(sequence) - common_prefix(previous, sequence)
        previous = sequence
    return total


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def sequential_prefill(sequences: Sequence[Sequence[int]]) -> int:
    """Tokens one reused context prefills for these prompts in this order (llama.cpp's rule:
    keep the longest prefix shared with the previous prompt, evaluate the rest)."""
    total = 0
    previous: Sequence[int] = ()
    for sequence in sequences:
        reused = common_prefix(previous, sequence)
        if reused == len(sequence) and reused:
            reused -= 1  # llama.cpp re-evaluates one token to refresh the logits
        total += len(sequence) - reused
        previous = sequence
    return total


@dataclass(frozen=True)
class Rates:
    """The model's own speed on this machine, in tokens per second."""

    prefill: float
    decode_free: float
    decode_constrained: float


def lower_bound_seconds(distinct_prompt: int, completion: int, rates: Rates) -> float:
    """The fastest a story can be: distinct prompt tokens prefilled once, plus its completion
    tokens decoded under the schema, at the measured rates."""
    if rates.prefill <= 0 or rates.decode_constrained <= 0:
        raise ValueError("rates must be positive")
    return distinct_prompt / rates.prefill + completion / rates.decode_constrained


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is zero."""
    return numerator / denominator if denominator else None


def median(values: Sequence[float]) -> float:
    """The median (raises on no values)."""
    if not values:
        raise ValueError("no values")
    return float(statistics.median(values))


def verdict(name: str, value: float | None) -> str:
    """'met', 'NOT met' or '' (no target) for a figure."""
    if name not in TARGETS or value is None:
        return ""
    op, limit = TARGETS[name]
    ok = value <= limit if op == "<=" else value >= limit
    return "met" if ok else "NOT met"


# --------------------------------------------------------------------------- record and replay


@dataclass(frozen=True)
class _Recorded:
    text: str
    prompt_tokens: int
    completion_tokens: int


def _call_key(messages: list[dict[str, str]], schema_name: str) -> str:
    return json.dumps([schema_name, messages], sort_keys=True, ensure_ascii=False)


class Recorder:
    """A backend that passes calls to another one and remembers each answer for Replay."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.answers: dict[str, list[_Recorded]] = {}

    def identity(self) -> dict[str, Any]:
        return self.inner.identity()

    def generate(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        schema_name: str,
        sampling: Sampling,
    ) -> Completion:
        completion = self.inner.generate(messages, schema, schema_name, sampling)
        self.answers.setdefault(_call_key(messages, schema_name), []).append(
            _Recorded(completion.text, completion.prompt_tokens, completion.completion_tokens)
        )
        return completion


class Replay:
    """An instant model: answers each call with what the real model answered to it."""

    name = "replay"

    def __init__(self, answers: dict[str, list[_Recorded]], model: str) -> None:
        self.answers = answers
        self.model = model
        self.seconds = 0.0

    def identity(self) -> dict[str, Any]:
        return {"replay": True}

    def generate(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        schema_name: str,
        sampling: Sampling,
    ) -> Completion:
        started = time.perf_counter()
        answers = self.answers.get(_call_key(messages, schema_name))
        if not answers:
            raise RuntimeError(
                f"replay: no recorded answer for a {schema_name} call; the graph asked "
                "something the recorded run did not (is a prompt not deterministic?)"
            )
        answer = answers[0]
        self.seconds += time.perf_counter() - started
        return Completion(answer.text, answer.prompt_tokens, answer.completion_tokens)


REPLAY_FILE = "STORYDESK_BENCH_REPLAY"
"""Bench-only: a file of recorded answers; `replay_backend` (named by STORYDESK_TEST_BACKEND)
answers a desk worker's calls from it instantly, so the queue bench measures the desk alone."""


def save_answers(answers: dict[str, list[_Recorded]], path: Path) -> None:
    """Write recorded answers as JSON (for a worker process's `replay_backend`)."""
    data = {key: [asdict(a) for a in items] for key, items in answers.items()}
    path.write_text(json.dumps(data), encoding="utf-8")


def load_answers(path: Path) -> dict[str, list[_Recorded]]:
    """Read answers written by `save_answers`."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {key: [_Recorded(**a) for a in items] for key, items in data.items()}


def replay_backend() -> Replay:
    """The instant model of a queue bench worker: the answers in the file STORYDESK_BENCH_REPLAY
    names (bench and tests only; loaded through STORYDESK_TEST_BACKEND)."""
    path = os.environ.get(REPLAY_FILE)
    if not path:
        raise InputError(f"{REPLAY_FILE} must name a file of recorded answers")
    return Replay(load_answers(Path(path)), model="replay")


# --------------------------------------------------------------------------- clusters

_OUTLETS = [
    ("Harbor Ledger", "left"),
    ("Coastal Times", "lean-left"),
    ("Alden Daily", "center"),
    ("State Wire", "center"),
    ("Bay Courier", "lean-right"),
    ("Patriot Post", "right"),
]
_FIRST = ["Maria", "James", "Priya", "Chen", "Luis", "Aisha", "Tom", "Grace", "Omar", "Nina"]
_LAST = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Reyes", "Novak", "Haddad", "Brennan"]
_JOBS = [
    "runs a bakery on Front Street",
    "drives a delivery van",
    "teaches at Alden High",
    "owns a hardware store",
    "commutes to the hospital",
    "manages a marina",
]
_TEMPLATES = [
    "Mayor Elena Ruiz said the closure would last about {weeks} weeks.",
    "Engineers found cracks in two steel girders during an inspection on Jan. 12.",
    "About {cars:,} vehicles cross the bridge each day, according to the city transportation "
    "department.",
    "Council member Tom Becker, who voted against the plan, said the city had waited too long.",
    "The repairs are expected to cost ${cost} million, paid mostly from the state "
    "infrastructure fund.",
    "Business owners near the bridge said detours could cut their sales during the repairs.",
    "A ferry between Alden Point and the downtown pier will run every {minutes} minutes "
    "during the closure.",
    "The Harbor Street bridge opened in 1968 and was last renovated in 1997.",
    "Drivers will be sent to the Lincoln Avenue crossing, about two miles north.",
    "Ruiz said public safety had to come before convenience.",
    "The state transportation agency said it would review the inspection report this week.",
    "Emergency vehicles will be allowed to use one lane on the bridge until work begins.",
    "Work is scheduled to start on Jan. 19, the council said.",
    "Becker said the ferry would not be enough for workers on night shifts.",
    "School buses will follow new routes, the Port Alden school district said.",
    "The council also approved {grants} grants for shops along the detour route.",
]


def synthetic_cluster(size: int, seed: int = 13) -> dict[str, Any]:
    """A cluster of `size` distinct articles about one invented event (a bridge closure).

    Each article has its own mix of the event's facts and a quote of its own, so none is a
    syndicated copy of another and the evidence budget, not the article count, bounds prompts.
    """
    if size < 1:
        raise ValueError("a cluster needs at least one article")
    rng = random.Random(seed)
    start = datetime(2026, 1, 14, 8, 0, tzinfo=UTC)
    articles = []
    for n in range(1, size + 1):
        outlet, lean = _OUTLETS[(n - 1) % len(_OUTLETS)]
        lead = (
            "The Port Alden city council voted 7-2 on Tuesday to close the Harbor Street bridge "
            "for emergency repairs."
        )
        picked = rng.sample(_TEMPLATES, k=rng.randint(5, 8))
        fills = {
            "weeks": rng.choice([6, 8]),
            "cars": rng.choice([18000, 21000]),
            "cost": rng.choice([4, 4.5]),
            "minutes": rng.choice([20, 30]),
            "grants": rng.choice([12, 15]),
        }
        person = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        quote = (
            f'"{rng.choice(["It will be hard", "We knew it was coming", "I am worried"])} for '
            f'{rng.choice(["my family", "the neighborhood", "everyone downtown"])}," said '
            f"{person}, who {rng.choice(_JOBS)}."
        )
        sentences = [lead, *(t.format(**fills) for t in picked), quote]
        articles.append(
            {
                "id": f"a{n}",
                "outlet": outlet,
                "lean": lean,
                "title": rng.choice(
                    [
                        "Port Alden council votes to close Harbor Street bridge",
                        "Harbor Street bridge to close for repairs after council vote",
                        "Council shuts Harbor Street bridge over girder cracks",
                    ]
                ),
                "url": f"https://example.org/{outlet.lower().replace(' ', '-')}/bridge-{n}",
                "published_at": (start + timedelta(minutes=37 * n)).isoformat(),
                "text": " ".join(sentences),
            }
        )
    return {"id": f"c-bench-bridge-{size}", "articles": articles}


# --------------------------------------------------------------------------- measurements


def _local(settings: Settings) -> LocalBackend:
    if settings.backend != "local":
        raise InputError(
            "storydesk bench measures the embedded model: unset OPENAI_BASE_URL and "
            "OPENAI_API_KEY (STORYDESK_LLM=local)"
        )
    return LocalBackend(settings)


def _loadavg() -> float:
    return os.getloadavg()[0]


def measure_rates(backend: LocalBackend, evidence: Any) -> dict[str, float]:
    """Prefill, free decode and schema-constrained decode rates of the model, here and now,
    per wall second and per CPU second (the schema is the summary drafter's own)."""
    from agent.llm.gateway import output_schema
    from agent.nodes.common import format_evidence
    from agent.nodes.summary import SummaryDraft

    system = {
        "role": "system",
        "content": f"You summarise news.\n\nEVIDENCE\n{format_evidence(evidence)}",
    }
    ask = {"role": "user", "content": "Describe the event in detail, in one long paragraph."}
    constrained_format = {
        "type": "json_object",
        "schema": output_schema(SummaryDraft, evidence.selected),
    }
    decode = Sampling(temperature=0.0, max_tokens=96, seed=7)
    backend.trace = []
    reuse = backend.reuse_prefix
    try:
        backend.reuse_prefix = False
        one = Sampling(temperature=0.0, max_tokens=1, seed=7)
        backend.complete([system, ask], None, one, name="rates", constrained=False)
        backend.reuse_prefix = True  # the decodes below start from the prefilled prompt
        backend.complete([system, ask], None, decode, name="rates", constrained=False)
        backend.complete([system, ask], constrained_format, decode, name="rates", constrained=True)
    finally:
        backend.reuse_prefix = reuse
    prefill, free, constrained = backend.trace
    backend.trace = None

    def per(tokens: int, seconds: float) -> float:
        return tokens / max(seconds, 1e-9)

    return {
        "prefill_tps": per(prefill.prefilled_tokens, prefill.prefill_seconds),
        "prefill_cpu_tps": per(prefill.prefilled_tokens, prefill.cpu_seconds),
        "prefill_tokens": float(prefill.prefilled_tokens),
        # A decode's whole call minus its prefill: compute, sampling and the grammar.
        "decode_free_tps": per(free.completion_tokens, free.seconds - free.prefill_seconds),
        "decode_free_cpu_tps": per(free.completion_tokens, free.cpu_seconds),
        "decode_free_tokens": float(free.completion_tokens),
        "decode_constrained_tps": per(
            constrained.completion_tokens, constrained.seconds - constrained.prefill_seconds
        ),
        "decode_constrained_cpu_tps": per(constrained.completion_tokens, constrained.cpu_seconds),
        "decode_constrained_tokens": float(constrained.completion_tokens),
    }


@dataclass
class StoryRun:
    cluster_id: str
    articles: int
    wall_seconds: float
    cpu_seconds: float
    calls: int
    prompt_tokens: int
    prefilled_tokens: int
    distinct_prompt_tokens: int
    completion_tokens: int
    model_seconds: float
    max_prompt_tokens: int
    supported: int
    claims: int
    first_round_supported: int | None
    first_round_claims: int | None
    traces: list[CallTrace] = field(repr=False, default_factory=list)

    def figures(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("traces")
        return data


def _agent(settings: Settings, backend: Backend, cache_dir: Path | None) -> Any:
    from agent.api import StoryAgent
    from agent.llm.cache import ResponseCache
    from agent.llm.gateway import Gateway

    gateway = Gateway(
        backend,
        cache=ResponseCache(cache_dir) if cache_dir is not None else None,
        temperature=settings.temperature,
        seed=settings.seed,
        output_attempts=settings.output_attempts,
    )
    return StoryAgent(settings, gateway=gateway, now=NOW)


def draft_measured(agent: Any, local: LocalBackend, cluster: dict[str, Any]) -> StoryRun:
    """Draft one story with the embedded model and read what each call really cost."""
    from agent.schemas import parse_cluster

    parsed = parse_cluster(cluster)
    local.trace = []
    started = time.perf_counter()
    cpu_started = time.process_time()
    story = agent.draft(parsed)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    traces = local.trace
    local.trace = None
    first = _first_round(agent, story.provenance.thread_id)
    return StoryRun(
        cluster_id=parsed.id,
        articles=len(parsed.articles),
        wall_seconds=wall,
        cpu_seconds=cpu,
        calls=len(traces),
        prompt_tokens=sum(len(t.prompt_ids) for t in traces),
        prefilled_tokens=sum(t.prefilled_tokens for t in traces),
        distinct_prompt_tokens=distinct_prefix_tokens(t.prompt_ids for t in traces),
        completion_tokens=sum(t.completion_tokens for t in traces),
        model_seconds=sum(t.seconds for t in traces),
        max_prompt_tokens=max((len(t.prompt_ids) for t in traces), default=0),
        supported=story.fact_check.supported,
        claims=len(story.fact_check.claims),
        first_round_supported=first[0] if first else None,
        first_round_claims=first[1] if first else None,
        traces=traces,
    )


def _first_round(agent: Any, thread_id: str) -> tuple[int, int] | None:
    # The first fact_check's verdicts, before revise and the evidence fallbacks: what the
    # drafters wrote, comparable with the single prompt's one-shot story.
    config = {"configurable": {"thread_id": thread_id}}
    history = list(agent.graph.get_state_history(config))
    for snapshot in reversed(history):  # oldest first
        checked = snapshot.values.get("fact_check")
        if checked:
            return int(checked["supported"]), len(checked["claims"])
    return None


def single_prompt_story(agent: Any, local: LocalBackend, cluster: dict[str, Any]) -> dict[str, Any]:
    """The simple way: one call writes the whole story as JSON; the same fact-check scores it."""
    from agent.checks.claims import run_checks, to_fact_check
    from agent.checks.drafts import Drafts
    from agent.nodes.common import id_enum, model_verifier, with_prefix
    from agent.nodes.screen import build_evidence, evidence_budget
    from agent.prompts import load_prompt
    from agent.schemas import CATEGORIES, Sentiment, parse_cluster, precision_of

    parsed = parse_cluster(cluster)
    context = agent.context()
    evidence = build_evidence(parsed, evidence_budget(context))
    citations: Any = list[id_enum(evidence.selected)]  # type: ignore[misc]
    date_pattern = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
    sentence = create_model(
        "SingleSentence",
        citations=(citations, Field(min_length=1, max_length=3)),
        text=(str, Field(min_length=1, max_length=320)),
    )
    event = create_model(
        "SingleEvent",
        date=(str, Field(pattern=date_pattern)),
        event=(str, Field(min_length=1, max_length=320)),
        citations=(citations, Field(min_length=1, max_length=3)),
    )
    party = create_model(
        "SingleParty",
        party=(str, Field(max_length=80)),
        explanation=(str, Field(min_length=1, max_length=320)),
        citations=(citations, Field(min_length=1, max_length=3)),
    )
    category: Any = Literal[CATEGORIES]
    sentiment: Any = Sentiment
    output = create_model(
        "SingleStory",
        title=(str, Field(max_length=120)),
        category=(category, ...),
        sentiment=(sentiment, ...),
        summary=(list[sentence], Field(min_length=1, max_length=5)),  # type: ignore[valid-type]
        timeline=(list[event], Field(max_length=6)),  # type: ignore[valid-type]
        who_benefited=(list[party], Field(max_length=3)),  # type: ignore[valid-type]
        who_impacted=(list[party], Field(max_length=3)),  # type: ignore[valid-type]
    )
    task = load_prompt("single_story").render(categories=", ".join(CATEGORIES))
    prompt = with_prefix(context, evidence, task)
    gateway = agent.gateway
    local.trace = []
    started = time.perf_counter()
    try:
        result = gateway.structured(prompt, output, max_tokens=1500)
    except ModelOutputError as error:
        # The simple way failing is a result too: what it spent, and no story.
        traces = local.trace
        local.trace = None
        return {
            "cluster_id": parsed.id,
            "failed": str(error).split("; last problem: ")[-1][:160],
            "draft_seconds": time.perf_counter() - started,
            "wall_seconds": time.perf_counter() - started,
            "calls": len(traces),
            "prompt_tokens": sum(len(t.prompt_ids) for t in traces),
            "prefilled_tokens": sum(t.prefilled_tokens for t in traces),
            "completion_tokens": sum(t.completion_tokens for t in traces),
            "draft_completion_tokens": sum(t.completion_tokens for t in traces),
            "supported": 0,
            "claims": 0,
        }
    draft_seconds = time.perf_counter() - started
    draft_traces = list(local.trace)
    value: Any = result.value
    state: Drafts = {
        "classification": {
            "title": value.title,
            "category": value.category,
            "sentiment": value.sentiment,
        },
        "summary": [{"text": s.text, "citations": list(s.citations)} for s in value.summary],
        "timeline": [
            {
                "date": e.date,
                "precision": precision_of(e.date),
                "event": e.event,
                "citations": list(e.citations),
            }
            for e in value.timeline
        ],
        "who_benefited": [
            {"party": p.party, "explanation": p.explanation, "citations": list(p.citations)}
            for p in value.who_benefited
        ],
        "who_impacted": [
            {"party": p.party, "explanation": p.explanation, "citations": list(p.citations)}
            for p in value.who_impacted
        ],
    }
    verifier = model_verifier(gateway, context=context, evidence=evidence)
    checked, conflicts = run_checks(state, evidence, verifier)
    fact_check = to_fact_check(checked, conflicts)
    wall = time.perf_counter() - started
    traces = local.trace
    local.trace = None
    return {
        "cluster_id": parsed.id,
        "draft_seconds": draft_seconds,
        "wall_seconds": wall,
        "calls": len(traces),
        "prompt_tokens": sum(len(t.prompt_ids) for t in traces),
        "prefilled_tokens": sum(t.prefilled_tokens for t in traces),
        "completion_tokens": sum(t.completion_tokens for t in traces),
        "draft_completion_tokens": sum(t.completion_tokens for t in draft_traces),
        "supported": fact_check.supported,
        "claims": len(fact_check.claims),
    }


def overhead(
    settings: Settings, answers: dict[str, list[_Recorded]], cluster: dict[str, Any], repeat: int
) -> dict[str, float]:
    """Wall time of a story with the recorded answers replayed instantly (graph, checks,
    checkpoints): first run and the median of the following ones."""
    from agent.checks.claims import forget_checks
    from agent.schemas import parse_cluster

    replay = Replay(answers, model="replay")
    parsed = parse_cluster(cluster)
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as scratch:
        agent = _agent(settings.model_copy(update={"data_dir": Path(scratch)}), replay, None)
        for _ in range(repeat + 1):
            # Each run is a new story to the checks: what they remember of the last run's
            # evidence would make a repeat cheaper than any real story.
            forget_checks()
            started = time.perf_counter()
            cpu_started = time.process_time()
            agent.draft(parsed)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu_started)
    return {
        "first_ms": walls[0] * 1000,
        "overhead_ms": median(walls[1:]) * 1000,
        "overhead_cpu_ms": median(cpus[1:]) * 1000,
        "model_ms": replay.seconds * 1000 / len(walls),
    }


def cli_start_seconds(repeat: int = 3) -> float:
    """Median wall time of `storydesk --help` in a fresh process."""
    command = _storydesk_command() + ["--help"]
    walls = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
    return median(walls)


def _storydesk_command() -> list[str]:
    script = Path(sys.executable).with_name("storydesk")
    if script.is_file():
        return [str(script)]
    found = shutil.which("storydesk")
    return [found] if found else [sys.executable, "-m", "agent.cli"]


@dataclass
class Busy:
    """Another process keeping one core busy (at this process's own priority), while open."""

    process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Busy:
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def _child(args: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            args, env={**os.environ, **env}, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "seconds": None, "timeout": timeout}
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        return {"ok": False, "seconds": seconds, "error": " | ".join(tail)}
    result: dict[str, Any] = {"ok": True, "seconds": seconds}
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    if lines and lines[-1].startswith("{"):
        result.update(json.loads(lines[-1]))
    return result


def threads_under_load(cluster_path: Path, timeout: float) -> list[dict[str, Any]]:
    """`storydesk check` and a full draft with 1 and 2 model threads, with and without another
    process holding one core."""
    rows = []
    for loaded in (False, True):
        for threads in (1, 2):
            env = {"STORYDESK_N_THREADS": str(threads), "STORYDESK_CACHE": "false"}
            with tempfile.TemporaryDirectory() as scratch:
                env["STORYDESK_DATA_DIR"] = scratch
                busy = Busy() if loaded else None
                if busy is not None:
                    busy.__enter__()
                try:
                    load = _loadavg()
                    check = _child(_storydesk_command() + ["check"], env, timeout)
                    draft = _child(
                        [sys.executable, "-m", "evals.bench", "--child-draft", str(cluster_path)],
                        env,
                        timeout,
                    )
                finally:
                    if busy is not None:
                        busy.__exit__()
            rows.append(
                {
                    "threads": threads,
                    "busy_core": loaded,
                    "loadavg": load,
                    "check_seconds": check.get("seconds"),
                    "check_ok": check["ok"],
                    "draft_seconds": draft.get("draft_seconds"),
                    "draft_process_seconds": draft.get("seconds"),
                    "draft_ok": draft["ok"],
                    "draft_error": draft.get("error")
                    or (f"timed out after {timeout:.0f} s" if "timeout" in draft else None),
                }
            )
    return rows


def growth(sizes: Sequence[int], timeout: float) -> list[dict[str, Any]]:
    """Draft synthetic clusters of each size, each in a fresh process (for its peak memory)."""
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            env = {"STORYDESK_CACHE": "false", "STORYDESK_DATA_DIR": scratch}
            result = _child(
                [sys.executable, "-m", "evals.bench", "--child-growth", str(size)], env, timeout
            )
        result["size"] = size
        rows.append(result)
    return rows


def _child_main(argv: list[str]) -> int:
    # One draft in this fresh process: load the model first, then time the draft alone.
    from agent.settings import load_settings

    settings = load_settings(cache=False)
    local = _local(settings)
    with local._lock:
        local._ready()
    if argv[0] == "--child-growth":
        cluster = synthetic_cluster(int(argv[1]))
    else:
        cluster = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    agent = _agent(settings, local, None)
    run = draft_measured(agent, local, cluster)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "draft_seconds": run.wall_seconds,
        # CPU time, the model's share and the call count tell a slower draft from a busier
        # machine: a ratio of wall times alone moves with the load on shared cores.
        "draft_cpu_seconds": run.cpu_seconds,
        "model_seconds": run.model_seconds,
        "prefill_seconds": sum(t.prefill_seconds for t in run.traces),
        "decode_seconds": sum(t.decode_seconds for t in run.traces),
        "loadavg": _loadavg(),
        "prompt_tokens": run.prompt_tokens,
        "prefilled_tokens": run.prefilled_tokens,
        "completion_tokens": run.completion_tokens,
        "max_prompt_tokens": run.max_prompt_tokens,
        "n_ctx": local.n_ctx,
        "calls": run.calls,
        "peak_rss_mib": peak_mib,
        "n_threads": local.n_threads,
    }
    print(json.dumps(out))
    return 0


# --------------------------------------------------------------------------- the bench


def _examples_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "examples"


def default_clusters() -> list[Path]:
    """The project's example clusters about one event each (the mixed one is refused)."""
    directory = _examples_dir()
    paths = [directory / "koizumi-hegseth.json", directory / "riverton-ferry-conflict.json"]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise InputError(f"example clusters not found: {missing}; pass --cluster FILE")
    return paths


def run_bench(
    settings: Settings,
    *,
    clusters: Sequence[Path],
    sections: Sequence[str],
    sizes: Sequence[int] = GROWTH_SIZES,
    timeout: float = 600.0,
    progress: Callable[[str], None] = lambda _: None,
    partial: Callable[[dict[str, Any]], None] = lambda _: None,
) -> dict[str, Any]:
    """Run the chosen sections; return every figure (see the module docstring).

    `partial` receives the figures so far after each section (a long run keeps what it has).
    """
    from agent.nodes.screen import build_evidence, evidence_budget
    from agent.schemas import parse_cluster

    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise InputError(f"unknown bench sections {sorted(unknown)}; choose from {SECTIONS}")
    data = [json.loads(p.read_text(encoding="utf-8")) for p in clusters]
    out: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "nice": os.nice(0), "loadavg_start": _loadavg()},
        "settings": {"n_threads": None, "n_ctx": settings.n_ctx},
    }
    needs_model = {"rates", "story", "overhead", "cache", "baseline"} & set(sections)
    scratch = Path(tempfile.mkdtemp(prefix="storydesk-bench-"))
    try:
        if needs_model:
            local = _local(settings.model_copy(update={"data_dir": scratch}))
            out["settings"]["n_threads"] = local.n_threads
            progress(f"loading the model ({local.n_threads} thread(s)) ...")
            started = time.perf_counter()
            with local._lock:
                local._ready()
            out["machine"]["model_load_seconds"] = time.perf_counter() - started
            first = data[0]
            agent_settings = settings.model_copy(update={"data_dir": scratch})
            evidence = build_evidence(
                parse_cluster(first), evidence_budget(_agent(agent_settings, local, None).context())
            )
            rates_before = measure_rates(local, evidence)
            progress(f"rates: {rates_before}")
            stories: list[StoryRun] = []
            recorder = Recorder(local)
            if {"story", "overhead", "cache"} & set(sections):
                agent = _agent(agent_settings, recorder, scratch / "cache")
                for cluster in data:
                    progress(f"drafting {cluster['id']} ...")
                    stories.append(draft_measured(agent, local, cluster))
                if "cache" in sections:
                    progress("redrafting from the cache ...")
                    totals = agent.gateway.totals
                    tokens_before = totals.prompt_tokens + totals.completion_tokens
                    calls_before = totals.calls
                    started = time.perf_counter()
                    agent.draft(parse_cluster(first))
                    out["cache"] = {
                        "redraft_seconds": time.perf_counter() - started,
                        "redraft_tokens": totals.prompt_tokens
                        + totals.completion_tokens
                        - tokens_before,
                        "redraft_calls": totals.calls - calls_before,
                        "redraft_cached_calls": totals.cached_calls,
                    }
                if "story" in sections:
                    progress(f"drafting {first['id']} without prefix reuse ...")
                    local.reuse_prefix = False
                    naive = draft_measured(_agent(agent_settings, local, None), local, first)
                    local.reuse_prefix = True
                    out["naive"] = naive.figures()
            rates_after = measure_rates(local, evidence)
            progress(f"rates again: {rates_after}")

            def mean(key: str) -> float:
                return (rates_before[key] + rates_after[key]) / 2

            rates = Rates(
                mean("prefill_tps"), mean("decode_free_tps"), mean("decode_constrained_tps")
            )
            cpu_rates = Rates(
                mean("prefill_cpu_tps"),
                mean("decode_free_cpu_tps"),
                mean("decode_constrained_cpu_tps"),
            )
            out["rates"] = {
                "before": rates_before,
                "after": rates_after,
                "mean": asdict(rates),
                "mean_cpu": asdict(cpu_rates),
            }
            out["stories"] = []
            for run in stories:
                bound = lower_bound_seconds(
                    run.distinct_prompt_tokens, run.completion_tokens, rates
                )
                cpu_bound = lower_bound_seconds(
                    run.distinct_prompt_tokens, run.completion_tokens, cpu_rates
                )
                out["stories"].append(
                    {
                        **run.figures(),
                        "bound_seconds": bound,
                        "wall_over_bound": run.wall_seconds / bound,
                        "cpu_bound_seconds": cpu_bound,
                        "cpu_over_bound": run.cpu_seconds / cpu_bound,
                        "prefill_share": ratio(run.prefilled_tokens, run.prompt_tokens),
                        "calls_by_schema": _by_schema(run.traces),
                    }
                )
            if "naive" in out and stories:
                out["naive"]["wall_over_reuse_wall"] = (
                    out["naive"]["wall_seconds"] / stories[0].wall_seconds
                )
            if "overhead" in sections and stories:
                progress("replaying the recorded answers instantly ...")
                cost = overhead(agent_settings, recorder.answers, first, repeat=5)
                cost["overhead_share"] = cost["overhead_ms"] / (stories[0].wall_seconds * 1000)
                out["overhead"] = cost
            partial(out)
            if "baseline" in sections:
                out["baseline"] = []
                for cluster in data:
                    progress(f"single-prompt baseline on {cluster['id']} ...")
                    base_agent = _agent(agent_settings, local, None)
                    out["baseline"].append(single_prompt_story(base_agent, local, cluster))
        partial(out)
        if "cache" in sections:
            out.setdefault("cache", {})["cli_start_seconds"] = cli_start_seconds()
        if "growth" in sections:
            progress(f"growth over {list(sizes)} articles (one process each) ...")
            out["growth"] = growth(sizes, timeout)
        partial(out)
        if "threads" in sections:
            progress("threads with and without a busy core ...")
            smallest = min(clusters, key=lambda p: p.stat().st_size)
            out["threads"] = threads_under_load(smallest, timeout)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out["machine"]["loadavg_end"] = _loadavg()
    out["summary"] = summarize(out)
    return out


def _by_schema(traces: Sequence[CallTrace]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for trace in traces:
        row = table.setdefault(
            trace.name,
            {
                "calls": 0,
                "prompt": 0,
                "prefilled": 0,
                "completion": 0,
                "seconds": 0.0,
                "prefill_seconds": 0.0,
                "decode_seconds": 0.0,
            },
        )
        row["calls"] += 1
        row["seconds"] += trace.seconds
        row["prefill_seconds"] += trace.prefill_seconds
        row["decode_seconds"] += trace.decode_seconds
        row["prompt"] += len(trace.prompt_ids)
        row["prefilled"] += trace.prefilled_tokens
        row["completion"] += trace.completion_tokens
    return table


def summarize(out: dict[str, Any]) -> dict[str, float | None]:
    """The headline figures the targets apply to (worst story where there are several)."""
    summary: dict[str, float | None] = {}
    stories = out.get("stories") or []
    if stories:
        summary["wall_over_bound"] = max(s["wall_over_bound"] for s in stories)
        summary["cpu_over_bound"] = max(s["cpu_over_bound"] for s in stories)
        summary["prefill_share"] = max(s["prefill_share"] or 0.0 for s in stories)
        summary["prefill_tokens"] = float(stories[0]["prefilled_tokens"])
        summary["prefill_tokens_naive"] = float(stories[0]["prompt_tokens"])
    if "overhead" in out:
        summary["overhead_ms"] = out["overhead"]["overhead_ms"]
        summary["overhead_cpu_ms"] = out["overhead"]["overhead_cpu_ms"]
        summary["overhead_share"] = out["overhead"]["overhead_share"]
    cache = out.get("cache") or {}
    for key in ("redraft_tokens", "redraft_seconds", "cli_start_seconds"):
        if key in cache:
            summary[key] = float(cache[key])
    rows = {r["size"]: r for r in out.get("growth") or [] if r.get("ok")}
    if 10 in rows and 100 in rows:
        summary["growth_100_over_10"] = ratio(rows[100]["draft_seconds"], rows[10]["draft_seconds"])
    return summary


def format_table(out: dict[str, Any]) -> str:
    """The bench's figures as a plain-text table."""
    lines = []
    machine = out["machine"]
    lines.append(
        f"machine: {machine['cpus']} cpus, nice {machine['nice']}, load average "
        f"{machine['loadavg_start']:.1f} at start, {machine.get('loadavg_end', 0):.1f} at end; "
        f"model threads {out['settings']['n_threads']}"
    )
    if "rates" in out:
        r = out["rates"]
        lines.append("rates (tokens/s)        before   after    mean | per CPU s: before after")
        for key, label in (
            ("prefill", "prefill"),
            ("decode_free", "decode, free"),
            ("decode_constrained", "decode, schema"),
        ):
            lines.append(
                f"  {label:<20} {r['before'][key + '_tps']:7.1f} {r['after'][key + '_tps']:7.1f} "
                f"{r['mean'][key]:7.1f} |          {r['before'][key + '_cpu_tps']:6.1f} "
                f"{r['after'][key + '_cpu_tps']:5.1f}"
            )
    for s in out.get("stories") or []:
        lines.append(
            f"story {s['cluster_id']} ({s['articles']} articles): {s['wall_seconds']:.1f} s, "
            f"{s['calls']} calls; prompt {s['prompt_tokens']} (naive prefill), prefilled "
            f"{s['prefilled_tokens']} ({s['prefill_share']:.2f}), distinct "
            f"{s['distinct_prompt_tokens']}, completion {s['completion_tokens']}; bound "
            f"{s['bound_seconds']:.1f} s, wall/bound {s['wall_over_bound']:.2f} (CPU "
            f"{s['cpu_seconds']:.1f} s / CPU bound {s['cpu_bound_seconds']:.1f} s = "
            f"{s['cpu_over_bound']:.2f}); model calls "
            f"{s['model_seconds']:.1f} s; claims {s['supported']}/{s['claims']} supported "
            f"(first round {s['first_round_supported']}/{s['first_round_claims']})"
        )
        for name, row in s["calls_by_schema"].items():
            lines.append(
                f"    {name:<16} {row['calls']:.0f} call(s): prompt {row['prompt']:5.0f}, "
                f"prefilled {row['prefilled']:5.0f}, completion {row['completion']:4.0f}; "
                f"{row['seconds']:5.1f} s = prefill {row['prefill_seconds']:4.1f} + decode "
                f"{row['decode_seconds']:4.1f} + sampling/grammar/template "
                f"{row['seconds'] - row['prefill_seconds'] - row['decode_seconds']:4.1f}"
            )
    if "naive" in out:
        n = out["naive"]
        lines.append(
            f"no prefix reuse, {n['cluster_id']}: {n['wall_seconds']:.1f} s "
            f"({n.get('wall_over_reuse_wall', 0):.2f}x the reused run), prefilled "
            f"{n['prefilled_tokens']} of {n['prompt_tokens']} prompt tokens"
        )
    if "overhead" in out:
        o = out["overhead"]
        lines.append(
            f"overhead (instant replayed model): {o['overhead_ms']:.1f} ms wall, "
            f"{o['overhead_cpu_ms']:.1f} ms CPU per story (first run {o['first_ms']:.0f} ms), "
            f"share of the embedded story {o['overhead_share']:.4f}"
        )
    if "cache" in out:
        c = out["cache"]
        if "redraft_seconds" in c:
            lines.append(
                f"redraft from cache: {c['redraft_tokens']} tokens, {c['redraft_seconds']:.3f} s"
                f" ({c['redraft_calls']} calls)"
            )
        if "cli_start_seconds" in c:
            lines.append(f"storydesk --help: {c['cli_start_seconds']:.2f} s")
    for b in out.get("baseline") or []:
        story = next(
            (s for s in out.get("stories") or [] if s["cluster_id"] == b["cluster_id"]), None
        )
        vs = ""
        if story:
            vs = (
                f"; pipeline {story['wall_seconds']:.1f} s, "
                f"{story['prompt_tokens'] + story['completion_tokens']} tokens, support "
                f"{story['supported']}/{story['claims']} final, "
                f"{story['first_round_supported']}/{story['first_round_claims']} first round"
            )
        failed = f" FAILED: {b['failed']}" if b.get("failed") else ""
        lines.append(
            f"single prompt {b['cluster_id']}: {b['wall_seconds']:.1f} s ({b['calls']} calls, "
            f"{b['prompt_tokens'] + b['completion_tokens']} tokens), support "
            f"{b['supported']}/{b['claims']}{failed}{vs}"
        )
    for g in out.get("growth") or []:
        if g.get("ok"):
            lines.append(
                f"growth {g['size']:>3} articles: draft {g['draft_seconds']:.1f} s "
                f"({g.get('draft_cpu_seconds', 0.0):.1f} s CPU; model "
                f"{g.get('model_seconds', 0.0):.1f} s: "
                f"prefill {g.get('prefill_seconds', 0.0):.1f}, "
                f"decode {g.get('decode_seconds', 0.0):.1f}; {g.get('calls', '?')} calls; load "
                f"{g.get('loadavg', 0.0):.1f}), prompt "
                f"{g['prompt_tokens']}, prefilled {g['prefilled_tokens']}, completion "
                f"{g['completion_tokens']}, largest prompt {g['max_prompt_tokens']} of "
                f"n_ctx {g['n_ctx']}, peak RSS {g['peak_rss_mib']:.0f} MiB"
            )
        else:
            lines.append(f"growth {g['size']:>3} articles: failed ({g.get('error') or g})")
    for t in out.get("threads") or []:
        check = f"{t['check_seconds']:.1f} s" if t["check_seconds"] is not None else "timeout"
        draft = (
            f"{t['draft_seconds']:.1f} s" if t["draft_seconds"] is not None else t["draft_error"]
        )
        lines.append(
            f"threads {t['threads']} {'with a busy core' if t['busy_core'] else 'no extra load '}"
            f" (load {t['loadavg']:.1f}): check {check}, draft {draft}"
        )
    lines.append("targets:")
    for key, value in out["summary"].items():
        target = TARGETS.get(key)
        shown = "n/a" if value is None else f"{value:.3f}"
        goal = f"{target[0]} {target[1]}" if target else ""
        lines.append(f"  {key:<22} {shown:>10}  {goal:<8} {verdict(key, value)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry for the bench's child processes (`python -m evals.bench --child-... ARG`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 2 and args[0] in ("--child-growth", "--child-draft"):
        return _child_main(args)
    parser = argparse.ArgumentParser(prog="python -m evals.bench")
    parser.parse_args(args)
    parser.error("run `storydesk bench`")
    return 2


if __name__ == "__main__":
    sys.exit(main())
