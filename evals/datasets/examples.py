"""The project's own example clusters: `examples/*.json`, one Cluster (DESIGN.md format) per file.

A file may also wrap the cluster as `{"cluster": {...}, "reference": "..."}` to carry a reference
summary; then ROUGE is scored for it as for AllSides.
"""

from __future__ import annotations

from pathlib import Path

from agent.errors import InputError
from agent.schemas import parse_cluster
from evals.datasets.base import EvalItem, EvalItems, read_json

DATASET = "examples"


def load_examples(path: str | Path) -> EvalItems:
    """Load every cluster JSON file in a directory (sorted by name), or one cluster file."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise InputError(f"{path}: no *.json cluster files in this directory")
    elif path.is_file():
        files = [path]
    else:
        raise InputError(
            f"{path}: no such file or directory; pass a directory of cluster JSON files"
        )
    items = EvalItems()
    seen: dict[str, Path] = {}
    for file in files:
        data = read_json(file, "cluster")
        reference = None
        if isinstance(data, dict) and isinstance(data.get("cluster"), dict):
            reference = data.get("reference") or None
            data = data["cluster"]
        cluster = parse_cluster(data, str(file))
        if cluster.id in seen:
            raise InputError(
                f"{file}: cluster id {cluster.id!r} is also used by {seen[cluster.id]}; "
                "give each example its own id"
            )
        seen[cluster.id] = file
        items.append(
            EvalItem(
                id=cluster.id,
                dataset=DATASET,
                cluster=cluster,
                reference=reference,
                meta={"file": file.name},
            )
        )
    return items
