"""Scores along the dialogue: by answered-turn index, and by distance to the relevant content.

Per-turn curves give the mean score at each answered-turn index of every
multi-turn task (the paper's per-turn figures). Distance curves give the mean
score as a function of how many turns separate a turn from the content it
depends on, ``distance = position - position of the relevant turn``:

* recollection (classification and global instruction): the instruction
  turn, at position 0;
* refinement and expansion: the document turn, the dialogue's first turn;
* the irrelevant-context ablations: the document turn, i.e. the first
  answered turn (in ``front`` it follows the chit-chat; in ``between`` the
  chit-chat follows it, so distances grow with the number of irrelevant
  turns).

Follow-up is left out: its relevant content is always the previous turn.
Points pool every scored turn at that index or distance, and carry
bootstrap intervals over dialogues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mteval.analysis._tasks import benchmark_tasks
from mteval.analysis.bootstrap import Bootstrap, Estimate, make_sample
from mteval.analysis.scores import RunScores
from mteval.analysis.tables import IRRELEVANT_TASKS, resampling_key

__all__ = [
    "DISTANCE_SERIES",
    "MAIN_DISTANCE_SERIES",
    "Curve",
    "CurvePoint",
    "distance_curves",
    "multi_turn_tasks",
    "per_turn_curves",
    "relevant_position",
    "turn_distances",
]

DISTANCE_SERIES: dict[str, tuple[str, ...]] = {
    "Recollection": ("recollection_multi_cls", "recollection_multi_global-inst"),
    "Expansion": ("expansion_multi",),
    "Refinement": ("refinement_multi",),
    "Irrelevant context (front)": (IRRELEVANT_TASKS["front"],),
    "Irrelevant context (between)": (IRRELEVANT_TASKS["between"],),
}
"""Distance-curve series -> the tasks each pools."""

MAIN_DISTANCE_SERIES = "Main tasks pooled"
"""The series pooling recollection, expansion and refinement (main tasks)."""

_INSTRUCTION_FIRST = ("recollection_multi_cls", "recollection_multi_global-inst")


@dataclass(frozen=True)
class CurvePoint:
    """One point of a curve: an x value (turn index or distance) and its score."""

    x: int
    estimate: Estimate


@dataclass(frozen=True)
class Curve:
    """A curve of scores.

    Attributes:
        label: The task or series.
        tasks: The tasks it pools.
        points: Its points, by increasing x.
    """

    label: str
    tasks: tuple[str, ...]
    points: tuple[CurvePoint, ...]


def multi_turn_tasks() -> tuple[str, ...]:
    """Tasks with several answered turns per dialogue: multi-turn sets, irrelevant ablations."""
    return tuple(
        name
        for name, spec in benchmark_tasks().items()
        if spec.setting == "multi" or name in IRRELEVANT_TASKS.values()
    )


def _curve(
    boot: Bootstrap,
    label: str,
    rows_by_task: dict[str, list[tuple[str, int, float]]],
) -> Curve | None:
    xs = sorted({x for rows in rows_by_task.values() for _, x, _ in rows})
    if not xs:
        return None
    samples = [
        make_sample(resampling_key(task), rows, columns=xs, tasks=(task,))
        for task, rows in rows_by_task.items()
        if rows
    ]
    estimates = boot.estimates(samples)
    return Curve(
        label=label,
        tasks=tuple(rows_by_task),
        points=tuple(CurvePoint(x, e) for x, e in zip(xs, estimates, strict=True)),
    )


def per_turn_curves(
    run: RunScores,
    *,
    bootstrap: Bootstrap | None = None,
    tasks: Sequence[str] | None = None,
) -> dict[str, Curve]:
    """Mean score by answered-turn index (1-based), for every multi-turn task of the run."""
    boot = bootstrap or Bootstrap()
    curves: dict[str, Curve] = {}
    for task in tasks if tasks is not None else multi_turn_tasks():
        rows = [(t.dialogue_id, t.turn_index, t.score) for t in run.turns(task)]
        curve = _curve(boot, task, {task: rows})
        if curve is not None:
            curves[task] = curve
    return curves


def relevant_position(run: RunScores, task: str, dialogue_id: str) -> int | None:
    """Position of the turn whose content a turn of ``task`` depends on (None: unknown)."""
    if task in _INSTRUCTION_FIRST:
        return 0
    return run.first_answered.get(task, {}).get(dialogue_id)


def turn_distances(run: RunScores, task: str) -> list[tuple[str, int, float]]:
    """``(dialogue_id, distance, score)`` of each scored turn of a distance task."""
    rows = []
    for turn in run.turns(task):
        anchor = relevant_position(run, task, turn.dialogue_id)
        if anchor is not None:
            rows.append((turn.dialogue_id, turn.position - anchor, turn.score))
    return rows


def distance_curves(run: RunScores, *, bootstrap: Bootstrap | None = None) -> dict[str, Curve]:
    """Mean score by distance to the relevant content, per series of :data:`DISTANCE_SERIES`.

    Adds :data:`MAIN_DISTANCE_SERIES`, pooling the main tasks' series, when
    more than one of them is present.
    """
    boot = bootstrap or Bootstrap()
    curves: dict[str, Curve] = {}
    main: dict[str, list[tuple[str, int, float]]] = {}
    for label, tasks in DISTANCE_SERIES.items():
        rows = {task: turn_distances(run, task) for task in tasks if run.has(task)}
        curve = _curve(boot, label, rows)
        if curve is None:
            continue
        curves[label] = curve
        if not label.startswith("Irrelevant"):
            main.update(rows)
    if len({s for s, ts in DISTANCE_SERIES.items() if any(t in main for t in ts)}) > 1:
        pooled = _curve(boot, MAIN_DISTANCE_SERIES, main)
        if pooled is not None:
            curves[MAIN_DISTANCE_SERIES] = pooled
    return curves
