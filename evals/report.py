"""Write a run's report: `report.md` (charts as SVG files beside it) and a self-contained
`report.html` (the same content, charts inline, no scripts or network assets)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from agent.errors import InputError
from evals.charts import grouped_bars_svg, histogram_svg
from evals.metrics.registry import METRICS
from evals.runner import ITEMS_FILE, SUMMARY_FILE, ItemLog

REPORT_MD = "report.md"
REPORT_HTML = "report.html"
CHART_DIR = "charts"

_DISTRIBUTIONS: tuple[tuple[str, str, float | None, float | None], ...] = (
    ("support_rate", "claim support rate", 0.0, 1.0),
    ("citation_validity", "citation validity", 0.0, 1.0),
    ("rouge1", "ROUGE-1 F", 0.0, 1.0),
    ("rouge2", "ROUGE-2 F", 0.0, 1.0),
    ("rougeL", "ROUGE-L F", 0.0, 1.0),
    ("date_f1", "timeline date F1", 0.0, 1.0),
    ("loaded_rate_summary", "loaded-language rate (summary)", 0.0, 1.0),
    ("side_balance_gap", "side balance gap", 0.0, 1.0),
    ("unsupported", "unsupported claims per item", None, None),
    ("seconds", "seconds per item", None, None),
    ("tokens", "tokens per story", None, None),
)
_ARROW = {"higher": "↑ higher is better", "lower": "↓ lower is better", "info": "info"}


@dataclass
class Section:
    """One part of the report, rendered both as Markdown and as HTML."""

    title: str
    lines: list[str] = field(default_factory=list)
    table: tuple[list[str], list[list[str]]] | None = None
    charts: list[tuple[str, str, str]] = field(default_factory=list)
    """(file stem, caption, svg)."""


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def load_run(directory: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read a run directory's summary and rows (the last row of an id winning)."""
    directory = Path(directory)
    summary_path = directory / SUMMARY_FILE
    if not summary_path.is_file():
        raise InputError(
            f"{directory}: no {SUMMARY_FILE} here; pass the --out directory of `storydesk eval run`"
        )
    try:
        summary = json.loads(summary_path.read_text("utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"{summary_path}: not valid JSON ({error.msg})") from None
    latest: dict[str, dict[str, Any]] = {}
    for row in ItemLog(directory / ITEMS_FILE).read() if (directory / ITEMS_FILE).exists() else []:
        latest[str(row["id"])] = row
    return summary, list(latest.values())


def _run_section(summary: dict[str, Any]) -> Section:
    run = summary.get("run", {})
    git = run.get("git") or {}
    commit = git.get("commit") or "unknown (not a git checkout, or no commit yet)"
    if git.get("dirty"):
        commit += " (with uncommitted changes)"
    duration = "–"
    if run.get("started_at") and run.get("finished_at"):
        seconds = (
            datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
        ).total_seconds()
        duration = f"{seconds / 60:.1f} min (wall clock, including any pause before a resume)"
    rows = [
        ["dataset", f"{summary.get('dataset')} ({run.get('dataset_path', '–')})"],
        [
            "items",
            f"{summary.get('items', 0)} finished, {summary.get('pending', 0)} pending"
            + ("" if summary.get("complete") else " (incomplete: rerun to resume)"),
        ],
        ["limit", _fmt(run.get("limit"))],
        ["git commit", commit],
        ["backend / model", f"{_fmt(run.get('backend'))} / {_fmt(run.get('model'))}"],
        ["started / finished", f"{_fmt(run.get('started_at'))} / {_fmt(run.get('finished_at'))}"],
        ["duration", duration],
        ["time spent on items", f"{float(summary.get('seconds_total') or 0) / 60:.1f} min"],
    ]
    return Section("Run", table=(["", ""], rows))


def _metrics_section(summary: dict[str, Any]) -> Section:
    rows = []
    for name, spec in METRICS.items():
        if name in summary and not isinstance(summary[name], dict | list):
            tolerance = (
                (f"{spec.tolerance:.0%} relative" if spec.relative else f"±{spec.tolerance:g}")
                if spec.direction != "info"
                else "–"
            )
            rows.append([spec.family, name, _fmt(summary[name]), _ARROW[spec.direction], tolerance])
    return Section(
        "Metrics",
        lines=["Definitions: evals/METRICS.md. Tolerance is what `storydesk eval compare` allows."],
        table=(["family", "metric", "value", "direction", "tolerance"], rows),
    )


def _chart_section(summary: dict[str, Any], rows: list[dict[str, Any]]) -> Section:
    section = Section("Charts")
    ok = [row for row in rows if row.get("status") == "ok"]
    for key, caption, lo, hi in _DISTRIBUTIONS:
        # Failed items carry only their no-output scores (ROUGE, dates): chart them with the rest.
        values = (
            [row.get("seconds") for row in ok]
            if key == "seconds"
            else [row.get("metrics", {}).get(key) for row in rows]
        )
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers:
            section.charts.append(
                (
                    f"dist-{key}",
                    f"Distribution of {caption} over items",
                    histogram_svg(numbers, caption, lo=lo, hi=hi),
                )
            )
    sides = ("left", "center", "right")
    summary_share = [summary.get(f"summary_share_{s}") for s in sides]
    cluster_share = [summary.get(f"cluster_share_{s}") for s in sides]
    if any(v is not None for v in summary_share + cluster_share):
        section.charts.insert(
            0,
            (
                "side-balance",
                "Per-side balance: share of summary citations vs share of the "
                "cluster's articles (means over stories)",
                grouped_bars_svg(
                    sides,
                    {"summary citations": summary_share, "cluster articles": cluster_share},
                    "side balance",
                ),
            ),
        )
    if summary.get("date_f1") is not None:
        section.charts.append(
            (
                "date-f1-vs-baseline",
                "Timeline date F1 against the most-frequent-publication-"
                "dates baseline (same k; and k = number of gold dates)",
                grouped_bars_svg(
                    ["date F1"],
                    {
                        "story": [summary.get("date_f1")],
                        "baseline (same k)": [summary.get("baseline_date_f1")],
                        "baseline (gold k)": [summary.get("baseline_date_f1_gold_k")],
                    },
                    "date F1 vs baseline",
                ),
            ),
        )
    if not section.charts:
        section.lines.append("No per-item values to chart.")
    return section


def _factcheck_sections(summary: dict[str, Any]) -> list[Section]:
    section = _factcheck_section(summary)
    if section is None:
        return []
    sections = [section]
    by_edit = summary.get("inconsistent_recall_by_edit")
    if isinstance(by_edit, dict) and by_edit:
        rows = [[kind, str(v["items"]), f"{v['recall']:.2f}"] for kind, v in by_edit.items()]
        sections.append(
            Section(
                "Inconsistent summaries caught, by SummEdits edit type",
                table=(["edit type", "inconsistent items", "share caught"], rows),
            )
        )
    sections.extend(calibration_sections(summary))
    return sections


def _recall_row(name: str, scores: dict[str, Any], *extra: str) -> list[str]:
    return [
        name,
        *extra,
        _fmt(scores.get("items")),
        _fmt(scores.get("bacc")),
        _fmt(scores.get("consistent_recall")),
        _fmt(scores.get("inconsistent_recall")),
    ]


_RECALL_HEAD = [
    "items",
    "balanced accuracy",
    "consistent recall (TPR)",
    "inconsistent recall (TNR)",
]


def calibration_sections(summary: dict[str, Any]) -> list[Section]:
    """Per-domain scores of the shipped calibration and the leave-one-document-out folds."""
    sections = []
    shipped = summary.get("shipped_calibration") or {}
    by_domain = summary.get("by_domain")
    if isinstance(by_domain, dict) and by_domain:
        rows = [_recall_row(name, v) for name, v in by_domain.items()]
        rows.append(
            _recall_row(
                "all",
                {
                    "items": summary.get("items"),
                    "bacc": summary.get("factcheck_bacc"),
                    "consistent_recall": summary.get("consistent_recall"),
                    "inconsistent_recall": summary.get("inconsistent_recall"),
                },
            )
        )
        in_sample = shipped.get("documents_in_sample", 0)
        note = (
            f"{in_sample} of these {shipped.get('documents')} documents are ones the shipped "
            "calibration was fitted on: for them this is in-sample; quote the "
            "cross-validated figures below."
            if in_sample
            else "None of these documents was used to fit the shipped calibration: "
            "this is a held-out score."
        )
        sections.append(
            Section(
                "Shipped calibration, by domain",
                lines=[f"Fitted on: {shipped.get('fitted_on', '–')}.", note],
                table=(["domain", *_RECALL_HEAD], rows),
            )
        )
    cv = summary.get("cross_validation")
    if isinstance(cv, dict):
        rows = [_recall_row(f["document"], f, _fmt(f.get("domain"))) for f in cv["folds"]]
        rows.append(["mean of folds", "", "", _fmt(cv.get("bacc_mean")), "", ""])
        rows.append(_recall_row("pooled out-of-fold", cv["pooled"], ""))
        weights = cv.get("calibration_all_folds") or {}
        sections.append(
            Section(
                "Leave-one-document-out cross-validation",
                lines=[
                    "Each fold's calibration is fitted on the other documents only and scores the "
                    "held-out document.",
                    "Calibration fitted on every fold: "
                    + ", ".join(f"{k} {v:.3f}" for k, v in weights.items())
                    + ".",
                ],
                table=(["document", "domain", *_RECALL_HEAD], rows),
            )
        )
    return sections


def _factcheck_section(summary: dict[str, Any]) -> Section | None:
    confusion = summary.get("confusion")
    if not isinstance(confusion, dict):
        return None
    rows = [
        [
            "consistent (1)",
            _fmt(confusion.get("consistent_called_consistent")),
            _fmt(confusion.get("consistent_called_inconsistent")),
        ],
        [
            "inconsistent (0)",
            _fmt(confusion.get("inconsistent_called_consistent")),
            _fmt(confusion.get("inconsistent_called_inconsistent")),
        ],
    ]
    section = Section(
        "Fact-checker on SummEdits",
        lines=[
            f"Balanced accuracy {_fmt(summary.get('factcheck_bacc'))} (anchors: human 0.90, "
            "GPT-4 0.833, SummaC-Conv 0.619, one class only 0.5).",
            "Confusion (rows: label; columns: predicted consistent, predicted inconsistent):",
        ],
        table=(["label", "predicted consistent", "predicted inconsistent"], rows),
    )
    return section


def _items_section(summary: dict[str, Any], rows: list[dict[str, Any]], limit: int = 30) -> Section:
    dataset = summary.get("dataset")
    if dataset == "summedits":
        keys = ["label", "predicted", "unsupported", "contradicted", "seconds"]
    elif dataset == "babe":
        keys = ["label", "predicted"]
    else:
        keys = [
            "support_rate",
            "citation_validity",
            "rouge1",
            "date_f1",
            "baseline_date_f1",
            "side_balance_gap",
            "seconds",
            "tokens",
        ]
        keys = [k for k in keys if any(k in r.get("metrics", {}) for r in rows)]

    def value(row: dict[str, Any], key: str) -> Any:
        return row.get("metrics", {}).get(key, row.get(key))

    def badness(row: dict[str, Any]) -> tuple[int, float]:
        if row.get("status") != "ok":
            return (0, 0.0)
        if dataset in ("summedits", "babe"):
            return (1, float(row.get("label") == row.get("predicted")))
        rate = value(row, "support_rate")
        return (1, rate if isinstance(rate, int | float) else 1.0)

    ordered = sorted(rows, key=badness)
    table = [
        [
            str(r["id"]),
            str(r.get("status")),
            *[_fmt(value(r, k)) for k in keys],
            (r.get("error") or {}).get("message", "")[:120],
        ]
        for r in ordered[:limit]
    ]
    lines = ["Worst first (failures, then the lowest claim support or the misclassified)."]
    if len(rows) > limit:
        lines.append(f"{len(rows) - limit} more items are in items.jsonl.")
    return Section("Items", lines=lines, table=(["id", "status", *keys, "error"], table))


def _errors_section(rows: list[dict[str, Any]]) -> Section | None:
    errors = Counter(
        f"{(r.get('error') or {}).get('type')}: {(r.get('error') or {}).get('message', '')[:160]}"
        for r in rows
        if r.get("status") in ("error", "refused")
    )
    if not errors:
        return None
    return Section(
        "Failures", table=(["count", "error"], [[str(n), e] for e, n in errors.most_common(20)])
    )


def _provenance_section(summary: dict[str, Any]) -> Section | None:
    prompts = (summary.get("run") or {}).get("prompts") or {}
    if not prompts:
        return None
    return Section(
        "Prompts", table=(["prompt", "version+sha256"], [[k, _fmt(v)] for k, v in prompts.items()])
    )


def build_sections(summary: dict[str, Any], rows: list[dict[str, Any]]) -> list[Section]:
    """The report's sections, in order."""
    sections = [_run_section(summary), _metrics_section(summary)]
    sections.extend(_factcheck_sections(summary))
    sections.append(_chart_section(summary, rows))
    sections.append(_items_section(summary, rows))
    for extra in (_errors_section(rows), _provenance_section(summary)):
        if extra:
            sections.append(extra)
    if summary.get("notes"):
        sections.append(Section("Notes", lines=[f"- {n}" for n in summary["notes"]]))
    return sections


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, sections: list[Section]) -> str:
    """Render the sections as Markdown, charts linked from the charts/ folder."""
    out = [f"# {title}", ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        out += section.lines + ([""] if section.lines else [])
        if section.table:
            headers, rows = section.table
            out.append("| " + " | ".join(_md_cell(h) for h in headers) + " |")
            out.append("|" + "---|" * len(headers))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("")
        for stem, caption, _ in section.charts:
            out += [f"![{caption}]({CHART_DIR}/{stem}.svg)", ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;font-size:14px}th{background:#f3f3f3}figure{display:inline-block;margin:0 1em 1em 0;
vertical-align:top}figcaption{font-size:12px;max-width:360px;color:#555}
"""


def render_html(title: str, sections: list[Section]) -> str:
    """Render the sections as one self-contained HTML page (inline CSS and SVG only)."""
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    for section in sections:
        out.append(f"<h2>{escape(section.title)}</h2>")
        items = [line for line in section.lines if line.startswith("- ")]
        for line in section.lines:
            if not line.startswith("- "):
                out.append(f"<p>{escape(line)}</p>")
        if items:
            out.append("<ul>" + "".join(f"<li>{escape(i[2:])}</li>" for i in items) + "</ul>")
        if section.table:
            headers, rows = section.table
            out.append("<table>")
            if any(headers):
                out.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr>")
            for row in rows:
                out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
            out.append("</table>")
        for _, caption, svg in section.charts:
            out.append(f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(directory: str | Path) -> tuple[Path, Path]:
    """Write report.md (+ charts/*.svg) and report.html into the run directory."""
    directory = Path(directory)
    summary, rows = load_run(directory)
    sections = build_sections(summary, rows)
    title = f"storydesk eval: {summary.get('dataset', '?')}"
    charts = directory / CHART_DIR
    charts.mkdir(exist_ok=True)
    for section in sections:
        for stem, _, svg in section.charts:
            (charts / f"{stem}.svg").write_text(svg + "\n", "utf-8")
    md_path, html_path = directory / REPORT_MD, directory / REPORT_HTML
    md_path.write_text(render_markdown(title, sections), "utf-8")
    html_path.write_text(render_html(title, sections), "utf-8")
    return md_path, html_path
