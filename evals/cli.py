"""`storydesk eval run | report | compare`: the command-line face of the evaluation suite."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import InputError

if TYPE_CHECKING:
    from agent.schemas import Cluster, FactCheck, Story
    from agent.settings import Settings
    from evals.runner import ModelInfo
    from evals.tasks import Checker, Drafter

# The runner, the datasets and the metrics import pydantic models, SQLAlchemy and LangGraph
# (seconds): they are imported when `eval` runs, so `storydesk --help` stays instant.
DATASETS = ("examples", "allsides", "timeline17", "summedits", "babe")
"""The datasets `eval run` knows: the keys of evals.datasets.LOADERS (a test keeps them equal)."""

REPO = Path(__file__).resolve().parent.parent
BABE_FILE = "babe/babe_final_labels_SG1.csv"
"""BABE SG1 in the evaluation data (STORYDESK_EVALDATA), used when it is there."""
SUMMEDITS_NEWS = "summedits/summedits_news_dev.json"
DEFAULT_PATHS = {
    "allsides": "allsides/roundups_dev.jsonl",
    "timeline17": "timeline17",
    "summedits": SUMMEDITS_NEWS,
    "babe": BABE_FILE,
}
"""Where each dataset lies inside the evaluation data, when no PATH is given."""

_HEADLINE = (
    "items",
    "errors",
    "refused",
    "seconds_total",
    "support_rate",
    "citation_validity",
    "rouge1",
    "rouge2",
    "rougeL",
    "date_f1",
    "baseline_date_f1",
    "factcheck_bacc",
    "cv_bacc_mean",
    "cv_bacc_pooled",
    "cv_consistent_recall",
    "cv_inconsistent_recall",
    "loaded_classifier_accuracy",
    "loaded_rate_delta",
    "side_balance_gap",
    "schema_validity",
    "seconds_per_story",
    "tokens_per_story",
    "seconds_per_item",
)


class EvalDrafter:
    """One StoryAgent for a whole run; its review threads live in memory and are dropped after
    each draft, so evaluation drafts never join the editors' review queue."""

    def __init__(self, settings: Settings) -> None:
        from langgraph.checkpoint.memory import InMemorySaver

        from agent import StoryAgent

        self._saver = InMemorySaver()
        self._agent = StoryAgent(settings, checkpointer=self._saver)
        self._drafts = 0

    def draft(self, cluster: Cluster) -> Story:
        """Draft the cluster's story up to the review point."""
        self._drafts += 1
        thread_id = f"eval:{cluster.id}:{self._drafts}"
        try:
            return self._agent.draft(cluster, thread_id=thread_id)
        finally:
            self._saver.delete_thread(thread_id)


