"""The ``mteval report`` and ``mteval compare`` commands.

``register(app)`` adds them to the main typer app. Like every mteval
command, a user-caused error prints one line (``error: ...``) and exits
with status 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from mteval.cli_common import err, out
from mteval.cli_common import guard as _guard
from mteval.errors import ConfigError, DataError, MtevalError

if TYPE_CHECKING:
    from mteval.analysis.compare import Comparison

__all__ = ["register"]

# The analysis defaults, spelled out so that registering these commands does not import
# numpy and the analysis stack for every `mteval` invocation (a test keeps them equal).
DEFAULT_RESAMPLES = 1000
DEFAULT_PERMUTATIONS = 10_000
DEFAULT_SEED = 0


def _existing_store(db: Path) -> Any:
    from mteval.store import RunStore

    if not db.exists():
        raise MtevalError(f"{db} does not exist: pass the run store with --db")
    return RunStore(db, read_only=True)


def _benchmark_of(store: Any, run_ids: list[str]) -> str | None:
    """The benchmark of the first run (None when it is not in the store: build_report says so)."""
    from mteval.analysis.results import run_meta
    from mteval.errors import StoreError

    try:
        return run_meta(store.get_run(run_ids[0])).benchmark if run_ids else None
    except StoreError:
        return None


def _sources(data_dir: Path | None, benchmark: str | None = None) -> Any:
    """The benchmark's sources for the turn tables; optional unless ``--data-dir`` is given."""
    from mteval.benchmarks import DEFAULT_BENCHMARK, get_benchmark

    sources = get_benchmark(benchmark or DEFAULT_BENCHMARK).load_sources(data_dir, download=False)
    try:
        _ = sources.root
    except DataError:
        if data_dir is not None:
            raise
        return None
    return sources


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _comparison_table(comparison: Comparison, label_a: str, label_b: str) -> Table:
    from mteval.report.markdown import CATEGORY_LABELS, format_p

    pct = f"{comparison.confidence:.0%}"
    table = Table(
        title=f"B = {label_b} ({comparison.run_b}) vs A = {label_a} ({comparison.run_a})",
        title_justify="left",
        caption=(
            f"Δ = B − A on the turns scored in both runs; p: two-sided sign-flip "
            "permutation test at dialogue level (* exact: every sign pattern); "
            f"{pct} CI: the differences that test does not reject (so it excludes 0 exactly "
            f"when p ≤ {1 - comparison.confidence:.2f}; — when too few dialogues to reject any); "
            f"seed {comparison.seed}."
        ),
        caption_justify="left",
    )
    table.add_column("Average / category / task", no_wrap=True)
    for column in ("A", "B", "Δ (B − A)", f"{pct} CI", "p", "Turns", "Dialogues"):
        table.add_column(column, justify="right", no_wrap=True)
    previous = None
    for row in comparison.rows:
        if previous is not None and row.scope != previous and "task" in (row.scope, previous):
            table.add_section()
        previous = row.scope
        if row.scope == "average":
            name = "Avg."
        elif row.scope == "category":
            name = CATEGORY_LABELS.get(row.name, row.name)
        else:
            name = row.name
        interval = (
            f"[{row.low:+.2f}, {row.high:+.2f}]"
            if row.low is not None and row.high is not None
            else "—"
        )
        table.add_row(
            name,
            _fmt(row.a),
            _fmt(row.b),
            _fmt(row.diff, signed=True),
            interval,
            format_p(row.p_value) + ("*" if row.exact else ""),
            str(row.n_turns),
            str(row.n_dialogues),
        )
    return table


def report_command(
    run_ids: Annotated[
        list[str], typer.Argument(help="Run ids (see `mteval runs`); the first is the reference.")
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write report.md and report.html into.")
    ],
    db: Annotated[Path, typer.Option(help="The run store (SQLite).")] = Path("mteval.db"),
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="The benchmark's sources folder, for user messages and reference replies."
        ),
    ] = None,
    resamples: Annotated[
        int, typer.Option(min=0, help="Bootstrap replicates (0: no intervals).")
    ] = DEFAULT_RESAMPLES,
    permutations: Annotated[
        int, typer.Option(min=1, help="Sign patterns of the paired permutation tests.")
    ] = DEFAULT_PERMUTATIONS,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and permutations.")] = (
        DEFAULT_SEED
    ),
) -> None:
    """Write the paper's tables and figures for one or more runs (Markdown and HTML)."""

    def body() -> None:
        from mteval.report.build import build_report
        from mteval.report.html import write_report

        with _existing_store(db) as store:
            sources = _sources(data_dir, _benchmark_of(store, run_ids))
            report = build_report(
                store,
                run_ids,
                sources=sources,
                n_resamples=resamples,
                n_permutations=permutations,
                seed=seed,
            )
        files = write_report(report, out_dir)
        for note in report.notes:
            err.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
        out.print(f"report: {files.markdown}  {files.html}", highlight=False)

    _guard(body)


def compare_command(
    run_a: Annotated[str, typer.Argument(help="Run A, the reference.")],
    run_b: Annotated[str, typer.Argument(help="Run B, compared with A.")],
    db: Annotated[Path, typer.Option(help="The run store (SQLite).")] = Path("mteval.db"),
    resamples: Annotated[
        int, typer.Option(min=0, help="Bootstrap replicates (0: no intervals).")
    ] = DEFAULT_RESAMPLES,
    permutations: Annotated[
        int, typer.Option(min=1, help="Sign patterns of the permutation test.")
    ] = DEFAULT_PERMUTATIONS,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and permutations.")] = (
        DEFAULT_SEED
    ),
) -> None:
    """Print B − A per task, category and average on the turns both runs scored, with CIs."""

    def body() -> None:
        from mteval.analysis.compare import compare_runs
        from mteval.analysis.scores import load_run_scores
        from mteval.report.build import run_labels

        if run_a == run_b:
            raise ConfigError(f"run {run_a} is compared with itself: pass two different runs")
        with _existing_store(db) as store:
            a = load_run_scores(store, run_a)
            b = load_run_scores(store, run_b)
        comparison = compare_runs(
            a, b, n_resamples=resamples, n_permutations=permutations, seed=seed
        )
        labels = run_labels([(a.run_id, a.model), (b.run_id, b.model)])
        if not comparison.rows:
            out.print(
                f"runs {run_a} and {run_b} have no scored turn in common: nothing to compare",
                highlight=False,
            )
            return
        # Piped output is not cut to 80 columns: task names and intervals stay whole.
        console = out if out.is_terminal else Console(width=120)
        console.print(_comparison_table(comparison, labels[run_a], labels[run_b]))

    _guard(body)


def register(app: typer.Typer) -> None:
    """Add the ``report`` and ``compare`` commands to ``app``."""
    app.command("report")(report_command)
    app.command("compare")(compare_command)
