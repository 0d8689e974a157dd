"""What runs stored by mteval 0.1.0 are, frozen: MT-Eval's tasks and main-table rule then.

mteval 0.1.0 stored a run's task names only; what each task was (its
category, setting, history, scorer) and how the headline scores pooled them
lived in that release's code. The schema upgrade writes that knowledge into
each old run, from this snapshot (``mteval_0_1_0_tasks.json``, taken from
0.1.0's task registry), so that upgraded runs read the same whatever later
versions change. Never edit the snapshot.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from mteval.benchmarks.base import ScoreColumn, ScoreTable

__all__ = ["LEGACY_CATEGORIES", "legacy_run_meta", "legacy_tasks"]

LEGACY_CATEGORIES: dict[str, str] = {
    "recollection": "Recollection",
    "expansion": "Expansion",
    "refinement": "Refinement",
    "follow-up": "Follow-up",
}
"""MT-Eval's categories in 0.1.0's column order, with their labels."""


@functools.cache
def legacy_tasks() -> dict[str, dict[str, Any]]:
    """0.1.0's tasks: name -> category, setting, history, provenance, scorer, groups, ..."""
    text = resources.files(__package__).joinpath("mteval_0_1_0_tasks.json").read_text("utf-8")
    tasks: dict[str, dict[str, Any]] = json.loads(text)
    return tasks


def legacy_run_meta(tasks: list[str]) -> dict[str, Any] | None:
    """The metadata a 0.1.0 run of ``tasks`` would have stored (None: a task 0.1.0 lacked).

    The score table is 0.1.0's main-table row: per category, every scored turn of
    its multi-turn, own-history tasks pooled, then the mean of the categories present.
    """
    known = legacy_tasks()
    if any(name not in known for name in tasks):
        return None
    info = {name: dict(known[name]) for name in tasks}
    columns = [
        ScoreColumn(
            key=category,
            label=label,
            tasks=tuple(
                name
                for name in tasks
                if info[name]["category"] == category
                and info[name]["setting"] == "multi"
                and info[name]["history"] == "own"
            ),
        )
        for category, label in LEGACY_CATEGORIES.items()
    ]
    columns.append(ScoreColumn(key="average", label="Avg.", of=tuple(LEGACY_CATEGORIES)))
    return {
        "benchmark": "mt-eval",
        "task_info": info,
        "score_table": ScoreTable(columns=tuple(columns)).model_dump(mode="json"),
    }