class GatewayChecker:
    """The graph's own fact-check code (`check_summary`), run on a (document, summary) pair."""

    def __init__(self, settings: Settings, now: datetime, *, use_model: bool = True) -> None:
        from agent.llm.gateway import Gateway
        from agent.nodes.fact_check import check_summary

        self._gateway = Gateway.from_settings(settings) if use_model else None
        self._check_summary = check_summary
        self._now = now

    def check(self, document: str, summary: str) -> FactCheck:
        """Fact-check the summary against the document."""
        result: FactCheck = self._check_summary(
            document,
            summary,
            gateway=self._gateway,
            now=self._now,
            use_model=self._gateway is not None,
        )
        return result

    def features(self, document: str, summary: str) -> dict[str, int]:
        """The finding counts the calibration weighs (agent/checks/consistency.py)."""
        from agent.checks.consistency import summary_counts

        return summary_counts(document, summary)

    def tokens_used(self) -> int:
        """Tokens the gateway has spent so far."""
        if self._gateway is None:
            return 0
        totals = self._gateway.totals
        return int(totals.prompt_tokens + totals.completion_tokens)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register(subparsers: Any) -> None:
    """Add the `eval` command (run, report, compare) to the storydesk CLI."""
    parser = subparsers.add_parser(
        "eval",
        help="score drafts on evaluation datasets, report on a run, compare two runs",
        description="Score drafts on evaluation datasets, report on a run, compare two runs. "
        "Metric definitions: evals/METRICS.md.",
    )
    parser.set_defaults(func=_usage(parser))
    commands = parser.add_subparsers(dest="eval_command", metavar="{run,report,compare}")

    run = commands.add_parser(
        "run",
        help="evaluate a dataset (resumable)",
        description="Evaluate a dataset into DIR: items.jsonl (one row per finished item), "
        "summary.json and run.json. Rerunning into the same DIR resumes: finished items are "
        "skipped.",
    )
    run.add_argument("dataset", metavar="DATASET", help=f"one of: {', '.join(DATASETS)}")
    run.add_argument(
        "path",
        metavar="PATH",
        type=Path,
        nargs="?",
        help="the dataset (default: the project's examples/, or the dataset's file in "
        "STORYDESK_EVALDATA): examples/ (a folder of cluster JSON), allsides/roundups_dev.jsonl, "
        "timeline17/ (t17_*.json), summedits/summedits_news_dev.json, "
        "babe/babe_final_labels_SG1.csv (summedits: default the news dev split under "
        "STORYDESK_EVALDATA)",
    )
    run.add_argument("--limit", type=_positive, metavar="N", help="only the first N items")
    run.add_argument(
        "--out", type=Path, metavar="DIR", help="run directory (default: out/eval/DATASET)"
    )
    run.add_argument(
        "--babe",
        type=Path,
        metavar="PATH",
        help=f"BABE CSV for the loaded-language classifier (default: {BABE_FILE} in "
        "STORYDESK_EVALDATA, if present)",
    )
    run.add_argument("--fresh", action="store_true", help="discard DIR's results, start over")
    run.add_argument(
        "--retry-errors", action="store_true", help="when resuming, redo the items that failed"
    )
    run.add_argument(
        "--t17-articles",
        type=_positive,
        default=None,
        metavar="N",
        help="timeline17: articles sampled per topic (default: the loader's, 8)",
    )
    run.add_argument(
        "--t17-words",
        type=_positive,
        default=None,
        metavar="N",
        help="timeline17: words kept per article (default: the loader's, 400)",
    )
    run.add_argument(
        "--deterministic",
        action="store_true",
        help="summedits: the fact-check rules alone, even where STORYDESK_MODEL_VERDICTS "
        "would ask the model",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.set_defaults(func=run_command)

    report = commands.add_parser(
        "report",
        help="write report.md and report.html into a run directory",
        description="Write report.md (charts in DIR/charts/) and a self-contained report.html.",
    )
    report.add_argument("dir", metavar="DIR", type=Path, help="a run directory")
    report.set_defaults(func=report_command)

    compare = commands.add_parser(
        "compare",
        help="compare run B against run A; exit 1 when a metric regresses",
        description="Print each metric's delta from A to B; exit 1 when any metric moves the "
        "wrong way by more than its tolerance (evals/METRICS.md).",
    )
    compare.add_argument("a", metavar="A", type=Path, help="the baseline run (dir or summary.json)")
    compare.add_argument("b", metavar="B", type=Path, help="the new run (dir or summary.json)")
    compare.add_argument(
        "--tolerance",
        action="append",
        metavar="NAME=VALUE",
        help="override a metric's tolerance (repeatable)",
    )
    compare.set_defaults(func=compare_command)


def _usage(parser: argparse.ArgumentParser) -> Any:
    def handler(args: argparse.Namespace, settings: Settings | None) -> int:
        parser.print_help(sys.stderr)
        return 2

    return handler


def _model_info(settings: Settings, dataset: str) -> ModelInfo:
    from evals.runner import ModelInfo, prompt_versions

    """The backend, model and prompts the settings select (BABE runs use no model)."""
    if dataset == "babe":
        return ModelInfo()
    from agent.llm.backends import DEFAULT_OPENAI_MODEL, LOCAL_MODEL_NAME

    if settings.backend == "openai":
        model = settings.model or DEFAULT_OPENAI_MODEL
    elif settings.model:
        model = settings.model
    else:
        model = settings.model_path.stem if settings.model_path else LOCAL_MODEL_NAME
    return ModelInfo(backend=settings.backend, model=model, prompts=prompt_versions())


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    """Handle `storydesk eval run`."""
    from evals.datasets import LOADERS
    from evals.datasets.timeline17 import DEFAULT_MAX_ARTICLES, DEFAULT_MAX_WORDS
    from evals.runner import ModelInfo, RunOptions, run_eval

    dataset = args.dataset
    if dataset not in LOADERS:
        raise InputError(f"unknown dataset {dataset!r}; choose one of {', '.join(LOADERS)}")
    if args.path is None:
        args.path = (
            REPO / "examples"
            if dataset == "examples"
            else settings.evaldata(DEFAULT_PATHS[dataset], f"eval run {dataset}")
        )
    if not args.path.exists():
        raise InputError(f"{args.path}: no such file or directory; pass the {dataset} data")
    babe = args.babe
    if babe is not None and not babe.is_file():
        raise InputError(f"--babe {babe}: no such file; pass the BABE SG1 CSV")
    if babe is None:
        babe = settings.find_evaldata(BABE_FILE)
    if args.deterministic and dataset != "summedits":
        raise InputError("--deterministic applies to summedits only")
    options = RunOptions(
        dataset=dataset,
        path=args.path,
        out=args.out or Path("out") / "eval" / dataset,
        limit=args.limit,
        babe_path=babe,
        fresh=args.fresh,
        retry_errors=args.retry_errors,
        t17_articles=args.t17_articles or DEFAULT_MAX_ARTICLES,
        t17_words=args.t17_words or DEFAULT_MAX_WORDS,
        progress=not args.no_progress,
    )

    drafting = settings
    if dataset == "timeline17":
        # A Timeline17 topic runs for months (mj: two years): it is one topic, not one event,
        # and the screen's one-event check would refuse it. Its timeline is what is measured.
        drafting = settings.model_copy(update={"one_event_check": False})
        options.notes.append(
            "one-event check off (STORYDESK_ONE_EVENT_CHECK=false): a Timeline17 topic spans "
            "months and is drafted as one topic"
        )

    def make_drafter() -> Drafter:
        return EvalDrafter(drafting)

    def make_checker(now: datetime) -> Checker:
        return GatewayChecker(settings, now, use_model=verdicts)

    # The fact-check asks the model only where the graph would (STORYDESK_MODEL_VERDICTS).
    verdicts = dataset == "summedits" and settings.use_model_verdicts and not args.deterministic
    if dataset == "summedits" and not verdicts:
        model = ModelInfo(backend="none (fact-check rules only)")
        options.notes.append(
            "fact-check model verdicts off ("
            + (
                "--deterministic"
                if args.deterministic
                else f"STORYDESK_MODEL_VERDICTS={settings.model_verdicts} on the "
                f"{settings.backend} backend"
            )
            + "): the rules alone decide, as in the graph"
        )
    else:
        model = _model_info(settings, dataset)
        if dataset == "summedits":
            options.notes.append(
                "model verdicts on: factcheck_bacc includes them; the cv_* figures "
                "cross-validate the rules' calibration alone"
            )
    summary = run_eval(options, make_drafter=make_drafter, make_checker=make_checker, model=model)
    print(headline(summary, options.out))
    beside = beside_baselines(summary, dataset)
    if beside:
        print(beside)
    if dataset == "summedits":
        # The per-domain and per-fold tables are the figures to quote: print them and keep
        # them in report.md beside summary.json.
        from evals.report import calibration_sections, render_markdown, write_report

        print(render_markdown("SummEdits fact-check", calibration_sections(summary)))
        md_path, _ = write_report(options.out)
        print(f"report: {md_path}")
    return 0


def headline(summary: dict[str, Any], out: Path) -> str:
    """A few lines: where the run is and its main metrics."""
    shown = {k: summary[k] for k in _HEADLINE if summary.get(k) is not None}
    state = "complete" if summary.get("complete") else f"{summary.get('pending')} items pending"
    return f"{summary.get('dataset')}: {state}; summary in {out / 'summary.json'}\n" + json.dumps(
        {k: round(v, 4) if isinstance(v, float) else v for k, v in shown.items()}
    )


# What each dataset's figures are measured against: (label, metric, its baseline(s) or target).
_BESIDE: dict[str, list[tuple[str, str, str]]] = {
    "allsides": [
        (
            "ROUGE-1",
            "rouge1",
            "first article {rouge1_first_article}, first two sentences of "
            "every article {rouge1_first_two}; target >= 0.44",
        ),
        ("support rate", "support_rate", "citation validity {citation_validity}; target 1.0"),
        ("max summary sentence overlap", "max_sentence_overlap", "limit 0.6"),
        (
            "parties filled",
            "parties_filled",
            "party named in its sentence {party_named}; target >= 0.80",
        ),
        ("category accuracy", "category_ok", "against the topic mapping; target >= 0.70"),
        (
            "title path",
            "title_model",
            "model; composed {title_composed}, a source's {title_source}",
        ),
        ("model sentiment stood", "sentiment_model_agrees", "else the harm words or VADER decided"),
        ("seconds per story", "seconds_per_story", "no worse than before on this machine"),
    ],
    "timeline17": [
        (
            "date F1",
            "date_f1",
            "publication-date baseline at the same k {baseline_date_f1}, at "
            "the gold k {baseline_date_f1_gold_k}; target >= the same-k baseline",
        ),
        ("date precision", "date_precision", "recall {date_recall}; target >= 0.642"),
        ("seconds per story", "seconds_per_story", ""),
    ],
}


def beside_baselines(summary: dict[str, Any], dataset: str) -> str:
    """The dataset's headline figures, each beside its baselines and target ("" if none)."""

    def shown(key: str) -> str:
        value = summary.get(key)
        return f"{value:.3f}" if isinstance(value, int | float) else "-"

    lines = []
    for label, key, against in _BESIDE.get(dataset, []):
        names = [part.split("}")[0] for part in against.split("{")[1:]]
        text = against.format(**{name: shown(name) for name in names})
        lines.append(f"  {label:30} {shown(key):>7}   {text}".rstrip())
    return "\n".join(["figures beside their baselines:", *lines]) if lines else ""


def report_command(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Handle `storydesk eval report`."""
    from evals.report import write_report

    if not args.dir.is_dir():
        raise InputError(f"{args.dir}: no such directory; pass the --out of `storydesk eval run`")
    md_path, html_path = write_report(args.dir)
    print(f"wrote {md_path} and {html_path}")
    return 0


def compare_command(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Handle `storydesk eval compare`: exit 1 when a metric regressed beyond its tolerance."""
    from evals.compare import compare_runs, format_deltas, parse_tolerances

    deltas, notes = compare_runs(args.a, args.b, parse_tolerances(args.tolerance))
    print(format_deltas(deltas, notes, str(args.a), str(args.b)))
    return 1 if any(d.regressed for d in deltas) else 0
