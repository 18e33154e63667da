"""BABE (Bias Annotations By Experts): news sentences labelled Biased / Non-biased.

The file is `;`-separated UTF-8 (with a BOM) with columns text, news_link, outlet, topic, type,
label_bias, label_opinion, biased_words. Rows labelled "No agreement" are skipped (noted):
they have no gold label. label 1 = Biased, 0 = Non-biased.
"""

from __future__ import annotations

import csv
from pathlib import Path

from agent.errors import InputError
from evals.datasets.base import EvalItem, EvalItems, require_file

DATASET = "babe"
_LABELS = {"biased": 1, "non-biased": 0}


def load_babe(path: str | Path) -> EvalItems:
    """Load BABE's labelled sentences from its ';'-separated CSV."""
    path = require_file(path, "BABE CSV (e.g. evaldata/babe/babe_final_labels_SG1.csv)")
    items = EvalItems()
    skipped = 0
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle, delimiter=";")
            fields = set(reader.fieldnames or [])
            if not {"text", "label_bias"} <= fields:
                raise InputError(
                    f"{path}: not a BABE file (needs ';'-separated columns text and label_bias)"
                )
            for number, row in enumerate(reader, start=2):
                label = _LABELS.get((row.get("label_bias") or "").strip().lower())
                text = (row.get("text") or "").strip()
                if label is None or not text:
                    skipped += 1
                    continue
                items.append(
                    EvalItem(
                        id=f"row{number}",
                        dataset=DATASET,
                        text=text,
                        label=label,
                        meta={
                            "outlet": row.get("outlet"),
                            "topic": row.get("topic"),
                            "type": row.get("type"),
                        },
                    )
                )
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text ({error.reason})") from None
    except csv.Error as error:
        raise InputError(f"{path}: not a readable CSV ({error})") from None
    if skipped:
        # Expected for every BABE file, so a note in the run's summary rather than a warning.
        items.notes.append(
            f"{path}: skipped {skipped} rows without a Biased/Non-biased label (No agreement)"
        )
    return items
