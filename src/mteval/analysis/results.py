"""A run's results, computed from the store: the leaderboard row and per-task scores."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from mteval.errors import TaskNotFoundError
from mteval.runner.records import JudgmentRecord, TurnRecord
from mteval.scoring.metrics import TaskScore, category_scores, summarize_task
from mteval.store.sqlite import RunInfo, RunStore
from mteval.tasks import TASKS, TaskSpec
from mteval.types import CATEGORIES, Category

__all__ = [
    "RESULTS_VERSION",
    "Results",
    "TaskResult",
    "headline_scores",
    "is_main_task",
    "load_results",
    "results_from_records",
]

RESULTS_VERSION = 1


class TaskResult(BaseModel):
    """One task's results (``results.json`` → ``tasks.<name>``)."""

    model_config = ConfigDict(frozen=True)

    category: str
    setting: str
    history: str
    provenance: str
    score: float | None
    n_turns: int
    n_scored: int
    n_errors: int
    n_turn_errors: int
    n_not_run: int
    n_judge_errors: int
    n_pending: int
    per_turn: dict[int, float]
    per_turn_n: dict[int, int]
    n_truncated: int = 0
    """Answered turns cut off at the token limit (``finish_reason == "length"``)."""


class Results(BaseModel):
    """A run's results: what ``results.json`` holds and ``mteval.evaluate`` returns.

    Attributes:
        run_id: The run's id in the store.
        model: The evaluated model (``provider/model``).
        judge: The judge model, if any.
        status: ``finished``, ``interrupted``, ``failed`` or ``running``.
        scores: The paper's main-table row: the four categories and their
            average (None where the run has no scored turn of that category).
        tasks: Per-task results.
        usage: Requests, cache hits, retries, tokens and time.
        data_commit: The MT-Eval sources commit the data came from.
    """

    model_config = ConfigDict(frozen=True)

    version: int = RESULTS_VERSION
    run_id: str
    model: str
    judge: str | None
    status: str
    scores: dict[str, float | None]
    tasks: dict[str, TaskResult]
    usage: dict[str, Any]
    created_at: float
    data_commit: str | None
    mteval_version: str | None

    @property
    def complete(self) -> bool:
        """True when every turn of every task has a score."""
        return all(t.n_scored == t.n_turns for t in self.tasks.values())


def is_main_task(spec: TaskSpec) -> bool:
    """Whether a task feeds the main table: multi-turn, own history (as the benchmark filters)."""
    return spec.setting == "multi" and spec.history == "own"


def _task_result(
    spec: TaskSpec, n_turns: int, turns: list[TurnRecord], judgments: list[JudgmentRecord]
) -> tuple[TaskResult, TaskScore]:
    summary = summarize_task(n_turns=n_turns, turns=turns, judgments=judgments)
    result = TaskResult(
        category=spec.category,
        setting=spec.setting,
        history=spec.history,
        provenance=spec.provenance,
        score=summary.score,
        n_turns=summary.n_turns,
        n_scored=summary.n_scored,
        n_errors=summary.n_errors,
        n_turn_errors=summary.n_turn_errors,
        n_not_run=summary.n_not_run,
        n_judge_errors=summary.n_judge_errors,
        n_pending=summary.n_pending,
        per_turn=summary.per_turn,
        per_turn_n=summary.per_turn_n,
        n_truncated=summary.n_truncated,
    )
    return result, summary


def headline_scores(scored: Mapping[str, Sequence[float]]) -> dict[str, float | None]:
    """The leaderboard row (``results.json`` → ``scores``) from each task's scores.

    Args:
        scored: Task name -> the scores of its scored turns. Tasks unknown to
            this mteval are left out.

    Returns:
        Each category's pooled mean over its main tasks, and their ``average``.
    """
    pooled: dict[Category, list[float]] = {c: [] for c in CATEGORIES}
    for name, values in scored.items():
        spec = TASKS.get(name)
        if spec is not None and is_main_task(spec):
            pooled[spec.category].extend(values)
    means, average = category_scores(pooled)
    scores: dict[str, float | None] = {c: means[c] for c in CATEGORIES}
    scores["average"] = average
    return scores


def load_results(store: RunStore, run_id: str) -> Results:
    """Compute a run's results from its stored records.

    Raises:
        StoreError: No such run.
    """
    return results_from_records(
        store.get_run(run_id),
        turns=store.turns(run_id, text=False),
        judgments=store.judgments(run_id, text=False),
    )


def results_from_records(
    run: RunInfo, *, turns: Iterable[TurnRecord], judgments: Iterable[JudgmentRecord]
) -> Results:
    """Compute a run's results from its records (what :func:`load_results` reads).

    Raises:
        TaskNotFoundError: The run has a task this mteval does not know.
    """
    n_turns: dict[str, int] = dict(run.config.get("n_turns", {}))
    turns_by_task: dict[str, list[TurnRecord]] = defaultdict(list)
    for record in turns:
        turns_by_task[record.task].append(record)
    judgments_by_task: dict[str, list[JudgmentRecord]] = defaultdict(list)
    for judgment in judgments:
        judgments_by_task[judgment.task].append(judgment)

    tasks: dict[str, TaskResult] = {}
    for name in run.tasks:
        spec = TASKS.get(name)
        if spec is None:
            raise TaskNotFoundError(f"run {run.run_id} has task {name!r}, unknown to this mteval")
        task_judgments = judgments_by_task.get(name, [])
        result, _ = _task_result(
            spec, n_turns.get(name, 0), turns_by_task.get(name, []), task_judgments
        )
        tasks[name] = result
    scores = headline_scores(
        {
            name: [
                j.score
                for j in judgments_by_task.get(name, [])
                if j.status == "scored" and j.score is not None
            ]
            for name in run.tasks
        }
    )
    usage = dict(run.summary.get("usage", {})) if run.summary else {}
    if not usage:
        usage = _usage_from_records(turns_by_task)
    return Results(
        run_id=run.run_id,
        model=run.model,
        judge=run.judge,
        status=run.status,
        scores=scores,
        tasks=tasks,
        usage=usage,
        created_at=run.created_at,
        data_commit=run.data_commit,
        mteval_version=run.mteval_version,
    )


def _usage_from_records(turns_by_task: dict[str, list[TurnRecord]]) -> dict[str, Any]:
    prompt = completion = 0
    for records in turns_by_task.values():
        for record in records:
            prompt += record.prompt_tokens
            completion += record.completion_tokens
    return {"model": {"prompt_tokens": prompt, "completion_tokens": completion}}
