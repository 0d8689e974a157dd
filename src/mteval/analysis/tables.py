"""The paper's tables, with bootstrap confidence intervals, over one or more runs.

Semantics follow the benchmark's ``calculate_score.py``: a score pools every
scored turn of the tasks it covers (recollection pools classification and
global-instruction turns); an average is the mean of the category scores it
covers. Every function takes already-loaded :class:`~mteval.analysis.RunScores`
and returns one row per run that has the tasks the table needs (no row when a
run lacks them), so callers can omit a table nobody ran.

Where mteval departs from the benchmark's script, it says so here:

* Own vs gold history compares each gold-history task with its own-history
  twin only (recollection: classification turns on both sides); the script
  pools global-instruction turns into the own-history side. Follow-up is
  shown when run (the script leaves it out).
* Single vs multi shows Follow-up when run, flagged as reconstructed (its
  single-turn set is mteval's stand-in); Single/Multi Avg. cover
  Recollection, Expansion and Refinement only, as in the paper.
* Irrelevant context compares with the first six turns (the first task type)
  of each ``refinement_multi`` dialogue: the same document and instructions
  with no irrelevant turn, which is the chain the ablation dialogues embed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

from mteval.analysis._tasks import benchmark_tasks
from mteval.analysis.bootstrap import Bootstrap, Estimate, FloatArray, Sample, make_sample
from mteval.analysis.results import is_main_task
from mteval.analysis.scores import RunScores, ScoredTurn
from mteval.benchmarks.base import TaskSpec
from mteval.types import CATEGORIES, Category

__all__ = [
    "CLS_ABLATION_COLUMNS",
    "IRRELEVANT_BASELINE_TURNS",
    "IRRELEVANT_TASKS",
    "PAPER_SINGLE_MULTI_CATEGORIES",
    "ClsAblationRow",
    "GoldOwnCell",
    "GoldOwnRow",
    "IrrelevantRow",
    "MultiTurnRow",
    "SingleMultiCell",
    "SingleMultiRow",
    "cls_ablation_table",
    "gold_vs_own_table",
    "irrelevant_context_table",
    "multi_turn_table",
    "resampling_key",
    "single_vs_multi_table",
    "task_sample",
    "task_scores",
]

CLS_ABLATION_COLUMNS: dict[str, str] = {
    "Single Turn": "recollection_single_cls",
    "Gold": "cls_ablation_gold",
    "DGC": "cls_ablation_dgc",
    "SGC": "cls_ablation_sgc",
    "RC": "cls_ablation_rc",
}
"""The classification-ablation table's columns and their tasks, in the paper's order."""

IRRELEVANT_TASKS: dict[str, str] = {
    "front": "refinement_ablation_irrelevant-front",
    "between": "refinement_ablation_irrelevant-between",
}
"""Where the irrelevant turns sit -> the ablation task."""

IRRELEVANT_BASELINE_TURNS = 6
"""Answered turns of ``refinement_multi`` that form the no-irrelevant-context baseline."""

PAPER_SINGLE_MULTI_CATEGORIES: tuple[Category, ...] = ("recollection", "expansion", "refinement")
"""Categories of the paper's single- vs multi-turn table (and of its averages)."""


# -- building blocks ---------------------------------------------------------------------------


def resampling_key(task: str) -> str:
    """The bootstrap key of a task: gold-history tasks share their own-history twin's."""
    return task.removesuffix("_gold")


def task_sample(run: RunScores, task: str, *, turns: Iterable[ScoredTurn] | None = None) -> Sample:
    """One column of a task's scores per dialogue (``turns`` defaults to all scored turns)."""
    rows = turns if turns is not None else run.turns(task)
    return make_sample(
        resampling_key(task),
        ((t.dialogue_id, 0, t.score) for t in rows),
        columns=(0,),
        tasks=(task,),
    )


@dataclass(frozen=True)
class _Stat:
    """A scalar statistic, its replicates and what it rests on."""

    value: float | None
    reps: FloatArray | None
    n_turns: int
    n_dialogues: int
    tasks: tuple[str, ...]


