"""Everything a report shows, computed once from the store: tables, curves, comparisons, turns.

:func:`build_report` runs every analysis of :mod:`mteval.analysis` over the
given runs and gathers, per run and task, the turns behind each number (the
model's reply, the reference reply, the judge's score and rationale), so that
the Markdown and HTML renderers only format.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mteval._version import __version__
from mteval.analysis.bootstrap import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Bootstrap,
    Estimate,
    make_sample,
)
from mteval.analysis.compare import DEFAULT_PERMUTATIONS, Comparison, compare_runs
from mteval.analysis.curves import Curve, distance_curves, per_turn_curves
from mteval.analysis.results import Results, TaskResult, load_results, run_meta
from mteval.analysis.scores import RunScores, load_run_scores
from mteval.analysis.tables import (
    ClsAblationRow,
    GoldOwnRow,
    IrrelevantRow,
    MultiTurnRow,
    SingleMultiRow,
    cls_ablation_table,
    gold_vs_own_table,
    irrelevant_context_table,
    multi_turn_table,
    resampling_key,
    single_vs_multi_table,
    task_sample,
    task_scores,
)
from mteval.benchmarks import get_benchmark
from mteval.errors import ConfigError, DataError
from mteval.records import JudgmentRecord, TurnRecord
from mteval.store.sqlite import RunStore
from mteval.types import Dialogue

__all__ = [
    "DialogueRows",
    "HeadlineRow",
    "Report",
    "RunEntry",
    "TaskSection",
    "TurnRow",
    "build_report",
    "run_labels",
]


@dataclass(frozen=True)
class RunEntry:
    """A run in the report.

    Attributes:
        run_id: The run's id.
        label: Its name in tables and legends (the model, made unique).
        results: Its results (scores and counts, as ``mteval show`` prints them).
        scores: Its scored turns.
        created_at: When it was created (Unix time).
        data_commit: The MT-Eval sources commit it ran on.
    """

    run_id: str
    label: str
    results: Results
    scores: RunScores
    created_at: float
    data_commit: str | None

    @property
    def model(self) -> str:
        """The evaluated model."""
        return self.results.model


@dataclass(frozen=True)
class TurnRow:
    """One answered turn: what was asked, answered, expected and judged."""

    dialogue_id: str
    position: int
    turn_index: int
    turn_id: str
    status: str
    user: str | None
    response: str | None
    reference: str | None
    error: str | None
    score: float | None
    judgment_status: str | None
    method: str | None
    rationale: str | None
    judge_error: str | None


@dataclass(frozen=True)
class DialogueRows:
    """A dialogue's answered turns and its mean score."""

    dialogue_id: str
    score: float | None
    n_scored: int
    rows: tuple[TurnRow, ...]


@dataclass(frozen=True)
class TaskSection:
    """One task of one run, with the turns behind its score."""

    run_id: str
    task: str
    category: str
    setting: str
    history: str
    provenance: str
    description: str
    estimate: Estimate
    result: TaskResult | None
    dialogues: tuple[DialogueRows, ...]


@dataclass(frozen=True)
class HeadlineRow:
    """One run's headline scores (its benchmark's score table), with intervals.

    Attributes:
        run_id: The run.
        estimates: Score key -> estimate, in score-table order. Columns that pool
            turns get bootstrap intervals; other columns carry their value only.
    """

    run_id: str
    estimates: dict[str, Estimate]


