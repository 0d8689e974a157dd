"""The ``mteval`` command line: parsing, environment, progress, printing.

Every user-caused error prints one line (``error: ...``) saying what is wrong
and what to do, and exits with status 2. A run that finished without scoring
every selected turn exits 3, after the top reasons and the command that
retries them. An interrupted run (Ctrl-C: 130; SIGTERM: 143; SIGHUP: 129) is
stored, marked ``interrupted``, and resumes when the same command is run again.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mteval._version import __version__
from mteval.cli_common import err, out, run_until_signalled
from mteval.cli_common import guard as _guard
from mteval.config import (
    DEFAULT_BENCHMARK,
    DEFAULT_JUDGE,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_SYSTEM_MESSAGE,
)
from mteval.errors import ConfigError, MtevalError

__all__ = ["app", "main"]

app = typer.Typer(
    name="mteval",
    help="MT-Eval, faithful and fast: evaluate chat models over multi-turn conversations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="The MT-Eval sources: fetch, export, statistics.", no_args_is_help=True)
app.add_typer(data_app, name="data")

# Request fields mteval fills itself; --model-arg/--judge-arg may not replace them.
_RESERVED_FIELDS = frozenset({"model", "messages", "stream"})


def _parse_args(items: list[str] | None, flag: str) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} {item!r}: use KEY=VALUE, e.g. {flag} top_k=20")
        if key.strip() in _RESERVED_FIELDS:
            raise ConfigError(
                f"{flag} {item!r}: mteval sets {key.strip()!r} in every request itself; "
                "pass the model with --model/--judge and leave this field out"
            )
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            # A bare word is a string (top_k=auto); what looks like JSON must be JSON,
            # or a typo would be sent, and stored, as a string.
            if raw.strip()[:1] in ("{", "[", '"') or _looks_numeric(raw):
                raise ConfigError(
                    f"{flag} {item!r}: {raw!r} is not valid JSON ({exc.msg} at character "
                    f"{exc.pos + 1}); write a JSON value, e.g. {key.strip()}=111 or "
                    f"{key.strip()}='\"text\"'"
                ) from None
            value = raw
        parsed[key.strip()] = value
    return parsed


def _looks_numeric(raw: str) -> bool:
    text = raw.strip()
    return bool(text) and (text[0].isdigit() or (text[0] in "+-." and text[1:2].isdigit()))


def _parse_options(items: list[str] | None, flag: str) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} {item!r}: use KEY=VALUE, e.g. -M n_ctx=4096")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        parsed[key.strip()] = value
    return parsed


def _check_retry_flags(
    *, max_attempts: int, timeout: float, base_delay: float, max_delay: float, max_total: float
) -> None:
    if max_attempts < 1:
        raise ConfigError("--max-attempts must be at least 1 (the first attempt counts)")
    if timeout <= 0:
        raise ConfigError("--timeout must be a positive number of seconds")
    for flag, value in (
        ("--retry-base-delay", base_delay),
        ("--retry-max-delay", max_delay),
        ("--retry-max-total", max_total),
    ):
        if value < 0:
            raise ConfigError(f"{flag} must not be negative")


def _version(value: bool) -> None:
    if value:
        out.print(f"mteval {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """MT-Eval, faithful and fast."""


# -- run ---------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _headline(results: Any) -> tuple[str, dict[str, str]]:
    """The headline table's title and its columns (score key -> label)."""
    from mteval.benchmarks import get_benchmark

    try:
        benchmark = get_benchmark(results.benchmark)
    except MtevalError:
        return f"{results.benchmark} scores", {k: k for k in results.scores}
    labels = dict(benchmark.headline_labels) or {k: k for k in results.scores}
    return benchmark.headline_title or f"{benchmark.title} scores", labels