def _pooled(boot: Bootstrap, samples: Sequence[Sample]) -> _Stat:
    samples = [s for s in samples if s.n_dialogues]
    tasks = tuple(dict.fromkeys(t for s in samples for t in s.tasks))
    if not samples:
        return _Stat(None, None, 0, 0, tasks)
    value, reps = boot.pooled(samples)
    return _Stat(
        value=float(value[0]),
        reps=reps[:, 0],
        n_turns=int(sum(s.counts.sum() for s in samples)),
        n_dialogues=sum(s.n_dialogues for s in samples),
        tasks=tasks,
    )


def _mean(stats: Sequence[_Stat]) -> _Stat:
    present = [s for s in stats if s.value is not None and s.reps is not None]
    tasks = tuple(dict.fromkeys(t for s in present for t in s.tasks))
    if not present:
        return _Stat(None, None, 0, 0, tasks)
    value = float(np.mean([s.value for s in present]))
    reps = np.mean(np.stack([s.reps for s in present if s.reps is not None]), axis=0)
    return _Stat(
        value,
        reps,
        sum(s.n_turns for s in present),
        sum(s.n_dialogues for s in present),
        tasks,
    )


def _diff(a: _Stat, b: _Stat) -> _Stat:
    """``a - b`` (replicates subtracted pairwise: paired when the samples share keys)."""
    tasks = tuple(dict.fromkeys((*a.tasks, *b.tasks)))
    if a.value is None or b.value is None or a.reps is None or b.reps is None:
        return _Stat(None, None, 0, 0, tasks)
    return _Stat(
        a.value - b.value,
        a.reps - b.reps,
        a.n_turns + b.n_turns,
        a.n_dialogues + b.n_dialogues,
        tasks,
    )


def _estimate(boot: Bootstrap, stat: _Stat) -> Estimate:
    return boot.scalar(
        stat.value,
        stat.reps,
        n_turns=stat.n_turns,
        n_dialogues=stat.n_dialogues,
        tasks=stat.tasks,
    )


def _category_tasks(
    run: RunScores, predicate: Callable[[TaskSpec], bool]
) -> dict[Category, list[str]]:
    found: dict[Category, list[str]] = {c: [] for c in CATEGORIES}
    for name in benchmark_tasks():
        spec = benchmark_tasks()[name]
        if run.has(name) and predicate(spec):
            found[cast(Category, spec.category)].append(name)
    return found


def _category_stats(
    boot: Bootstrap, run: RunScores, predicate: Callable[[TaskSpec], bool]
) -> dict[Category, _Stat]:
    return {
        category: _pooled(boot, [task_sample(run, t) for t in tasks])
        for category, tasks in _category_tasks(run, predicate).items()
    }


# -- tables ------------------------------------------------------------------------------------


def task_scores(run: RunScores, *, bootstrap: Bootstrap | None = None) -> dict[str, Estimate]:
    """Every task's score (mean over its scored turns) with its interval, in run order."""
    boot = bootstrap or Bootstrap()
    known = benchmark_tasks(run.benchmark)
    order = [t for t in run.tasks if t in known] + [t for t in run.scored if t not in run.tasks]
    return {
        task: _estimate(boot, _pooled(boot, [task_sample(run, task)]))
        for task in dict.fromkeys(order)
    }


@dataclass(frozen=True)
class MultiTurnRow:
    """One run's row of the paper's main table.

    Attributes:
        run_id: The run.
        model: Its model.
        average: Mean of the category scores present.
        categories: Each category's pooled score (absent categories have no value).
    """

    run_id: str
    model: str
    average: Estimate
    categories: dict[str, Estimate]


def multi_turn_table(
    runs: Sequence[RunScores], *, bootstrap: Bootstrap | None = None
) -> list[MultiTurnRow]:
    """The paper's multi-turn table: Avg., Recollection, Expansion, Refinement, Follow-up.

    Categories pool the turns of their main (multi-turn, own-history) tasks;
    the average is the mean of the categories present, recomputed in every
    replicate. Runs without any scored main task get no row.
    """
    boot = bootstrap or Bootstrap()
    rows = []
    for run in runs:
        stats = _category_stats(boot, run, is_main_task)
        if all(s.value is None for s in stats.values()):
            continue
        rows.append(
            MultiTurnRow(
                run_id=run.run_id,
                model=run.model,
                average=_estimate(boot, _mean(list(stats.values()))),
                categories={c: _estimate(boot, s) for c, s in stats.items()},
            )
        )
    return rows


