"""A run's results, computed from the store: the benchmark's headline scores and per-task scores.

Everything needed is read from the run's row: its benchmark, each task's
metadata and the score table, as stored when the run was created. Runs
stored before that (mteval 0.1.0: MT-Eval only) get them from the default
benchmark's definitions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from mteval.benchmarks import get_benchmark
from mteval.benchmarks.base import ScoreTable, TaskSpec
from mteval.config import DEFAULT_BENCHMARK
from mteval.errors import TaskNotFoundError
from mteval.records import JudgmentRecord, TurnRecord
from mteval.scoring.metrics import TaskScore, summarize_task
from mteval.scoring.table import compute_scores
from mteval.store.sqlite import RunInfo, RunStore

__all__ = [
    "RESULTS_VERSION",
    "Results",
    "RunMeta",
    "TaskResult",
    "headline_scores",
    "is_main_task",
    "load_results",
    "results_from_records",
    "run_meta",
    "run_meta_fields",
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
        benchmark: The benchmark's registry name.
        model: The evaluated model (``provider/model``).
        judge: The judge model, if any.
        status: ``finished``, ``interrupted``, ``failed`` or ``running``.
        scores: The benchmark's headline scores (MT-Eval: the paper's
            main-table row, the four categories and their average), None where
            the run has no scored turn for one.
        tasks: Per-task results.
        usage: Requests, cache hits, retries, tokens and time.
        data_commit: The sources commit the data came from.
    """

    model_config = ConfigDict(frozen=True)

    version: int = RESULTS_VERSION
    run_id: str
    benchmark: str = DEFAULT_BENCHMARK
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


def is_main_task(spec: TaskSpec | dict[str, Any]) -> bool:
    """Whether an MT-Eval task feeds the main table: multi-turn, own history."""
    if isinstance(spec, dict):
        return spec.get("setting") == "multi" and spec.get("history") == "own"
    return spec.setting == "multi" and spec.history == "own"


@dataclass(frozen=True)
class RunMeta:
    """What a stored run says about itself, enough to score and show it without its code.

    Attributes:
        benchmark: The benchmark's registry name.
        tasks: Per task, its metadata (``TaskSpec.info()``: category,
            setting, history, provenance, scorer, ...), in run order.
        score_table: Its headline score table.
    """

    benchmark: str
    tasks: dict[str, dict[str, Any]]
    score_table: ScoreTable


def run_meta_fields(benchmark: str, specs: Sequence[TaskSpec], table: ScoreTable) -> dict[str, Any]:
    """The fields a new run stores in its config so it stays readable (see :func:`run_meta`)."""
    return {
        "benchmark": benchmark,
        "task_info": {spec.name: spec.info() for spec in specs},
        "score_table": table.model_dump(mode="json"),
    }


def run_meta(run: RunInfo) -> RunMeta:
    """Return a stored run's benchmark, task metadata and score table.

    Raises:
        TaskNotFoundError: A run stored without its metadata (mteval 0.1.0)
            names a task this mteval does not know.
    """
    config = run.config
    if "task_info" in config and "score_table" in config:
        return RunMeta(
            benchmark=str(config.get("benchmark", DEFAULT_BENCHMARK)),
            tasks={name: dict(config["task_info"].get(name, {})) for name in run.tasks},
            score_table=ScoreTable.model_validate(config["score_table"]),
        )
    # Stored before runs carried their metadata: only MT-Eval existed then.
    benchmark = get_benchmark(str(config.get("benchmark", DEFAULT_BENCHMARK)))
    specs = []
    for name in run.tasks:
        spec = benchmark.tasks.get(name)
        if spec is None:
            raise TaskNotFoundError(f"run {run.run_id} has task {name!r}, unknown to this mteval")
        specs.append(spec)
    return RunMeta(
        benchmark=benchmark.name,
        tasks={spec.name: spec.info() for spec in specs},
        score_table=benchmark.score_table(specs),
    )


def _task_result(
    info: dict[str, Any], n_turns: int, turns: list[TurnRecord], judgments: list[JudgmentRecord]
) -> TaskResult:
    summary: TaskScore = summarize_task(n_turns=n_turns, turns=turns, judgments=judgments)
    return TaskResult(
        category=str(info.get("category", "")),
        setting=str(info.get("setting", "")),
        history=str(info.get("history", "own")),
        provenance=str(info.get("provenance", "benchmark")),
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


def headline_scores(
    scored: Mapping[str, Sequence[float]], table: ScoreTable
) -> dict[str, float | None] | None:
    """The headline scores (``results.json`` → ``scores``) from each task's scores alone.

    Args:
        scored: Task name -> the scores of its scored turns, in stored order.
        table: The run's score table.

    Returns:
        The scores, or None when a column needs more than the scores (a turn
        index, or per-dialogue minima): use :func:`results_from_records` then.
    """
    if any(c.turn_index is not None or c.reduce != "mean" for c in table.columns if not c.of):
        return None
    scores: dict[str, float | None] = {}
    for column in table.columns:
        if column.of:
            present = [v for key in column.of if (v := scores.get(key)) is not None]
        else:
            present = [v for task in column.tasks for v in scored.get(task, ())]
        scores[column.key] = sum(present) / len(present) if present else None
    return scores


def results_from_records(
    run: RunInfo, *, turns: Iterable[TurnRecord], judgments: Iterable[JudgmentRecord]
) -> Results:
    """Compute a run's results from its records (what :func:`load_results` reads).

    Raises:
        TaskNotFoundError: A run stored without its metadata names a task this
            mteval does not know.
    """
    meta = run_meta(run)
    n_turns: dict[str, int] = dict(run.config.get("n_turns", {}))
    turns_by_task: dict[str, list[TurnRecord]] = defaultdict(list)
    for record in turns:
        turns_by_task[record.task].append(record)
    judgments_by_task: dict[str, list[JudgmentRecord]] = defaultdict(list)
    for judgment in judgments:
        judgments_by_task[judgment.task].append(judgment)

    tasks: dict[str, TaskResult] = {}
    for name in run.tasks:
        tasks[name] = _task_result(
            meta.tasks.get(name, {}),
            n_turns.get(name, 0),
            turns_by_task.get(name, []),
            judgments_by_task.get(name, []),
        )
    scores = compute_scores(meta.score_table, judgments_by_task)
    # A task scored another way than the mean of its turns (MT-Bench-101: each
    # dialogue's minimum) reports its own column's value as its score.
    for column in meta.score_table.columns:
        if column.reduce != "mean" and len(column.tasks) == 1 and column.turn_index is None:
            name = column.tasks[0]
            if name in tasks:
                tasks[name] = tasks[name].model_copy(update={"score": scores.get(column.key)})
    usage = dict(run.summary.get("usage", {})) if run.summary else {}
    if not usage:
        usage = _usage_from_records(turns_by_task)
    return Results(
        run_id=run.run_id,
        benchmark=meta.benchmark,
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