def _print_results(results: Any) -> None:
    title, labels = _headline(results)
    if any(results.scores.get(k) is not None for k in labels):
        partial = _partial_categories(results)
        table = Table(title=title, title_justify="left")
        table.add_column("Model")
        for label in labels.values():
            table.add_column(label, justify="right")
        cells = []
        for key in labels:
            value = results.scores.get(key)
            incomplete = bool(partial) if key == "average" else key in partial
            cells.append(_fmt(value) + ("*" if incomplete and value is not None else ""))
        table.add_row(escape(results.model), *cells)
        out.print(table)
        if partial:
            what = "; ".join(f"{labels.get(k, k)}: {v}" for k, v in partial.items())
            out.print(f"* partial, not the benchmark's number — {what}", highlight=False)
    else:
        # No headline score (MT-Eval: no multi-turn task): a row of dashes says
        # nothing; show what was run.
        single = _single_turn_table(results)
        if single is not None:
            out.print(single)
    tasks = Table(title="Tasks", title_justify="left")
    for column in (
        "Task",
        "Score",
        "Scored",
        "Turns",
        "Errors",
        "Not run",
        "Judge errors",
        "Pending",
        "Truncated",
    ):
        tasks.add_column(column, justify="left" if column == "Task" else "right")
    for name, task in results.tasks.items():
        tasks.add_row(
            name,
            _fmt(task.score),
            str(task.n_scored),
            str(task.n_turns),
            str(task.n_turn_errors),
            str(task.n_not_run),
            str(task.n_judge_errors),
            str(task.n_pending),
            str(task.n_truncated),
        )
    out.print(tasks)


def _single_turn_table(results: Any) -> Table | None:
    """The single-turn scores per category, pooled over scored turns like the main table."""
    from mteval.report.markdown import CATEGORY_LABELS

    if results.benchmark != DEFAULT_BENCHMARK:
        return None  # MT-Eval's single-turn table
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for task in results.tasks.values():
        if task.setting != "single" or not task.n_scored or task.score is None:
            continue
        sums[task.category] = sums.get(task.category, 0.0) + task.score * task.n_scored
        counts[task.category] = counts.get(task.category, 0) + task.n_scored
    if not counts:
        return None
    scores = {c: sums[c] / counts[c] for c in counts}
    # As the paper's single-turn table: Avg. over recollection, expansion and refinement
    # (follow-up's single-turn set is mteval's construction).
    averaged = [scores[c] for c in ("recollection", "expansion", "refinement") if c in scores]
    categories = [c for c in CATEGORY_LABELS if c in scores]
    table = Table(
        title="MT-Eval single-turn performance",
        title_justify="left",
        caption="Avg. over Recollection, Expansion and Refinement, as in the paper"
        + ("; * Follow-up: mteval's single-turn construction" if "follow-up" in scores else ""),
        caption_justify="left",
    )
    table.add_column("Model")
    table.add_column("Avg.", justify="right")
    for category in categories:
        flag = "*" if category == "follow-up" else ""
        table.add_column(CATEGORY_LABELS[category] + flag, justify="right")
    table.add_row(
        escape(results.model),
        _fmt(sum(averaged) / len(averaged) if averaged else None),
        *(_fmt(scores[c]) for c in categories),
    )
    return table


def _partial_categories(results: Any) -> dict[str, str]:
    """What keeps each MT-Eval main-table category from being complete (empty: nothing)."""
    from mteval.report.markdown import CATEGORY_LABELS

    missing: dict[str, str] = {}
    if results.benchmark != DEFAULT_BENCHMARK:
        return missing
    for category in CATEGORY_LABELS:
        if category == "average":
            continue
        main = [
            t
            for t in results.tasks.values()
            if t.category == category and t.setting == "multi" and t.history == "own"
        ]
        if not main:
            missing[category] = "not in this run"
            continue
        scored = sum(t.n_scored for t in main)
        total = sum(t.n_turns for t in main)
        if scored < total:
            missing[category] = f"{scored} of {total} turns scored"
    return missing


def _print_concurrency(usage: dict[str, Any]) -> None:
    """Say what concurrency each endpoint ran at (adaptive: where the limit settled)."""
    used = usage.get("concurrency")
    if not isinstance(used, dict):
        return
    parts = []
    for role, info in used.items():
        if not isinstance(info, dict) or info.get("shared_with"):
            continue
        mean = info.get("mean_in_flight")
        if info.get("mode") == "adaptive":
            parts.append(
                f"{role} adaptive, limit {info.get('limit')} (peak {info.get('peak_limit')}, "
                f"ceiling {info.get('ceiling')}), {mean} in flight on average"
            )
        elif info.get("mode") == "fixed":
            parts.append(f"{role} fixed {info.get('limit')}, {mean} in flight on average")
    if parts:
        err.print("concurrency: " + "; ".join(parts), highlight=False, soft_wrap=True)


EXIT_INCOMPLETE = 3
"""Exit status of a run that finished without scoring every selected turn."""


