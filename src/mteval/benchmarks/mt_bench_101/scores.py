"""MT-Bench-101's aggregation, as OpenCompass's ``MTBench101Summarizer`` computes it.

- A dialogue scores the minimum rating over its evaluated turns that have a
  rating; a turn whose judge reply has no rating is dropped (OpenCompass
  filters it out before grouping), and so is any turn mteval could not score
  (a failed request). A dialogue with no rated turn is left out of its task.
- A task scores the mean over its dialogues' scores.
- The average is the mean of the task scores present, summed in the order the
  tasks first appear among the rated turns (the data file's order), and
  reported rounded with Python's ``round(x, 2)``.

mteval keeps what OpenCompass only drops: every turn is counted as scored, a
judge error, an error or not run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from .taxonomy import TASKS

__all__ = ["AVERAGE_DIGITS", "Mtb101Scores", "TaskScore", "TurnVerdict", "aggregate"]

AVERAGE_DIGITS = 2
"""Decimal places of the reported average (the summarizer's ``round(..., 2)``)."""

TurnStatus = Literal["scored", "judge_error", "error", "not_run"]


@dataclass(frozen=True)
class TurnVerdict:
    """The outcome of one evaluated turn.

    Attributes:
        task: Task abbreviation.
        dialogue_id: The dialogue's id.
        index: 0-based turn index.
        rating: The parsed rating when ``status`` is ``scored``, else ``None``.
        status: ``scored``; ``judge_error`` (the judge's reply had no rating or
            the judge request failed); ``error`` (the model request failed);
            ``not_run`` (own history only: an earlier turn failed).
    """

    task: str
    dialogue_id: int
    index: int
    rating: int | None
    status: TurnStatus = "scored"

    def __post_init__(self) -> None:
        if (self.status == "scored") != (self.rating is not None):
            raise ValueError("a scored turn has a rating, and only a scored turn has one")


@dataclass(frozen=True)
class TaskScore:
    """One task's score and counts.

    Attributes:
        task: Task abbreviation.
        score: Mean of the dialogue scores (``None`` when no dialogue has a rating).
        dialogue_scores: Dialogue id -> its score (minimum rating), rated dialogues only.
        n_dialogues: Dialogues with at least one evaluated turn seen.
        n_turns: Evaluated turns seen.
        n_scored: Turns with a rating.
        n_judge_errors: Turns whose judge reply had no rating (or whose judge failed).
        n_errors: Turns whose model request failed.
        n_not_run: Turns not played because an earlier turn failed.
    """

    task: str
    score: float | None
    dialogue_scores: dict[int, int] = field(default_factory=dict)
    n_dialogues: int = 0
    n_turns: int = 0
    n_scored: int = 0
    n_judge_errors: int = 0
    n_errors: int = 0
    n_not_run: int = 0


@dataclass(frozen=True)
class Mtb101Scores:
    """The benchmark's scores.

    Attributes:
        tasks: Task abbreviation -> its score, in the paper's order (tasks with
            no evaluated turn are absent).
        average: The mean of the task scores, rounded as OpenCompass reports it.
        average_unrounded: The same mean before rounding.
    """

    tasks: dict[str, TaskScore]
    average: float | None
    average_unrounded: float | None


def aggregate(verdicts: Iterable[TurnVerdict]) -> Mtb101Scores:
    """Aggregate turn verdicts (in the data file's order) into task and average scores."""
    ratings: dict[tuple[str, int], list[int]] = {}
    counts: dict[str, dict[str, int]] = {}
    dialogues: dict[str, set[int]] = {}
    for verdict in verdicts:
        count = counts.setdefault(
            verdict.task, {"scored": 0, "judge_error": 0, "error": 0, "not_run": 0}
        )
        count[verdict.status] += 1
        dialogues.setdefault(verdict.task, set()).add(verdict.dialogue_id)
        if verdict.rating is not None:
            ratings.setdefault((verdict.task, verdict.dialogue_id), []).append(verdict.rating)
    # Insertion order of ``ratings`` is the order of first rated turn, as in the reference.
    minima: dict[str, dict[int, int]] = {}
    for (task, dialogue_id), values in ratings.items():
        minima.setdefault(task, {})[dialogue_id] = min(values)
    means = {task: sum(mins.values()) / len(mins) for task, mins in minima.items()}
    tasks: dict[str, TaskScore] = {}
    for task in TASKS:
        if task not in counts:
            continue
        count = counts[task]
        tasks[task] = TaskScore(
            task=task,
            score=means.get(task),
            dialogue_scores=dict(minima.get(task, {})),
            n_dialogues=len(dialogues[task]),
            n_turns=sum(count.values()),
            n_scored=count["scored"],
            n_judge_errors=count["judge_error"],
            n_errors=count["error"],
            n_not_run=count["not_run"],
        )
    if not means:
        return Mtb101Scores(tasks=tasks, average=None, average_unrounded=None)
    unrounded = sum(means.values()) / len(means)
    return Mtb101Scores(
        tasks=tasks, average=round(unrounded, AVERAGE_DIGITS), average_unrounded=unrounded
    )
