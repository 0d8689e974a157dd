"""What the viewer's pages show, computed by the analysis layer and cached per run state.

The score table comes from the same functions as ``mteval show`` (counts and
per-turn means: :func:`~mteval.analysis.load_results`) and the report (the
headline row and per-task scores with bootstrap intervals, same resamples
and seed). Results are cached under the run's version (its status and the
count and latest time of its records), so a finished run is computed once
and a run in progress is recomputed only when it has new records.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mteval.analysis.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, Bootstrap, Estimate
from mteval.analysis.results import (
    Results,
    headline_scores,
    load_results,
    results_from_records,
    run_meta,
)
from mteval.analysis.scores import RunScores, run_scores_from_records
from mteval.analysis.tables import MultiTurnRow, multi_turn_table, task_sample, task_scores
from mteval.benchmarks import DEFAULT_BENCHMARK, ScoreTable, get_benchmark
from mteval.errors import MtevalError
from mteval.store.sqlite import RunInfo, RunStore
from mteval.store.views import run_version, scored_values

__all__ = ["References", "RunTables", "TableCache", "headlines"]


@dataclass(frozen=True)
class RunTables:
    """A run's score table.

    Attributes:
        results: Counts, scores and per-turn means (``mteval show``'s numbers).
        headline: The benchmark's headline row with intervals (the report's).
        tasks: Each task's score with its interval (the report's).
        columns: The run's stored score table (any benchmark): label, key and
            estimate of each column, pooling columns with their intervals.
        problem: Why there is no table (a run of a benchmark this mteval lacks).
        stale: These are the tables of an earlier state of a run in progress;
            the current ones are being computed.
    """

    results: Results | None
    headline: MultiTurnRow | None
    tasks: dict[str, Estimate]
    columns: tuple[tuple[str, str, Estimate], ...] = ()
    problem: str | None = None
    stale: bool = False


def headlines(store: RunStore, runs: Sequence[RunInfo]) -> dict[str, dict[str, float | None]]:
    """Each run's leaderboard row (``results.json`` → ``scores``), from one indexed query."""
    values = scored_values(store, [r.run_id for r in runs])
    rows: dict[str, dict[str, float | None]] = {}
    for run in runs:
        try:
            table = _score_table(run)
            row = headline_scores(values.get(run.run_id, {}), table)
            # A table whose columns need turn indices or dialogues reads the records.
            rows[run.run_id] = row if row is not None else load_results(store, run.run_id).scores
        except MtevalError:
            # A run of a benchmark this mteval lacks, stored without its score table:
            # listed without scores (its run page says why).
            rows[run.run_id] = {}
    return rows


_SCORE_TABLES: dict[str, ScoreTable] = {}


def _score_table(run: RunInfo) -> ScoreTable:
    # A run's score table never changes once stored: parse it once per process.
    table = _SCORE_TABLES.get(run.run_id)
    if table is None:
        if len(_SCORE_TABLES) > 4096:
            _SCORE_TABLES.clear()
        table = _SCORE_TABLES[run.run_id] = run_meta(run).score_table
    return table