@dataclass(frozen=True)
class Report:
    """Everything the report renders.

    Attributes:
        runs: The runs, in the order given.
        multi_turn: The paper's main table.
        task_scores: Run id -> task -> score.
        single_multi: Single- vs multi-turn table.
        gold_own: Own- vs gold-history table.
        cls_ablation: Classification ablation table.
        irrelevant: Irrelevant-context table.
        per_turn: Run id -> task -> per-turn curve.
        distance: Run id -> series -> distance curve.
        comparisons: Each later run compared with the first one (paired).
        audits: Run id -> its latest judge audit (``audit.json``'s content), for
            the runs that have one.
        sections: Run id -> its task sections (the turn tables).
        notes: What the report leaves out and why.
        n_resamples: Bootstrap replicates.
        n_permutations: Permutation-test sign patterns.
        seed: The seed.
        confidence: The intervals' coverage.
        generated_at: When the report was built (Unix time).
        mteval_version: The mteval that built it.
        benchmark: The runs' benchmark (MT-Eval's tables are shown for ``mt-eval``).
        title: Its display name.
        headline: Each run's headline scores from its stored score table, with
            intervals (every benchmark other than MT-Eval, whose main table is
            :attr:`multi_turn`).
        headline_labels: Score key -> column heading, in display order.
        headline_groups: Column groups over the headline table: (group label, number
            of columns it spans), in column order ("" over ungrouped columns).
        figures: The benchmark's own figures: (title, inline SVG).
    """

    runs: tuple[RunEntry, ...]
    multi_turn: list[MultiTurnRow]
    task_scores: dict[str, dict[str, Estimate]]
    single_multi: list[SingleMultiRow]
    gold_own: list[GoldOwnRow]
    cls_ablation: list[ClsAblationRow]
    irrelevant: list[IrrelevantRow]
    per_turn: dict[str, dict[str, Curve]]
    distance: dict[str, dict[str, Curve]]
    comparisons: list[Comparison]
    sections: dict[str, list[TaskSection]]
    audits: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    benchmark: str = "mt-eval"
    title: str = "MT-Eval"
    headline: list[HeadlineRow] = field(default_factory=list)
    headline_labels: dict[str, str] = field(default_factory=dict)
    headline_groups: list[tuple[str, int]] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    n_resamples: int = DEFAULT_RESAMPLES
    n_permutations: int = DEFAULT_PERMUTATIONS
    seed: int = DEFAULT_SEED
    confidence: float = 0.95
    generated_at: float = 0.0
    mteval_version: str = __version__

    def label(self, run_id: str) -> str:
        """A run's label."""
        return next(r.label for r in self.runs if r.run_id == run_id)