@dataclass(frozen=True)
class SingleMultiCell:
    """One category of the single- vs multi-turn table.

    Attributes:
        single: The single-turn score.
        multi: The multi-turn score (main tasks).
        drop: ``multi - single`` (negative: the model does worse over turns).
        reconstructed: The single-turn set is mteval's stand-in, not the
            benchmark's (Follow-up).
    """

    single: Estimate
    multi: Estimate
    drop: Estimate
    reconstructed: bool = False


@dataclass(frozen=True)
class SingleMultiRow:
    """One run's row of the single- vs multi-turn table.

    Attributes:
        run_id: The run.
        model: Its model.
        single_avg: Mean single-turn score over the paper's three categories
            that have both scores.
        multi_avg: Mean multi-turn score over the same categories.
        drop_avg: ``multi_avg - single_avg``.
        cells: Per category with a single-turn score.
    """

    run_id: str
    model: str
    single_avg: Estimate
    multi_avg: Estimate
    drop_avg: Estimate
    cells: dict[str, SingleMultiCell]


def single_vs_multi_table(
    runs: Sequence[RunScores], *, bootstrap: Bootstrap | None = None
) -> list[SingleMultiRow]:
    """Single-turn vs multi-turn scores per category, their drop, and averages.

    Single-turn and multi-turn sets are different dialogues, resampled
    independently; the drop's interval is that of the difference.
    """
    boot = bootstrap or Bootstrap()
    rows = []
    for run in runs:
        single = _category_stats(boot, run, lambda s: s.setting == "single")
        if all(s.value is None for s in single.values()):
            continue
        multi = _category_stats(boot, run, is_main_task)
        single_tasks = _category_tasks(run, lambda s: s.setting == "single")
        cells: dict[str, SingleMultiCell] = {}
        for category in CATEGORIES:
            if single[category].value is None:
                continue
            cells[category] = SingleMultiCell(
                single=_estimate(boot, single[category]),
                multi=_estimate(boot, multi[category]),
                drop=_estimate(boot, _diff(multi[category], single[category])),
                reconstructed=any(
                    benchmark_tasks()[t].provenance == "mteval" for t in single_tasks[category]
                ),
            )
        both = [
            c
            for c in PAPER_SINGLE_MULTI_CATEGORIES
            if single[c].value is not None and multi[c].value is not None
        ]
        single_avg = _mean([single[c] for c in both])
        multi_avg = _mean([multi[c] for c in both])
        rows.append(
            SingleMultiRow(
                run_id=run.run_id,
                model=run.model,
                single_avg=_estimate(boot, single_avg),
                multi_avg=_estimate(boot, multi_avg),
                drop_avg=_estimate(boot, _diff(multi_avg, single_avg)),
                cells=cells,
            )
        )
    return rows


@dataclass(frozen=True)
class GoldOwnCell:
    """One category of the own- vs gold-history table.

    Attributes:
        own: Score with the model's own replies as history.
        gold: Score with the reference replies as history.
        diff: ``own - gold`` (negative: the model's own earlier replies hurt).
    """

    own: Estimate
    gold: Estimate
    diff: Estimate


@dataclass(frozen=True)
class GoldOwnRow:
    """One run's row of the own- vs gold-history table (error propagation)."""

    run_id: str
    model: str
    cells: dict[str, GoldOwnCell]