def _report_incomplete(results: Any, db: Path) -> None:
    """Print why turns went unscored (top reasons, one example each) and how to retry."""
    from mteval.analysis.failures import failure_reasons
    from mteval.store import RunStore

    pending = sum(t.n_pending for t in results.tasks.values())
    with RunStore(db) as store:
        reasons = failure_reasons(store, results.run_id)
    unscored = sum(t.n_turns - t.n_scored for t in results.tasks.values())
    total = sum(t.n_turns for t in results.tasks.values())
    err.print(
        f"[bold yellow]incomplete:[/] {unscored} of {total} turns are not scored",
        highlight=False,
    )
    for reason in reasons[:5]:
        label = {"turn": "turn error", "not_run": "not run", "judge": "judge error"}[reason.stage]
        err.print(
            f"  {reason.count} × {label}: {escape(reason.reason)} (e.g. {escape(reason.example)})",
            highlight=False,
            soft_wrap=True,
        )
    if len(reasons) > 5:
        err.print(f"  … and {len(reasons) - 5} more reasons", highlight=False)
    if pending:
        err.print(f"  {pending} × pending: not attempted yet", highlight=False)
    err.print(
        f"retry them: mteval run --retry-errors {results.run_id} --db {escape(str(db))}",
        highlight=False,
        soft_wrap=True,
    )