class TableCache:
    """Per-run score tables, recomputed only when the run changed.

    Args:
        n_resamples: Bootstrap replicates (the report's default).
        seed: Bootstrap seed (the report's default).
        size: Runs kept.
    """

    def __init__(
        self, *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, size: int = 256
    ) -> None:
        self.bootstrap = Bootstrap(n_resamples=n_resamples, seed=seed)
        self._size = size
        self._items: OrderedDict[str, tuple[Any, RunTables]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}
        self._refreshing: set[str] = set()
        self._open_store: Callable[[], RunStore] | None = None

    def _cached(self, run_id: str, version: Any) -> RunTables | None:
        with self._lock:
            hit = self._items.get(run_id)
            if hit is not None and hit[0] == version:
                self._items.move_to_end(run_id)
                return hit[1]
        return None

    def tables(self, store: RunStore, run_id: str, *, stale_ok: bool = False) -> RunTables:
        """The run's score table with intervals (computed once per run state).

        Args:
            store: The store to read.
            run_id: The run.
            stale_ok: When the run changed since its table was computed, return
                that table at once (marked ``stale``) and compute the new one in
                the background (for runs in progress, whose pages refresh).
        """
        version = run_version(store, run_id)
        hit = self._cached(run_id, version)
        if hit is not None:
            return hit
        if stale_ok and self._open_store is not None:
            with self._lock:
                old = self._items.get(run_id)
            if old is not None:
                self._refresh(run_id, self._open_store)
                return dataclasses.replace(old[1], stale=True)
        with self._lock:
            computing = self._computing.setdefault(run_id, threading.Lock())
        with computing:  # a second request for the same run waits for the first
            hit = self._cached(run_id, version)
            if hit is not None:
                return hit
            value = self._compute(store, run_id)
            with self._lock:
                self._items[run_id] = (version, value)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
            return value

    def _compute(self, store: RunStore, run_id: str) -> RunTables:
        try:
            info = store.get_run(run_id)
            # One read of the records feeds both analyses.
            turns = store.turns(run_id, text=False)
            judgments = store.judgments(run_id, text=False)
            results = results_from_records(info, turns=turns, judgments=judgments)
            scores = run_scores_from_records(
                run_id=info.run_id,
                model=info.model,
                judge=info.judge,
                status=info.status,
                tasks=info.tasks,
                judgments=judgments,
                turns=turns,
            )
        except MtevalError as exc:
            return RunTables(results=None, headline=None, tasks={}, problem=str(exc))
        # The shared Bootstrap keeps each (task, dialogues) draw, which every finished
        # run of the same tasks reuses; a run in progress has new dialogue sets at each
        # version, so it gets its own (same seed, same numbers) rather than filling it.
        boot = self.bootstrap
        if info.status in ("running", "created"):
            boot = Bootstrap(n_resamples=boot.n_resamples, seed=boot.seed)
        rows = multi_turn_table([scores], bootstrap=boot)
        tasks = task_scores(scores, bootstrap=boot)
        for task in info.tasks:  # tasks of other benchmarks: the same one-sample estimate
            if task not in tasks:
                tasks[task] = boot.estimate([task_sample(scores, task)])
        try:
            columns = _columns(run_meta(info).score_table, results, scores, boot)
        except MtevalError:
            columns = ()
        return RunTables(
            results=results,
            headline=rows[0] if rows else None,
            tasks=tasks,
            columns=columns,
        )

    def _refresh(self, run_id: str, open_store: Callable[[], RunStore]) -> None:
        with self._lock:
            if run_id in self._refreshing:
                return
            self._refreshing.add(run_id)

        def work() -> None:
            try:
                with contextlib.suppress(MtevalError, sqlite3.Error):
                    store = open_store()
                    try:
                        self.tables(store, run_id)
                    finally:
                        store.close()
            finally:
                with self._lock:
                    self._refreshing.discard(run_id)

        threading.Thread(target=work, name="mteval-view-refresh", daemon=True).start()

    def warm(self, open_store: Callable[[], RunStore]) -> threading.Thread:
        """Compute every run's table in the background, newest run first.

        It reads through its own read-only connection (``open_store``), so
        pages are served meanwhile; a page whose table is being computed
        waits for it rather than computing it twice. Runs in progress are
        later refreshed through connections from ``open_store`` too.
        """
        self._open_store = open_store

        def work() -> None:
            with contextlib.suppress(MtevalError, sqlite3.Error):
                store = open_store()
                try:
                    for run in store.list_runs():
                        self.tables(store, run.run_id)
                finally:
                    store.close()

        thread = threading.Thread(target=work, name="mteval-view-warm", daemon=True)
        thread.start()
        return thread


def _columns(
    table: ScoreTable, results: Results, scores: RunScores, boot: Bootstrap
) -> tuple[tuple[str, str, Estimate], ...]:
    """Each column of the run's stored score table; pooling means with their intervals.

    A column that pools scored turns (optionally of one answered-turn index) is
    resampled over dialogues as every other interval; averages of columns and
    per-dialogue minima show their value (from the results) without one.
    """
    out = []
    for column in table.columns:
        value = results.scores.get(column.key)
        if column.of or column.reduce != "mean":
            estimate = Estimate(value=value, tasks=column.tasks)
        else:
            estimate = boot.estimate(
                [
                    task_sample(
                        scores,
                        task,
                        turns=[
                            t
                            for t in scores.turns(task)
                            if column.turn_index is None or t.turn_index == column.turn_index
                        ],
                    )
                    for task in column.tasks
                ]
            )
        out.append((column.label or column.key, column.key, estimate))
    return tuple(out)


class References:
    """The benchmark's user messages and reference replies, by task and dialogue.

    Optional: without the benchmark's data the viewer shows what the store
    holds (the user message sent, the reply and the judgment).

    Args:
        sources: The benchmark's source files (None: look them up as
            ``mteval run`` does, without downloading).
        benchmark: The benchmark whose tasks they hold.
    """

    def __init__(self, sources: Any = None, *, benchmark: str = DEFAULT_BENCHMARK) -> None:
        self.benchmark = benchmark
        self._benchmark = get_benchmark(benchmark)
        self._sources = (
            sources if sources is not None else self._benchmark.load_sources(download=False)
        )
        self._tasks: dict[str, dict[str, Any] | None] = {}
        self._lock = threading.Lock()
        self.problem: str | None = None

    def _task(self, task: str) -> dict[str, Any] | None:
        with self._lock:
            if task in self._tasks:
                return self._tasks[task]
            spec = self._benchmark.tasks.get(task)
            dialogues: dict[str, Any] | None = None
            if spec is not None:
                try:
                    dialogues = {d.id: d for d in spec.load(self._sources).dialogues}
                except MtevalError as exc:
                    self.problem = str(exc)
            self._tasks[task] = dialogues
            return dialogues

    def turns(self, task: str, dialogue_id: str) -> dict[int, tuple[str, str, bool]]:
        """Position -> (user message, reference reply, answered by the model) of a dialogue.

        Empty when the task, the dialogue or the data is unknown.
        """
        dialogues = self._task(task)
        dialogue = dialogues.get(dialogue_id) if dialogues else None
        if dialogue is None:
            return {}
        return {
            i: (turn.user, turn.reference, turn.do_inference)
            for i, turn in enumerate(dialogue.turns)
        }
