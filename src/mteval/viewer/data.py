"""What the viewer's pages show, computed by the analysis layer and cached per run state.

The score table comes from the same functions as ``mteval show`` (counts and
per-turn means: :func:`~mteval.analysis.load_results`) and the report (the
headline row and per-task scores with bootstrap intervals, same resamples
and seed). Results are cached under the run's version (its status and the
count and latest time of its records), so a finished run is computed once
and a run in progress is recomputed only when it has new records.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mteval.analysis.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, Bootstrap, Estimate
from mteval.analysis.results import Results, load_results
from mteval.analysis.scores import load_run_scores
from mteval.analysis.tables import MultiTurnRow, multi_turn_table, task_scores
from mteval.data.loaders import SourceFiles
from mteval.errors import MtevalError
from mteval.store.sqlite import RunStore
from mteval.store.views import run_version
from mteval.tasks import TASKS

__all__ = ["References", "RunTables", "TableCache"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class RunTables:
    """A run's score table.

    Attributes:
        results: Counts, scores and per-turn means (``mteval show``'s numbers).
        headline: The benchmark's headline row with intervals (the report's).
        tasks: Each task's score with its interval (the report's).
        problem: Why there is no table (a run of a benchmark this mteval lacks).
    """

    results: Results | None
    headline: MultiTurnRow | None
    tasks: dict[str, Estimate]
    problem: str | None = None


class TableCache:
    """Per-run results and score tables, recomputed only when the run changed.

    Args:
        n_resamples: Bootstrap replicates (the report's default).
        seed: Bootstrap seed (the report's default).
        size: Runs kept.
    """

    def __init__(
        self, *, n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED, size: int = 64
    ) -> None:
        self.bootstrap = Bootstrap(n_resamples=n_resamples, seed=seed)
        self._size = size
        self._items: OrderedDict[tuple[str, str], tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _get(self, kind: str, store: RunStore, run_id: str, make: Callable[[], _T]) -> _T:
        version = run_version(store, run_id)
        key = (kind, run_id)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == version:
                self._items.move_to_end(key)
                return hit[1]
        value = make()
        with self._lock:
            self._items[key] = (version, value)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def results(self, store: RunStore, run_id: str) -> Results | None:
        """The run's results, or None when this mteval cannot score its tasks."""

        def make() -> Results | None:
            try:
                return load_results(store, run_id)
            except MtevalError:
                return None

        return self._get("results", store, run_id, make)

    def tables(self, store: RunStore, run_id: str) -> RunTables:
        """The run's score table with intervals."""

        def make() -> RunTables:
            try:
                results = load_results(store, run_id)
                scores = load_run_scores(store, run_id)
            except MtevalError as exc:
                return RunTables(results=None, headline=None, tasks={}, problem=str(exc))
            rows = multi_turn_table([scores], bootstrap=self.bootstrap)
            return RunTables(
                results=results,
                headline=rows[0] if rows else None,
                tasks=task_scores(scores, bootstrap=self.bootstrap),
            )

        return self._get("tables", store, run_id, make)


class References:
    """The benchmark's user messages and reference replies, by task and dialogue.

    Optional: without the benchmark's data the viewer shows what the store
    holds (the user message sent, the reply and the judgment).

    Args:
        sources: The benchmark's source files (None: look them up as
            ``mteval run`` does, without downloading).
    """

    def __init__(self, sources: SourceFiles | None = None) -> None:
        self._sources = sources if sources is not None else SourceFiles(download=False)
        self._tasks: dict[str, dict[str, Any] | None] = {}
        self._lock = threading.Lock()
        self.problem: str | None = None

    def _task(self, task: str) -> dict[str, Any] | None:
        with self._lock:
            if task in self._tasks:
                return self._tasks[task]
            spec = TASKS.get(task)
            dialogues: dict[str, Any] | None = None
            if spec is not None:
                try:
                    dialogues = {d.id: d for d in spec.load(self._sources).dialogues}
                except MtevalError as exc:
                    self.problem = str(exc)
            self._tasks[task] = dialogues
            return dialogues

    def turns(self, task: str, dialogue_id: str) -> dict[int, tuple[str, str]]:
        """Position -> (user message, reference reply) of a dialogue; empty when unknown."""
        dialogues = self._task(task)
        dialogue = dialogues.get(dialogue_id) if dialogues else None
        if dialogue is None:
            return {}
        return {i: (turn.user, turn.reference) for i, turn in enumerate(dialogue.turns)}
