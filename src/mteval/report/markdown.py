"""Markdown tables of a run's results, in the paper's layout (two decimals)."""

from __future__ import annotations

from collections.abc import Sequence

from mteval.analysis.results import Results

__all__ = ["CATEGORY_LABELS", "format_score", "main_table", "results_markdown", "task_table"]

CATEGORY_LABELS: dict[str, str] = {
    "average": "Avg.",
    "recollection": "Recollection",
    "expansion": "Expansion",
    "refinement": "Refinement",
    "follow-up": "Follow-up",
}


def format_score(value: float | None) -> str:
    """Two decimals, or an em dash for no score."""
    return "—" if value is None else f"{value:.2f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def main_table(results: Sequence[Results]) -> str:
    """The paper's main table: Model | Avg. | Recollection | Expansion | Refinement | Follow-up."""
    header = ["Model", *CATEGORY_LABELS.values()]
    rows = [
        [r.model, *(format_score(r.scores.get(key)) for key in CATEGORY_LABELS)] for r in results
    ]
    return _table(header, rows)


def task_table(results: Results) -> str:
    """One row per task: score, scored turns, errors, not run, judge errors."""
    header = ["Task", "Score", "Scored", "Turns", "Errors", "Not run", "Judge errors"]
    rows = [
        [
            name,
            format_score(task.score),
            str(task.n_scored),
            str(task.n_turns),
            str(task.n_turn_errors),
            str(task.n_not_run),
            str(task.n_judge_errors),
        ]
        for name, task in results.tasks.items()
    ]
    return _table(header, rows)


def results_markdown(results: Results) -> str:
    """The ``results.md`` of a run."""
    parts = [
        f"# MT-Eval results: {results.model}",
        "",
        f"Run `{results.run_id}` ({results.status}), judge: {results.judge or '—'}, "
        f"MT-Eval sources commit {str(results.data_commit)[:12]}.",
        "",
        "## Multi-turn performance",
        "",
        main_table([results]),
        "",
        "## Tasks",
        "",
        task_table(results),
        "",
    ]
    incomplete = [n for n, t in results.tasks.items() if t.n_scored < t.n_turns]
    if incomplete:
        parts += [
            "Turns without a score are excluded from every mean (errors, not-run turns and "
            "judge errors are counted above); rerun the same command to retry them.",
            "",
        ]
    return "\n".join(parts)
