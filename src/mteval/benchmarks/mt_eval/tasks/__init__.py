"""The registry of runnable task sets and the named selections of them.

``TASKS`` maps a task name to its :class:`TaskSpec`. Selections accepted by
``--tasks``: ``main`` (the paper's main table), ``single``, ``gold``,
``ablations``, ``all``, or comma-separated task names.
"""

from __future__ import annotations

from dataclasses import replace

from mteval.benchmarks.mt_eval.tasks.ablations import (
    CLS_ABLATION_DGC,
    CLS_ABLATION_GOLD,
    CLS_ABLATION_RC,
    CLS_ABLATION_SGC,
    REFINEMENT_IRRELEVANT_BETWEEN,
    REFINEMENT_IRRELEVANT_FRONT,
)
from mteval.benchmarks.mt_eval.tasks.base import (
    SCORER_RESOURCES,
    JudgeContext,
    JudgeFields,
    TaskSpec,
)
from mteval.benchmarks.mt_eval.tasks.expansion import (
    EXPANSION_MULTI,
    EXPANSION_MULTI_GOLD,
    EXPANSION_SINGLE,
)
from mteval.benchmarks.mt_eval.tasks.follow_up import (
    FOLLOW_UP_MULTI,
    FOLLOW_UP_MULTI_GOLD,
    FOLLOW_UP_SINGLE,
)
from mteval.benchmarks.mt_eval.tasks.recollection import (
    RECOLLECTION_MULTI_CLS,
    RECOLLECTION_MULTI_CLS_GOLD,
    RECOLLECTION_MULTI_GLOBAL_INST,
    RECOLLECTION_SINGLE_CLS,
    RECOLLECTION_SINGLE_GLOBAL_INST,
)
from mteval.benchmarks.mt_eval.tasks.refinement import (
    REFINEMENT_MULTI,
    REFINEMENT_MULTI_GOLD,
    REFINEMENT_SINGLE,
)
from mteval.errors import TaskNotFoundError

__all__ = [
    "GROUPS",
    "TASKS",
    "JudgeContext",
    "JudgeFields",
    "TaskSpec",
    "get_task",
    "resolve_tasks",
]

TASKS: dict[str, TaskSpec] = {
    # Each task requires what its scorer needs from the environment.
    spec.name: spec if spec.requires else replace(spec, requires=SCORER_RESOURCES[spec.scorer])
    for spec in (
        # main: the paper's multi-turn table
        RECOLLECTION_MULTI_CLS,
        RECOLLECTION_MULTI_GLOBAL_INST,
        EXPANSION_MULTI,
        REFINEMENT_MULTI,
        FOLLOW_UP_MULTI,
        # single-turn versions
        RECOLLECTION_SINGLE_CLS,
        RECOLLECTION_SINGLE_GLOBAL_INST,
        EXPANSION_SINGLE,
        REFINEMENT_SINGLE,
        FOLLOW_UP_SINGLE,
        # gold history
        RECOLLECTION_MULTI_CLS_GOLD,
        EXPANSION_MULTI_GOLD,
        REFINEMENT_MULTI_GOLD,
        FOLLOW_UP_MULTI_GOLD,
        # ablations
        CLS_ABLATION_GOLD,
        CLS_ABLATION_DGC,
        CLS_ABLATION_SGC,
        CLS_ABLATION_RC,
        REFINEMENT_IRRELEVANT_FRONT,
        REFINEMENT_IRRELEVANT_BETWEEN,
    )
}

GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(name for name, spec in TASKS.items() if group in spec.groups)
    for group in ("main", "single", "gold", "ablations")
}
GROUPS["all"] = tuple(TASKS)


def get_task(name: str) -> TaskSpec:
    """Return the task named ``name``.

    Raises:
        TaskNotFoundError: No such task; the message lists the known names.
    """
    try:
        return TASKS[name]
    except KeyError:
        raise TaskNotFoundError(
            f"unknown task {name!r}: use one of {', '.join(TASKS)}, or a group: {', '.join(GROUPS)}"
        ) from None


def resolve_tasks(selection: str | list[str] | tuple[str, ...]) -> tuple[TaskSpec, ...]:
    """Turn a ``--tasks`` selection into task specs, in registry order, without duplicates.

    Args:
        selection: Group names and/or task names, comma-separated or as a list.

    Raises:
        TaskNotFoundError: A name is neither a group nor a task.
    """
    items = selection.split(",") if isinstance(selection, str) else list(selection)
    names: set[str] = set()
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        if item in GROUPS:
            names.update(GROUPS[item])
        else:
            names.add(get_task(item).name)
    if not names:
        raise TaskNotFoundError(
            f"no task selected: use one of {', '.join(GROUPS)} or task names ({', '.join(TASKS)})"
        )
    return tuple(spec for name, spec in TASKS.items() if name in names)