class _ProgressView:
    """A rich progress bar fed by pipeline snapshots."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.enabled = enabled
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            disable=not enabled,
            transient=False,
        )
        self.turns_task: Any = None
        self.scores_task: Any = None

    def __enter__(self) -> _ProgressView:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def update(self, snap: Any) -> None:
        if self.turns_task is None:
            self.turns_task = self.progress.add_task("turns", total=snap.turns_total, status="")
            self.scores_task = self.progress.add_task("scores", total=snap.turns_total, status="")
        self.progress.update(
            self.turns_task,
            completed=snap.turns_finished,
            status=(
                f"errors {snap.turn_errors}  not run {snap.turns_not_run}  "
                f"in flight {snap.in_flight}/{snap.concurrency}  sent {snap.requests_sent}  "
                f"cached {snap.cache_hits}"
            ),
        )
        self.progress.update(
            self.scores_task,
            completed=snap.judgments_done + snap.judgment_errors,
            status=f"judge errors {snap.judgment_errors}  retries {snap.retries}",
        )


class _ProgressLog:
    """One progress line every ``interval_s`` seconds, for logs (output that is not a terminal).

    Args:
        interval_s: Seconds between lines.
        clock: Monotonic clock (tests pass a fake one).
        write: Where lines go.
    """

    def __init__(
        self,
        *,
        interval_s: float = 30.0,
        clock: Callable[[], float] | None = None,
        write: Callable[[str], None] | None = None,
    ) -> None:
        import time

        self.interval_s = interval_s
        self._clock = clock or time.monotonic
        self._write = write or (lambda line: err.print(line, highlight=False, soft_wrap=True))
        self._last: float | None = None

    def update(self, snap: Any) -> None:
        now = self._clock()
        if self._last is None:
            self._last = now
            return
        if now - self._last < self.interval_s:
            return
        self._last = now
        self._write(_progress_line(snap))


def _progress_line(snap: Any) -> str:
    minutes, seconds = divmod(int(snap.elapsed_s), 60)
    return (
        f"progress {minutes}m{seconds:02d}s: turns {snap.turns_finished}/{snap.turns_total} "
        f"(errors {snap.turn_errors}, not run {snap.turns_not_run}), "
        f"scored {snap.judgments_done} (judge errors {snap.judgment_errors}), "
        f"in flight {snap.in_flight}, concurrency {snap.concurrency}, "
        f"sent {snap.requests_sent}, retries {snap.retries}"
    )


@app.command("run")
def run_command(
    model: Annotated[
        str | None,
        typer.Option(help="Model to evaluate, PROVIDER/MODEL (e.g. openai/gpt-4o-mini)."),
    ] = None,
    benchmark: Annotated[
        str, typer.Option(help="The benchmark (`mteval benchmarks` lists them).")
    ] = DEFAULT_BENCHMARK,
    judge: Annotated[
        str | None,
        typer.Option(
            help="Judge model, PROVIDER/MODEL (default: the benchmark's; MT-Eval's paper: "
            f"{DEFAULT_JUDGE}); '' for none."
        ),
    ] = None,
    tasks: Annotated[
        str | None,
        typer.Option(
            help="Task groups or comma-separated task names of the benchmark (MT-Eval: main "
            "(default) | single | gold | ablations | all)."
        ),
    ] = None,
    model_base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible base URL of the model (…/v1).")
    ] = None,
    judge_base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible base URL of the judge (…/v1).")
    ] = None,
    model_api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the model's API key.")
    ] = None,
    judge_api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the judge's API key.")
    ] = None,
    model_arg: Annotated[
        list[str] | None,
        typer.Option(
            help="Extra request field for the model, KEY=VALUE (JSON value); "
            "KEY=null removes a default (e.g. seed=null)."
        ),
    ] = None,
    judge_arg: Annotated[
        list[str] | None, typer.Option(help="Extra request field for the judge, KEY=VALUE.")
    ] = None,
    model_option: Annotated[
        list[str] | None,
        typer.Option(
            "--model-option",
            "-M",
            help="Provider option for the model, KEY=VALUE (JSON value): how a local engine "
            "starts, e.g. -M n_ctx=4096 -M n_parallel=4 (see docs/engines.md).",
        ),
    ] = None,
    judge_option: Annotated[
        list[str] | None, typer.Option(help="Provider option for the judge, KEY=VALUE.")
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(
            help="Model sampling temperature, for every request (default: the benchmark's; "
            "MT-Eval 0, MT-Bench FastChat's per-category temperatures)."
        ),
    ] = None,
    max_tokens: Annotated[int, typer.Option(help="Model's maximum new tokens.")] = 1024,
    system_message: Annotated[
        str | None,
        typer.Option(
            help="System message ('' for none; default: the benchmark's, for MT-Eval "
            f"{DEFAULT_SYSTEM_MESSAGE!r})."
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help="Only the first N dialogues of each task.")
    ] = None,
    history: Annotated[
        str | None,
        typer.Option(
            help="Whose replies are the history: own (the model's earlier replies) or gold "
            "(the reference replies), through each task's variant (default: the benchmark's "
            "protocol; MT-Bench-101: gold, --history own plays its dialogues the model's way)."
        ),
    ] = None,
    max_connections: Annotated[
        int | None,
        typer.Option(
            help="Most concurrent requests per endpoint: a ceiling; the concurrency adapts "
            "below it to what the endpoint serves (exactly this many with --no-adaptive). "
            "Default: a local engine's batch capacity, else "
            f"{DEFAULT_MAX_CONNECTIONS}."
        ),
    ] = None,
    adaptive: Annotated[
        bool,
        typer.Option(
            help="Adapt concurrency to the endpoint: start low, grow while latency stays "
            "flat, back off on 429/503/timeouts/capacity errors."
        ),
    ] = True,
    judge_max_connections: Annotated[
        int | None,
        typer.Option(help="Concurrent requests to the judge's endpoint, when it differs."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Per-request timeout, seconds.")] = 300.0,
    max_attempts: Annotated[int, typer.Option(help="Attempts per request.")] = 6,
    retry_base_delay: Annotated[float, typer.Option(help="First retry delay, seconds.")] = 1.0,
    retry_max_delay: Annotated[float, typer.Option(help="Longest retry delay, seconds.")] = 60.0,
    retry_max_total: Annotated[
        float, typer.Option(help="Give up on a request after this many seconds.")
    ] = 900.0,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where to write results.json and results.md (default: mteval-results/RUN_ID)."
        ),
    ] = None,
    db: Annotated[Path, typer.Option(help="The run store (SQLite).")] = Path("mteval.db"),
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="The benchmark's sources folder (default: its variable, for MT-Eval "
            "$MTEVAL_DATA_DIR)."
        ),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            help="Continue run RUN_ID with its stored model, judge, tasks and generation "
            "settings (connection, timeout and retry flags still apply)."
        ),
    ] = None,
    retry_errors: Annotated[
        str | None, typer.Option(help="Retry only what failed in run RUN_ID.")
    ] = None,
    new_run: Annotated[
        bool, typer.Option(help="Start a new run even if one with the same settings exists.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show the progress bar.")] = True,
    canary: Annotated[
        bool,
        typer.Option(help="Afterwards, judge the drift canaries and compare with earlier ones."),
    ] = False,
) -> None:
    """Evaluate a model on a benchmark (default MT-Eval): generate, judge, score, print scores."""

    def body() -> None:
        from mteval.config import RetrySettings
        from mteval.pipeline import BENCHMARK_DEFAULT, build_config, run_async, write_outputs

        resume_id = resume or retry_errors
        if model is None and resume_id is None:
            raise ConfigError("--model is required (or --resume RUN_ID)")
        _check_retry_flags(
            max_attempts=max_attempts,
            timeout=timeout,
            base_delay=retry_base_delay,
            max_delay=retry_max_delay,
            max_total=retry_max_total,
        )
        config = build_config(
            model=model or "openai/unused",
            benchmark=benchmark,
            judge=BENCHMARK_DEFAULT if judge is None else (judge or None),
            tasks=BENCHMARK_DEFAULT if tasks is None else tasks,
            model_base_url=model_base_url,
            judge_base_url=judge_base_url,
            model_api_key_env=model_api_key_env,
            judge_api_key_env=judge_api_key_env,
            model_args=_parse_args(model_arg, "--model-arg"),
            judge_args=_parse_args(judge_arg, "--judge-arg"),
            model_options=_parse_options(model_option, "--model-option"),
            judge_options=_parse_options(judge_option, "--judge-option"),
            temperature=BENCHMARK_DEFAULT if temperature is None else temperature,
            max_tokens=max_tokens,
            system_message=(
                BENCHMARK_DEFAULT if system_message is None else (system_message or None)
            ),
            limit=limit,
            history=history,
            max_connections=max_connections,
            judge_max_connections=judge_max_connections,
            adaptive=adaptive,
            timeout_s=timeout,
            retry=RetrySettings(
                max_attempts=max_attempts,
                base_delay_s=retry_base_delay,
                max_delay_s=retry_max_delay,
                max_total_s=retry_max_total,
            ),
        )
        view = _ProgressView(progress and err.is_terminal)
        log = _ProgressLog() if progress and not err.is_terminal else None

        def started(run_id: str, resumed: bool) -> None:
            word = "resuming" if resumed else "starting"
            err.print(f"{word} run [bold]{run_id}[/] (store {escape(str(db))})", highlight=False)

        on_progress = view.update if view.enabled else log.update if log else None
        with view:
            results = run_until_signalled(
                run_async(
                    config,
                    db_path=db,
                    data_dir=data_dir,
                    resume=resume_id,
                    new_run=new_run,
                    on_progress=on_progress,
                    on_start=started,
                    retry_errors=retry_errors is not None,
                )
            )
        _print_results(results)
        target = output_dir or Path("mteval-results") / results.run_id
        try:
            json_path, md_path = write_outputs(results, target)
        except OSError as exc:
            raise MtevalError(
                f"cannot write the results into {target} ({exc.strerror or exc}); run "
                f"{results.run_id} is stored in {db}: pass another --output-dir, or see it "
                f"with `mteval show {results.run_id} --db {db}`"
            ) from None
        out.print(f"results: {escape(str(json_path))}  {escape(str(md_path))}", highlight=False)
        if canary:
            from mteval.audit import AuditOptions, audit_async
            from mteval.cli_audit import print_panel

            result = asyncio.run(
                audit_async(
                    results.run_id,
                    db_path=db,
                    options=AuditOptions(checks=("canary",), canary=True),
                    data_dir=data_dir,
                )
            )
            print_panel(result)
        _print_concurrency(results.usage)
        if not results.complete:
            _report_incomplete(results, db)
            raise typer.Exit(EXIT_INCOMPLETE)

    _guard(body)


@app.command("pairwise")
def pairwise_command(
    runs: Annotated[
        list[str],
        typer.Argument(
            help="Stored runs of one benchmark: RUN_A (the baseline) RUN_B [RUN_C ...]."
        ),
    ],
    all_pairs: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Compare every pair of runs (FastChat's pairwise-all) instead of each run "
            "with RUN_A (pairwise-baseline); adds Bradley-Terry ratings.",
        ),
    ] = False,
    judge: Annotated[
        str | None,
        typer.Option(help="Judge model, PROVIDER/MODEL (default: the benchmark's)."),
    ] = None,
    judge_base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible base URL of the judge (…/v1).")
    ] = None,
    judge_api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the judge's API key.")
    ] = None,
    judge_arg: Annotated[
        list[str] | None, typer.Option(help="Extra request field for the judge, KEY=VALUE.")
    ] = None,
    output_dir: Annotated[
        Path,
        typer.Option(help="Where to write pairwise.json, pairwise_games.jsonl and pairwise.md."),
    ] = Path("mteval-pairwise"),
    db: Annotated[Path, typer.Option(help="The run store (SQLite).")] = Path("mteval.db"),
    data_dir: Annotated[Path | None, typer.Option(help="The benchmark's sources folder.")] = None,
    max_connections: Annotated[
        int, typer.Option(help="Most concurrent judge requests.")
    ] = DEFAULT_MAX_CONNECTIONS,
    timeout: Annotated[float, typer.Option(help="Per-request timeout, seconds.")] = 300.0,
    max_attempts: Annotated[int, typer.Option(help="Attempts per request.")] = 6,
    retry_base_delay: Annotated[float, typer.Option(help="First retry delay, seconds.")] = 1.0,
    retry_max_delay: Annotated[float, typer.Option(help="Longest retry delay, seconds.")] = 60.0,
    retry_max_total: Annotated[
        float, typer.Option(help="Give up on a request after this many seconds.")
    ] = 900.0,
    resamples: Annotated[
        int, typer.Option(help="Bootstrap replicates of the Bradley-Terry intervals.")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
) -> None:
    """Judge stored runs' answers side by side, both orders (MT-Bench), and count wins."""

    def body() -> None:
        from mteval.config import RetrySettings
        from mteval.pipeline import BENCHMARK_DEFAULT, pairwise_async

        _check_retry_flags(
            max_attempts=max_attempts,
            timeout=timeout,
            base_delay=retry_base_delay,
            max_delay=retry_max_delay,
            max_total=retry_max_total,
        )
        if max_connections < 1:
            raise ConfigError("--max-connections must be at least 1")
        result = asyncio.run(
            pairwise_async(
                runs,
                judge=BENCHMARK_DEFAULT if judge is None else (judge or None),
                judge_base_url=judge_base_url,
                judge_api_key_env=judge_api_key_env,
                judge_args=_parse_args(judge_arg, "--judge-arg"),
                all_pairs=all_pairs,
                db_path=db,
                output_dir=output_dir,
                data_dir=data_dir,
                max_connections=max_connections,
                timeout_s=timeout,
                retry=RetrySettings(
                    max_attempts=max_attempts,
                    base_delay_s=retry_base_delay,
                    max_delay_s=retry_max_delay,
                    max_total_s=retry_max_total,
                ),
                n_resamples=resamples,
                seed=seed,
            )
        )
        out.print(result.table, markup=False, highlight=False)
        out.print(
            f"pairwise: {escape(str(output_dir / 'pairwise.json'))}  "
            f"{escape(str(output_dir / 'pairwise_games.jsonl'))}",
            highlight=False,
        )

    _guard(body)


