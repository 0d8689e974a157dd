"""Aggregate turn scores into task scores.

A task's score is the mean over its scored turns. Turns that failed, were
not run, or whose judgment failed are excluded from every mean and counted
apart. A benchmark's headline scores come from its score table
(:mod:`mteval.scoring.table`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from mteval.records import JudgmentRecord, TurnRecord

__all__ = ["TaskScore", "mean", "summarize_task"]


class TaskScore(BaseModel):
    """One task's score and counts.

    Attributes:
        score: Mean score over scored turns (None when none was scored).
        n_turns: Answered turns the task has (in this run's selection).
        n_scored: Turns with a score.
        n_turn_errors: Turns whose request failed for good.
        n_not_run: Turns skipped because an earlier turn of their dialogue failed.
        n_judge_errors: Turns answered but not scored (unusable judge replies).
        n_pending: Turns without an outcome yet (an interrupted run).
        n_truncated: Answered turns whose reply hit the token limit
            (``finish_reason == "length"``); they are scored as answered.
        per_turn: Mean score by answered-turn index (1-based).
        per_turn_n: Number of scored turns by answered-turn index.
    """

    model_config = ConfigDict(frozen=True)

    score: float | None
    n_turns: int
    n_scored: int
    n_turn_errors: int
    n_not_run: int
    n_judge_errors: int
    n_pending: int
    per_turn: dict[int, float]
    n_truncated: int = 0
    per_turn_n: dict[int, int]

    @property
    def n_errors(self) -> int:
        """Turn errors plus judge errors (not-run turns are counted apart)."""
        return self.n_turn_errors + self.n_judge_errors


def mean(values: Sequence[float]) -> float | None:
    """Arithmetic mean, or None for no values."""
    return sum(values) / len(values) if values else None


def summarize_task(
    *,
    n_turns: int,
    turns: Iterable[TurnRecord],
    judgments: Iterable[JudgmentRecord],
) -> TaskScore:
    """Summarise one task's records.

    Args:
        n_turns: How many answered turns the task has.
        turns: Its turn records (one per turn with an outcome).
        judgments: Its judgment records (one per judged turn).
    """
    turn_list = list(turns)
    judgment_list = list(judgments)
    scored = [j for j in judgment_list if j.status == "scored" and j.score is not None]
    judge_errors = sum(1 for j in judgment_list if j.status == "error")
    by_index: dict[int, list[float]] = defaultdict(list)
    for judgment in scored:
        assert judgment.score is not None
        by_index[judgment.turn_index].append(judgment.score)
    values = [j.score for j in scored if j.score is not None]
    n_errors = sum(1 for t in turn_list if t.status == "error")
    n_not_run = sum(1 for t in turn_list if t.status == "not_run")
    finished = len(values) + judge_errors + n_errors + n_not_run
    return TaskScore(
        score=mean(values),
        n_turns=n_turns,
        n_scored=len(values),
        n_turn_errors=n_errors,
        n_not_run=n_not_run,
        n_judge_errors=judge_errors,
        n_pending=max(0, n_turns - finished),
        per_turn={index: sum(v) / len(v) for index, v in sorted(by_index.items())},
        per_turn_n={index: len(v) for index, v in sorted(by_index.items())},
        n_truncated=sum(
            1 for t in turn_list if t.status == "answered" and t.finish_reason == "length"
        ),
    )
