"""MT-Eval's headline scores: the paper's main-table row.

Exactly as the benchmark's ``calculate_score.py``: a category's score is the
mean over all scored turns of its multi-turn, own-history tasks pooled
(recollection pools classification and global-instruction turns); the
average is the mean of the category scores present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mteval.benchmarks.base import ScoreColumn, ScoreTable, TaskSpec
from mteval.scoring.metrics import mean
from mteval.types import CATEGORIES, Category

__all__ = ["CATEGORIES", "CATEGORY_LABELS", "category_scores", "is_main_task", "score_table"]

CATEGORY_LABELS: dict[str, str] = {
    "recollection": "Recollection",
    "expansion": "Expansion",
    "refinement": "Refinement",
    "follow-up": "Follow-up",
}


def is_main_task(spec: TaskSpec) -> bool:
    """Whether a task feeds the main table: multi-turn, own history (as the benchmark filters)."""
    return spec.setting == "multi" and spec.history == "own"


def score_table(specs: Sequence[TaskSpec]) -> ScoreTable:
    """The main-table row for a selection of tasks (in run order)."""
    columns = [
        ScoreColumn(
            key=category,
            label=CATEGORY_LABELS[category],
            tasks=tuple(s.name for s in specs if s.category == category and is_main_task(s)),
        )
        for category in CATEGORIES
    ]
    columns.append(ScoreColumn(key="average", label="Avg.", of=tuple(CATEGORIES)))
    return ScoreTable(columns=tuple(columns))


def category_scores(
    pooled: Mapping[Category, Sequence[float]],
) -> tuple[dict[Category, float | None], float | None]:
    """Return per-category pooled means and their average.

    Args:
        pooled: For each category, every scored turn of its main (multi-turn,
            own-history) tasks.

    Returns:
        The category means (None where nothing was scored) and the mean of
        the available category means (None if none), as the benchmark's table
        averages the columns it has.
    """
    means: dict[Category, float | None] = {c: mean(list(pooled.get(c, ()))) for c in CATEGORIES}
    present = [v for v in means.values() if v is not None]
    return means, (sum(present) / len(present) if present else None)