def gold_vs_own_table(
    runs: Sequence[RunScores], *, bootstrap: Bootstrap | None = None
) -> list[GoldOwnRow]:
    """Own history vs gold history, per category with a gold-history task in the run.

    Each gold task is compared with its own-history twin (``expansion_multi``
    for ``expansion_multi_gold``); both are resampled with the same dialogue
    counts when they cover the same dialogues, so the difference's interval
    is paired.
    """
    boot = bootstrap or Bootstrap()
    rows = []
    for run in runs:
        cells: dict[str, GoldOwnCell] = {}
        for category in CATEGORIES:
            gold_tasks = [
                name
                for name, spec in benchmark_tasks().items()
                if spec.category == category
                and spec.history == "gold"
                and spec.setting == "multi"
                and run.has(name)
            ]
            if not gold_tasks:
                continue
            own_tasks = [resampling_key(t) for t in gold_tasks]
            own = _pooled(boot, [task_sample(run, t) for t in own_tasks if run.has(t)])
            gold = _pooled(boot, [task_sample(run, t) for t in gold_tasks])
            cells[category] = GoldOwnCell(
                own=_estimate(boot, own),
                gold=_estimate(boot, gold),
                diff=_estimate(boot, _diff(own, gold)),
            )
        if cells:
            rows.append(GoldOwnRow(run_id=run.run_id, model=run.model, cells=cells))
    return rows


@dataclass(frozen=True)
class ClsAblationRow:
    """One run's row of the classification-ablation table (columns: CLS_ABLATION_COLUMNS)."""

    run_id: str
    model: str
    cells: dict[str, Estimate]


def cls_ablation_table(
    runs: Sequence[RunScores], *, bootstrap: Bootstrap | None = None
) -> list[ClsAblationRow]:
    """Classification accuracy (0-10) with various contexts: Single Turn, Gold, DGC, SGC, RC.

    Runs without any ``cls_ablation_*`` task get no row.
    """
    boot = bootstrap or Bootstrap()
    rows = []
    for run in runs:
        if not any(run.has(t) for t in CLS_ABLATION_COLUMNS.values() if "ablation" in t):
            continue
        cells = {
            label: _estimate(boot, _pooled(boot, [task_sample(run, task)]))
            for label, task in CLS_ABLATION_COLUMNS.items()
        }
        rows.append(ClsAblationRow(run_id=run.run_id, model=run.model, cells=cells))
    return rows


@dataclass(frozen=True)
class IrrelevantRow:
    """One run's row of the irrelevant-context ablation.

    Attributes:
        run_id: The run.
        model: Its model.
        none: The baseline: turns 1-6 of ``refinement_multi`` (no irrelevant turn).
        front: Irrelevant turns before the document turn.
        between: Irrelevant turns between the document turn and the instructions.
        by_distracts: Per setting (``front``/``between``), per number of
            irrelevant turns (1, 3, 6), the score.
    """

    run_id: str
    model: str
    none: Estimate
    front: Estimate
    between: Estimate
    by_distracts: dict[str, dict[int, Estimate]]


def irrelevant_context_table(
    runs: Sequence[RunScores], *, bootstrap: Bootstrap | None = None
) -> list[IrrelevantRow]:
    """Refinement with irrelevant turns in front / between vs none, and by their number.

    The number of irrelevant turns of a dialogue is read off the stored
    positions (the turns the model did not answer before its answered ones).
    Runs without either ablation task get no row.
    """
    boot = bootstrap or Bootstrap()
    rows = []
    for run in runs:
        if not any(run.has(t) for t in IRRELEVANT_TASKS.values()):
            continue
        baseline_turns = [
            t for t in run.turns("refinement_multi") if t.turn_index <= IRRELEVANT_BASELINE_TURNS
        ]
        none = _pooled(boot, [task_sample(run, "refinement_multi", turns=baseline_turns)])
        overall: dict[str, Estimate] = {}
        by_distracts: dict[str, dict[int, Estimate]] = {}
        for setting, task in IRRELEVANT_TASKS.items():
            overall[setting] = _estimate(boot, _pooled(boot, [task_sample(run, task)]))
            counts = run.unanswered_before.get(task, {})
            groups: dict[int, list[ScoredTurn]] = {}
            for turn in run.turns(task):
                n = counts.get(turn.dialogue_id)
                if n is not None:
                    groups.setdefault(n, []).append(turn)
            by_distracts[setting] = {
                n: _estimate(boot, _pooled(boot, [task_sample(run, task, turns=groups[n])]))
                for n in sorted(groups)
            }
        rows.append(
            IrrelevantRow(
                run_id=run.run_id,
                model=run.model,
                none=_estimate(boot, none),
                front=overall["front"],
                between=overall["between"],
                by_distracts=by_distracts,
            )
        )
    return rows