# -- runs, show, export ------------------------------------------------------------------------


@app.command("runs")
def runs_command(
    db: Annotated[Path, typer.Option(help="The run store (SQLite).")] = Path("mteval.db"),
) -> None:
    """List the runs in the store."""

    def body() -> None:
        import time

        from mteval.store import RunStore

        if not db.exists():
            raise MtevalError(f"{db} does not exist: run `mteval run` first, or pass --db")
        with RunStore(db, read_only=True) as store:
            rows = store.list_runs()
        table = Table(title=f"Runs in {escape(str(db))}", title_justify="left")
        for column in ("Run", "Created (UTC)", "Status", "Benchmark", "Model", "Judge", "Tasks"):
            table.add_column(column)
        for info in rows:
            created = time.strftime("%Y-%m-%d %H:%M", time.gmtime(info.created_at))
            table.add_row(
                info.run_id,
                created,
                info.status,
                escape(info.benchmark),
                escape(info.model),
                escape(info.judge or "—"),
                ",".join(info.tasks) if len(info.tasks) <= 3 else f"{len(info.tasks)} tasks",
            )
        out.print(table)

    _guard(body)


@app.command("show")
def show_command(
    run_id: Annotated[str, typer.Argument(help="The run id (see `mteval runs`).")],
    db: Annotated[Path, typer.Option(help="The run store (SQLite).")] = Path("mteval.db"),
    as_json: Annotated[bool, typer.Option("--json", help="Print results.json instead.")] = False,
) -> None:
    """Print a run's leaderboard row and per-task table."""

    def body() -> None:
        from mteval.analysis.results import load_results
        from mteval.store import RunStore

        if not db.exists():
            raise MtevalError(f"{db} does not exist: pass the store with --db")
        with RunStore(db, read_only=True) as store:
            results = load_results(store, run_id)
        if as_json:
            out.print_json(json.dumps(results.model_dump(mode="json")))
        else:
            _print_results(results)

    _guard(body)


