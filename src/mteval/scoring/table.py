"""Compute a benchmark's headline scores from a declarative score table (pure functions).

The table (:class:`~mteval.benchmarks.base.ScoreTable`) is stored with each
run, so a stored run is scored by this one function whatever benchmark
produced it. Only scored verdicts count; errors are excluded from every mean.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from mteval.benchmarks.base import ScoreColumn, ScoreTable
from mteval.records import JudgmentRecord

__all__ = ["column_values", "compute_scores", "group_by_task"]


def column_values(
    column: ScoreColumn, judgments_by_task: Mapping[str, Sequence[JudgmentRecord]]
) -> list[float]:
    """The values a pooling column averages, in task then record order.

    With ``reduce="mean"`` these are the scored turns; with ``dialogue_min``
    each dialogue's minimum over its scored turns.
    """
    if column.reduce == "dialogue_min":
        minima: dict[tuple[str, str], float] = {}
        for task in column.tasks:
            for j in _scored(judgments_by_task.get(task, ()), column.turn_index):
                key = (task, j.dialogue_id)
                assert j.score is not None
                minima[key] = min(minima.get(key, j.score), j.score)
        return list(minima.values())
    values: list[float] = []
    for task in column.tasks:
        values.extend(
            j.score
            for j in _scored(judgments_by_task.get(task, ()), column.turn_index)
            if j.score is not None
        )
    return values


def _scored(records: Iterable[JudgmentRecord], turn_index: int | None) -> list[JudgmentRecord]:
    return [
        j
        for j in records
        if j.status == "scored"
        and j.score is not None
        and (turn_index is None or j.turn_index == turn_index)
    ]


def compute_scores(
    table: ScoreTable, judgments_by_task: Mapping[str, Sequence[JudgmentRecord]]
) -> dict[str, float | None]:
    """Return each column's value (None where nothing was scored), in table order.

    Args:
        table: The score table.
        judgments_by_task: Each task's verdicts, in stored order.
    """
    scores: dict[str, float | None] = {}
    for column in table.columns:
        value: float | None
        if column.of:
            present = [v for key in column.of if (v := scores.get(key)) is not None]
            value = sum(present) / len(present) if present else None
        else:
            values = column_values(column, judgments_by_task)
            value = sum(values) / len(values) if values else None
        if value is not None and column.digits is not None:
            value = round(value, column.digits)
        scores[column.key] = value
    return scores


def group_by_task(judgments: Iterable[JudgmentRecord]) -> dict[str, list[JudgmentRecord]]:
    """Group verdicts by task, keeping their order."""
    grouped: dict[str, list[JudgmentRecord]] = defaultdict(list)
    for judgment in judgments:
        grouped[judgment.task].append(judgment)
    return grouped