def run_labels(runs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Label runs by model, adding the run id where two runs share a model.

    Args:
        runs: ``(run_id, model)`` pairs, in report order.
    """
    counts: dict[str, int] = defaultdict(int)
    for _, model in runs:
        counts[model] += 1
    return {
        run_id: model if counts[model] == 1 else f"{model} ({run_id})" for run_id, model in runs
    }


def _natural(text: str) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _dialogues_of(
    sources: Any, benchmark: str, task: str, notes: list[str]
) -> dict[str, Dialogue] | None:
    if sources is None:
        return None
    spec = get_benchmark(benchmark).tasks.get(task)
    if spec is None:
        return None
    try:
        task_set = spec.load(sources)
    except DataError as exc:
        notes.append(f"{task}: user messages and reference replies not shown ({exc}).")
        return None
    return {d.id: d for d in task_set.dialogues}


def _sections(
    store: RunStore,
    entry: RunEntry,
    estimates: dict[str, Estimate],
    sources: Any,
    notes: list[str],
) -> list[TaskSection]:
    meta = run_meta(store.get_run(entry.run_id))
    turns_by_task: dict[str, list[TurnRecord]] = defaultdict(list)
    for turn in store.turns(entry.run_id):
        turns_by_task[turn.task].append(turn)
    judgments: dict[tuple[str, str, int], JudgmentRecord] = {
        (j.task, j.dialogue_id, j.position): j for j in store.judgments(entry.run_id)
    }
    sections = []
    for task in entry.results.tasks:
        info = meta.tasks.get(task, {})
        dialogues = _dialogues_of(sources, meta.benchmark, task, notes)
        order = {d: i for i, d in enumerate(dialogues)} if dialogues else {}
        grouped: dict[str, list[TurnRow]] = defaultdict(list)
        for turn in turns_by_task.get(task, []):
            judgment = judgments.get((task, turn.dialogue_id, turn.position))
            dialogue = dialogues.get(turn.dialogue_id) if dialogues else None
            source = (
                dialogue.turns[turn.position]
                if dialogue is not None and turn.position < len(dialogue.turns)
                else None
            )
            grouped[turn.dialogue_id].append(
                TurnRow(
                    dialogue_id=turn.dialogue_id,
                    position=turn.position,
                    turn_index=turn.turn_index,
                    turn_id=turn.turn_id,
                    status=turn.status,
                    user=source.user if source else None,
                    response=turn.response,
                    reference=source.reference if source else None,
                    error=turn.error,
                    score=judgment.score if judgment and judgment.status == "scored" else None,
                    judgment_status=judgment.status if judgment else None,
                    method=judgment.method if judgment else None,
                    rationale=judgment.rationale if judgment else None,
                    judge_error=judgment.error if judgment else None,
                )
            )
        rows = []
        for dialogue_id in sorted(grouped, key=lambda d: (order.get(d, len(order)), _natural(d))):
            turns = tuple(sorted(grouped[dialogue_id], key=lambda r: r.position))
            scores = [r.score for r in turns if r.score is not None]
            rows.append(
                DialogueRows(
                    dialogue_id=dialogue_id,
                    score=sum(scores) / len(scores) if scores else None,
                    n_scored=len(scores),
                    rows=turns,
                )
            )
        sections.append(
            TaskSection(
                run_id=entry.run_id,
                task=task,
                category=str(info.get("category", "")),
                setting=str(info.get("setting", "")),
                history=str(info.get("history", "own")),
                provenance=str(info.get("provenance", "benchmark")),
                description=str(info.get("description", "")),
                estimate=estimates.get(task, Estimate(value=None, tasks=(task,))),
                result=entry.results.tasks.get(task),
                dialogues=tuple(rows),
            )
        )
    return sections


def _coverage_notes(report_runs: Sequence[RunEntry]) -> list[str]:
    notes = []
    for entry in report_runs:
        if entry.results.status != "finished":
            notes.append(
                f"Run {entry.run_id} is {entry.results.status}: its scores cover the turns "
                "scored so far."
            )
        incomplete = [n for n, t in entry.results.tasks.items() if t.n_scored < t.n_turns]
        if incomplete:
            notes.append(
                f"Run {entry.run_id}: {len(incomplete)} task(s) have turns without a score "
                "(errors, not run, judge errors or pending); they are excluded from every mean "
                "and counted in the task table."
            )
        benchmark = get_benchmark(entry.results.benchmark)
        if entry.data_commit and entry.data_commit != benchmark.data_id:
            notes.append(
                f"Run {entry.run_id} ran on {benchmark.title} sources {entry.data_commit[:12]}; "
                f"the reference replies shown come from {benchmark.data_id[:12]}."
            )
    return notes


def _latest_audits(store: RunStore, entries: Sequence[RunEntry]) -> dict[str, dict[str, Any]]:
    latest = {}
    for entry in entries:
        audits = store.audits(entry.run_id)
        if audits:
            latest[entry.run_id] = audits[0]
    return latest


def _headline(store: RunStore, entry: RunEntry, boot: Bootstrap) -> HeadlineRow:
    """The run's stored score table, every column with its bootstrap interval.

    Dialogues are resampled within each task. A pooling column's replicates pool
    its turns (``mean``) or its dialogues' minima (``dialogue_min``); an average
    of columns (``of``) averages, in each replicate, the columns it averages.
    """
    table = run_meta(store.get_run(entry.run_id)).score_table
    estimates: dict[str, Estimate] = {}
    replicates: dict[str, Any] = {}
    for column in table.columns:
        value = entry.results.scores.get(column.key)
        if column.of:
            parts = [replicates[k] for k in column.of if k in replicates]
            tasks = tuple(t for k in column.of for t in estimates.get(k, Estimate(None)).tasks)
            if value is None or not parts or not boot.n_resamples:
                estimates[column.key] = Estimate(value=value, tasks=tasks)
                continue
            with np.errstate(invalid="ignore"):
                reps = np.nanmean(np.stack(parts, axis=1), axis=1)
            replicates[column.key] = reps
            estimates[column.key] = boot.scalar(
                value,
                reps,
                n_dialogues=sum(estimates[k].n_dialogues for k in column.of if k in estimates),
                tasks=tasks,
            )
            continue
        samples = []
        for task in column.tasks:
            turns = [
                t
                for t in entry.scores.turns(task)
                if column.turn_index is None or t.turn_index == column.turn_index
            ]
            if column.reduce == "dialogue_min":
                minima: dict[str, float] = {}
                for t in turns:
                    minima[t.dialogue_id] = min(minima.get(t.dialogue_id, t.score), t.score)
                samples.append(
                    make_sample(
                        resampling_key(task),
                        ((d, 0, score) for d, score in minima.items()),
                        columns=(0,),
                        tasks=(task,),
                    )
                )
            else:
                samples.append(task_sample(entry.scores, task, turns=turns))
        if not samples or all(s.n_dialogues == 0 for s in samples):
            estimates[column.key] = Estimate(value=value, tasks=column.tasks)
            continue
        point, reps = boot.pooled(samples)
        replicates[column.key] = reps[:, 0]
        estimate = boot.to_estimates(point, reps, samples, tasks=column.tasks)[0]
        if column.digits is not None:  # reported rounded, as the benchmark reports it
            estimate = replace(estimate, value=value)
        estimates[column.key] = estimate
    return HeadlineRow(run_id=entry.run_id, estimates=estimates)


def _column_groups(
    keys: Sequence[str], groups: Mapping[str, Sequence[str]]
) -> list[tuple[str, int]]:
    """Runs of consecutive columns in the same group: (group label, span), in column order."""
    if not groups:
        return []
    group_of = {key: label for label, members in groups.items() for key in members}
    spans: list[tuple[str, int]] = []
    for key in keys:
        label = group_of.get(key, "")
        if spans and spans[-1][0] == label:
            spans[-1] = (label, spans[-1][1] + 1)
        else:
            spans.append((label, 1))
    return spans


def build_report(
    store: RunStore,
    run_ids: Sequence[str],
    *,
    sources: Any = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    turn_tables: bool = True,
) -> Report:
    """Compute every table, figure input and turn table of a report.

    Args:
        store: The run store.
        run_ids: The runs, in the order to show them (the first is the
            reference of the paired comparisons).
        sources: The MT-Eval sources, for user messages and reference
            replies in the turn tables (None: not shown).
        n_resamples: Bootstrap replicates (0: no intervals).
        n_permutations: Random sign patterns of the permutation tests.
        seed: Seed of the bootstrap and of the permutations.
        turn_tables: Gather the turns behind each number.

    Raises:
        StoreError: A run id is not in the store.
        ConfigError: No run id, or one given twice.
    """
    if not run_ids:
        raise ConfigError("no run to report on: pass one or more run ids (see `mteval runs`)")
    duplicates = sorted({r for r in run_ids if list(run_ids).count(r) > 1})
    if duplicates:
        raise ConfigError(f"run {duplicates[0]} is given twice: pass each run once")
    boot = Bootstrap(n_resamples=n_resamples, seed=seed)
    infos = [store.get_run(run_id) for run_id in run_ids]
    labels = run_labels([(info.run_id, info.model) for info in infos])
    entries = tuple(
        RunEntry(
            run_id=info.run_id,
            label=labels[info.run_id],
            results=load_results(store, info.run_id),
            scores=load_run_scores(store, info.run_id),
            created_at=info.created_at,
            data_commit=info.data_commit,
        )
        for info in infos
    )
    runs = [e.scores for e in entries]
    benchmarks = sorted({e.results.benchmark for e in entries})
    if len(benchmarks) > 1:
        raise ConfigError(
            f"a report covers runs of one benchmark; these are of {', '.join(benchmarks)}"
        )
    benchmark = get_benchmark(benchmarks[0])
    notes = _coverage_notes(entries)
    scores = {e.run_id: task_scores(e.scores, bootstrap=boot) for e in entries}
    if sources is None and turn_tables:
        notes.append(
            f"The {benchmark.source.title} were not found: the turn tables show the model's "
            "replies and "
            "the judge's verdicts, without user messages or reference replies (pass --data-dir)."
        )
    sections = (
        {e.run_id: _sections(store, e, scores[e.run_id], sources, notes) for e in entries}
        if turn_tables
        else {}
    )
    comparisons = [
        compare_runs(
            entries[0].scores,
            other.scores,
            n_permutations=n_permutations,
            seed=seed,
            bootstrap=boot,
        )
        for other in entries[1:]
    ]
    headline = [_headline(store, e, boot) for e in entries] if benchmark.name != "mt-eval" else []
    # A task scored another way than the mean of its turns (each dialogue's minimum)
    # shows its own headline column's estimate in the task table.
    for row in headline:
        table = run_meta(store.get_run(row.run_id)).score_table
        for column in table.columns:
            if column.reduce != "mean" and len(column.tasks) == 1 and column.turn_index is None:
                estimate = row.estimates.get(column.key)
                if estimate is not None and column.tasks[0] in scores[row.run_id]:
                    scores[row.run_id][column.tasks[0]] = estimate
    labels_by_key = dict(benchmark.headline_labels)
    if headline:
        for key in headline[0].estimates:
            labels_by_key.setdefault(key, key)
        labels_by_key = {k: v for k, v in labels_by_key.items() if k in headline[0].estimates}
    figures: list[tuple[str, str]] = []
    draw = getattr(benchmark.report, "figures", None)
    draw_intervals = getattr(benchmark.report, "interval_figures", None)
    if (draw is not None or draw_intervals is not None) and headline:
        from mteval.report.figures import run_styles

        styles = run_styles({e.run_id: e.label for e in entries})
        if draw is not None:
            figures += list(draw([(styles[e.run_id], dict(e.results.scores)) for e in entries]))
        if draw_intervals is not None:
            # The headline's estimates: each score with its bootstrap interval.
            figures += list(
                draw_intervals([(styles[row.run_id], row.estimates) for row in headline])
            )
    groups = _column_groups(list(labels_by_key), benchmark.headline_groups)
    return Report(
        benchmark=benchmark.name,
        title=benchmark.title,
        headline=headline,
        headline_labels=labels_by_key,
        headline_groups=groups,
        figures=figures,
        runs=entries,
        multi_turn=multi_turn_table(runs, bootstrap=boot),
        task_scores=scores,
        single_multi=single_vs_multi_table(runs, bootstrap=boot),
        gold_own=gold_vs_own_table(runs, bootstrap=boot),
        cls_ablation=cls_ablation_table(runs, bootstrap=boot),
        irrelevant=irrelevant_context_table(runs, bootstrap=boot),
        per_turn={e.run_id: per_turn_curves(e.scores, bootstrap=boot) for e in entries},
        distance={e.run_id: distance_curves(e.scores, bootstrap=boot) for e in entries},
        comparisons=comparisons,
        sections=sections,
        audits=_latest_audits(store, entries),
        notes=list(dict.fromkeys(notes)),
        n_resamples=n_resamples,
        n_permutations=n_permutations,
        seed=seed,
        confidence=boot.confidence,
        generated_at=time.time(),
    )