EXPORT_FIELDS = (
    "run_id",
    "task",
    "category",
    "setting",
    "history",
    "dialogue_id",
    "turn_id",
    "position",
    "turn_index",
    "status",
    "user",
    "response",
    "finish_reason",
    "error",
    "score_status",
    "score",
    "score_method",
    "rationale",
    "score_error",
    "attempts",
    "latency_s",
    "prompt_tokens",
    "completion_tokens",
)


def export_rows(store: Any, run_id: str) -> list[dict[str, Any]]:
    """Return a run's turn-level records, one dict per answered turn (for exports)."""
    from mteval.analysis.results import run_meta

    info = store.get_run(run_id)
    task_info = run_meta(info).tasks
    judgments = {(j.task, j.dialogue_id, j.position): j for j in store.judgments(run_id)}
    rows = []
    for turn in store.turns(run_id):
        spec = task_info.get(turn.task)
        judgment = judgments.get((turn.task, turn.dialogue_id, turn.position))
        user = None
        if turn.completion_key:
            request = store.request(turn.completion_key)
            if request and request.get("messages"):
                user = request["messages"][-1]["content"]
        rows.append(
            {
                "run_id": info.run_id,
                "task": turn.task,
                "category": spec.get("category") if spec else None,
                "setting": spec.get("setting") if spec else None,
                "history": spec.get("history") if spec else None,
                "dialogue_id": turn.dialogue_id,
                "turn_id": turn.turn_id,
                "position": turn.position,
                "turn_index": turn.turn_index,
                "status": turn.status,
                "user": user,
                "response": turn.response,
                "finish_reason": turn.finish_reason,
                "error": turn.error,
                "score_status": judgment.status if judgment else None,
                "score": judgment.score if judgment else None,
                "score_method": judgment.method if judgment else None,
                "rationale": judgment.rationale if judgment else None,
                "score_error": judgment.error if judgment else None,
                "attempts": turn.attempts,
                "latency_s": turn.latency_s,
                "prompt_tokens": turn.prompt_tokens,
                "completion_tokens": turn.completion_tokens,
            }
        )
    return rows


