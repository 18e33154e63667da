"""Run tests that load native model code in a child process, so a crash cannot end the run.

A segmentation fault inside llama.cpp kills the process that loaded it, and with it pytest's
summary line. Every test marked `model` therefore runs in a child pytest; the parent reports
its outcome, and a child killed by a signal becomes a failed test whose message names the
settings to try. Loaded by tests/conftest.py (and by `pytest -p tests.isolation` where a run
has no conftest of ours).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = "STORYDESK_TEST_CHILD"
"""Set in the child, which then runs the test in-process."""
TIMEOUT = float(os.environ.get("STORYDESK_TEST_CHILD_TIMEOUT", "1200"))
ROOT = Path(__file__).resolve().parent.parent

CRASH_ADVICE = (
    "the embedded model's native code crashed; storydesk probes the CPU before it loads a model, "
    "so this points at llama.cpp on this CPU: try STORYDESK_LLAMA_REPACK=off, or reinstall "
    "llama-cpp-python with CMAKE_ARGS='-DGGML_NATIVE=OFF'"
)


def _outcome_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a `model` test in a child pytest and report what became of it."""
    if pyfuncitem.get_closest_marker("model") is None or os.environ.get(CHILD):
        return None
    env = {**os.environ, CHILD: "1"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        pyfuncitem.nodeid,
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(pyfuncitem.config.rootpath),
        "-rs",
    ]
    try:
        done = subprocess.run(
            command,
            cwd=pyfuncitem.config.rootpath,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the test did not finish in {TIMEOUT:.0f} s in its child process", False)
    output = (done.stdout or "") + (done.stderr or "")
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        tail = "\n".join(output.strip().splitlines()[-15:])
        pytest.fail(f"child process died of {name}: {CRASH_ADVICE}\n{tail}", False)
    summary = _outcome_line(done.stdout or "")
    if done.returncode == 0 and "skipped" in summary and "passed" not in summary:
        reasons = [line for line in output.splitlines() if line.startswith("SKIPPED")]
        pytest.skip(reasons[0] if reasons else summary)
    if done.returncode != 0:
        pytest.fail(f"in its child process (exit {done.returncode}):\n{output[-6000:]}", False)
    return True
