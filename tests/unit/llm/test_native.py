"""Loading llama.cpp safely: the repack choice, the child-process probe and its cache."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agent.errors import ModelUnavailableError
from agent.llm import backends, native
from agent.llm.native import ProbeCache, ProbeResult, run_probe, use_extra_buffers

ORIGINAL_LOAD = backends.LocalBackend._load  # before the autouse guard replaces it
CRASH = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
AMX = frozenset({"avx512f", "amx_tile", "amx_int8"})
NO_AMX = frozenset({"avx2", "avx512f"})


class Runner:
    """A scripted probe: which repack choices crash, and how often it was asked."""

    def __init__(self, crashes: set[bool]) -> None:
        self.crashes = crashes
        self.asked: list[bool] = []

    def __call__(self, path: Path, extra: bool, threads: int) -> ProbeResult:
        self.asked.append(extra)
        return (
            ProbeResult(False, "crashed (SIGSEGV)")
            if extra in self.crashes
            else ProbeResult(True, "ok")
        )


def test_auto_repacks_except_on_amx_cpus() -> None:
    assert native.preferred_extra_buffers("auto", NO_AMX) is True
    assert native.preferred_extra_buffers("auto", AMX) is False
    assert native.preferred_extra_buffers("on", AMX) is True
    assert native.preferred_extra_buffers("off", NO_AMX) is False


def test_a_probe_that_crashes_is_reported_with_its_signal(tmp_path: Path) -> None:
    result = run_probe(tmp_path / "m.gguf", True, 1, command=CRASH)
    assert not result.ok and result.detail.startswith("crashed (SIGSEGV)")
    ok = run_probe(tmp_path / "m.gguf", True, 1, command=[sys.executable, "-c", "pass"])
    assert ok.ok


def test_auto_falls_back_when_repacked_weights_crash(tmp_path: Path) -> None:
    runner, warnings = Runner({True}), []
    cache = ProbeCache(tmp_path / "probe.json")
    model = tmp_path / "m.gguf"
    model.write_bytes(b"x")
    chosen = use_extra_buffers(
        "auto", model, 2, cache, flags=NO_AMX, runner=runner, warn=warnings.append
    )
    assert chosen is False and runner.asked == [True, False]
    assert "STORYDESK_LLAMA_REPACK=off" in warnings[0]
    # The answer is cached per model file, CPU and llama.cpp version: no second probe.
    again = Runner(set())
    assert use_extra_buffers("auto", model, 2, cache, flags=NO_AMX, runner=again) is False
    assert again.asked == []
    # Another CPU is asked afresh.
    assert use_extra_buffers("auto", model, 2, cache, flags=AMX, runner=again) is False
    assert again.asked == [False]


def test_forced_repack_that_crashes_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="STORYDESK_LLAMA_REPACK=off"):
        use_extra_buffers(
            "on", tmp_path / "m.gguf", 2, ProbeCache(None), flags=NO_AMX, runner=Runner({True})
        )


def test_a_crash_either_way_is_one_actionable_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="GGML_NATIVE=OFF"):
        use_extra_buffers(
            "auto",
            tmp_path / "m.gguf",
            2,
            ProbeCache(None),
            flags=NO_AMX,
            runner=Runner({True, False}),
        )


def test_an_unreadable_probe_cache_is_no_cache(tmp_path: Path) -> None:
    path = tmp_path / "probe.json"
    path.write_text("{not json", encoding="utf-8")
    cache = ProbeCache(path)
    assert cache.get("k") is None
    cache.put("k", ProbeResult(True, "ok"))
    assert cache.get("k") == ProbeResult(True, "ok")


def test_the_cli_turns_a_native_crash_into_one_line(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`storydesk check` on a CPU where loading crashes: a message, not a dead process."""
    from agent.cli import main

    monkeypatch.setattr(backends.LocalBackend, "_load", ORIGINAL_LOAD)
    monkeypatch.setattr(native, "probe_command", lambda path, extra, threads: CRASH)
    monkeypatch.setenv("STORYDESK_LLAMA_REPACK", "on")
    assert main(["check"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("storydesk: error: the embedded model crashed")
    assert "STORYDESK_LLAMA_REPACK=off" in err[0]