@app.command("export")
def export_command(
    run_id: Annotated[str, typer.Argument(help="The run id.")],
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--out", help="Output file (default: standard output).")
    ] = None,
    db: Annotated[Path, typer.Option(help="The run store (SQLite).")] = Path("mteval.db"),
) -> None:
    """Dump a run's turn-level records (reply, score, rationale, errors) as JSONL or CSV."""

    def body() -> None:
        from mteval.store import RunStore

        if fmt not in ("jsonl", "csv"):
            raise ConfigError(f"--format {fmt!r}: use jsonl or csv")
        if not db.exists():
            raise MtevalError(f"{db} does not exist: pass the store with --db")
        with RunStore(db, read_only=True) as store:
            rows = export_rows(store, run_id)
        try:
            handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        except OSError as exc:
            raise MtevalError(
                f"cannot write {output} ({exc.strerror or exc}): pass another file with --out"
            ) from None
        try:
            if fmt == "jsonl":
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                writer = csv.DictWriter(handle, fieldnames=list(EXPORT_FIELDS))
                writer.writeheader()
                writer.writerows(rows)
        finally:
            if output:
                handle.close()
        if output:
            err.print(f"wrote {len(rows)} records to {escape(str(output))}", highlight=False)

    _guard(body)


@app.command("benchmarks")
def benchmarks_command() -> None:
    """List the benchmarks with their task groups."""

    def body() -> None:
        from mteval.benchmarks import benchmark_names, get_benchmark

        table = Table(title="Benchmarks", title_justify="left")
        for column in ("Benchmark", "Title", "Tasks", "Groups (default first)", "Data variable"):
            table.add_column(column)
        for name in benchmark_names():
            bench = get_benchmark(name)
            groups = [bench.default_tasks] + [g for g in bench.groups if g != bench.default_tasks]
            table.add_row(
                name,
                bench.title,
                str(len(bench.tasks)),
                ", ".join(f"{g} ({len(bench.groups.get(g, ()))})" for g in groups),
                bench.source.env_var,
            )
        out.print(table)

    _guard(body)


@app.command("tasks")
def tasks_command(
    benchmark: Annotated[
        str, typer.Option(help="The benchmark (`mteval benchmarks` lists them).")
    ] = DEFAULT_BENCHMARK,
) -> None:
    """List a benchmark's task sets and selection groups."""

    def body() -> None:
        from mteval.benchmarks import get_benchmark

        bench = get_benchmark(benchmark)
        _print_tasks(bench.tasks, bench.groups)

    _guard(body)


def _print_tasks(tasks: Any, groups: Any) -> None:
    table = Table(title="Tasks", title_justify="left")
    for column in ("Task", "Category", "Setting", "History", "Scorer", "Groups", "Description"):
        table.add_column(column)
    for name, spec in tasks.items():
        table.add_row(
            name,
            spec.category,
            spec.setting,
            spec.history,
            spec.scorer,
            ",".join(spec.groups),
            spec.description,
        )
    out.print(table)
    out.print("Groups: " + "; ".join(f"{g} ({len(n)})" for g, n in groups.items()))


# -- data --------------------------------------------------------------------------------------


