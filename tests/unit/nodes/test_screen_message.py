"""A refusal names each group's words in the same order on every run (not a set's order)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROGRAM = """
from agent.errors import ClusterRefused
from agent.nodes.screen import build_evidence
from agent.schemas import load_cluster
try:
    build_evidence(load_cluster("examples/mixed-events.json"), 4000)
except ClusterRefused as refused:
    print(refused)
"""


def test_the_refusal_is_the_same_under_any_hash_seed() -> None:
    messages = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", PROGRAM], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert "mixes 2 unrelated events" in done.stdout
        messages.add(done.stdout)
    assert len(messages) == 1
