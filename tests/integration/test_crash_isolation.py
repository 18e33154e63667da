"""A native crash in a model test fails that test; the run still ends with its summary line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CRASHING_SUITE = """
import os
import signal

import pytest


@pytest.mark.model
def test_the_model_crashes():
    os.kill(os.getpid(), signal.SIGSEGV)  # what llama.cpp's AMX path did


@pytest.mark.model
def test_the_model_works():
    assert True


def test_plain():
    assert True
"""


def test_a_segfault_in_a_model_test_is_a_failure_with_advice_and_a_summary(tmp_path: Path) -> None:
    (tmp_path / "test_crash.py").write_text(CRASHING_SUITE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    model: x\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.isolation", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    last = [line for line in done.stdout.splitlines() if line.strip()][-1]
    assert done.returncode == 1, output
    assert "1 failed, 2 passed" in last, output
    assert "child process died of SIGSEGV" in output
    assert "STORYDESK_LLAMA_REPACK=off" in output