@data_app.command("fetch")
def data_fetch(
    dest: Annotated[
        Path | None, typer.Option(help="Target folder (default: the user cache folder).")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Archive URL (default: the pinned GitHub archive).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Download even if already present.")] = False,
    benchmark: Annotated[
        str, typer.Option(help="The benchmark whose sources to fetch.")
    ] = DEFAULT_BENCHMARK,
) -> None:
    """Download and verify a benchmark's sources (pinned commit, checked file by file)."""

    def body() -> None:
        from mteval.benchmarks import get_benchmark

        source = get_benchmark(benchmark).source
        path = source.fetch(dest, url=url, force=force)
        out.print(f"{source.title} ready in {escape(str(path))}", highlight=False)

    _guard(body)


@data_app.command("export")
def data_export(
    directory: Annotated[Path, typer.Argument(help="Folder to write <task>.jsonl files into.")],
    tasks: Annotated[str, typer.Option(help="Task selection (default: all).")] = "all",
    data_dir: Annotated[Path | None, typer.Option(help="MT-Eval sources folder.")] = None,
) -> None:
    """Write task sets in the benchmark's published JSONL format, to diff with the dataset."""

    def body() -> None:
        from mteval.benchmarks import get_benchmark

        bench = get_benchmark(DEFAULT_BENCHMARK)
        export_task_set = bench.extras["export_task_set"]
        sources = bench.load_sources(data_dir)
        table = Table(title=f"Exported to {directory}", title_justify="left")
        for column in ("Task", "Dialogues", "Turns", "Answered"):
            table.add_column(column, justify="left" if column == "Task" else "right")
        for spec in bench.resolve_tasks(tasks):
            if spec.history == "gold":
                continue  # same dialogues as the own-history set
            task_set = spec.load(sources)
            export_task_set(task_set, directory)
            table.add_row(
                spec.name,
                str(task_set.n_dialogues),
                str(task_set.n_turns),
                str(task_set.n_answered),
            )
        out.print(table)

    _guard(body)


@data_app.command("stats")
def data_stats(
    data_dir: Annotated[Path | None, typer.Option(help="MT-Eval sources folder.")] = None,
) -> None:
    """Print the benchmark's statistics table (dialogues, turns, words per turn)."""

    def body() -> None:
        from mteval.benchmarks import get_benchmark

        bench = get_benchmark(DEFAULT_BENCHMARK)
        benchmark_statistics = bench.extras["benchmark_statistics"]
        set_statistics = bench.extras["set_statistics"]
        sources = bench.load_sources(data_dir)
        rows = benchmark_statistics(sources)
        table = Table(title="MT-Eval statistics (multi-turn sets)", title_justify="left")
        table.add_column("Statistic")
        for row in rows:
            table.add_column(row.name.capitalize() if row.name != "all" else "All", justify="right")
        metrics: list[tuple[str, Callable[[Any], str]]] = [
            ("Avg. # Turns per Dialogue", lambda r: f"{r.avg_turns_per_dialogue:.2f}"),
            ("Avg. # Words in Prompt*", lambda r: f"{r.avg_words_in_prompt:.2f}"),
            ("Max. # Words in Prompt*", lambda r: str(r.max_words_in_prompt)),
            ("Avg. # Words per Turn", lambda r: f"{r.avg_words_per_turn:.2f}"),
            ("Max. # Words per Turn", lambda r: str(r.max_words_per_turn)),
            ("Total # Dialogues", lambda r: str(r.dialogues)),
            ("Total # Turns", lambda r: str(r.answered)),
        ]
        for label, fn in metrics:
            table.add_row(label, *(fn(r) for r in rows))
        out.print(table)
        out.print("* with the reference replies as history; words split on whitespace")
        per_set = Table(title="Every task set", title_justify="left")
        for column in ("Task", "Dialogues", "Turns", "Answered", "Avg. words/turn"):
            per_set.add_column(column, justify="left" if column == "Task" else "right")
        for name, spec in bench.tasks.items():
            if spec.history == "gold":
                continue
            stats = set_statistics(name, [spec.load(sources)])
            per_set.add_row(
                name,
                str(stats.dialogues),
                str(stats.turns),
                str(stats.answered),
                f"{stats.avg_words_per_turn:.2f}",
            )
        out.print(per_set)

    _guard(body)


def _register_analysis_commands() -> None:
    from mteval.cli_audit import register as register_audit
    from mteval.cli_report import register
    from mteval.cli_view import register as register_view

    register(app)
    register_view(app)
    register_audit(app)


_register_analysis_commands()


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
