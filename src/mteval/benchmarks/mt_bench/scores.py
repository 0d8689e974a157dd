"""Single-answer grading scores, as ``show_result.py --mode single`` computes them.

FastChat drops every judgment whose rating is -1 (no rating in the reply)
and then takes plain means: over all first-turn judgments, over all
second-turn judgments, and over all judgments of both turns together (the
"Average" is that pooled mean, not the mean of the two turn means). The
per-category means are the MT-Bench paper's radar chart: each category's
judgments of both turns, pooled the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mteval.benchmarks.mt_bench.data import CATEGORIES

__all__ = ["SCORE_KEYS", "Grade", "SingleScores", "single_scores"]

SCORE_KEYS: tuple[str, ...] = ("turn_1", "turn_2", "average", *CATEGORIES)
"""The keys of an MT-Bench run's ``scores``, in display order."""


@dataclass(frozen=True)
class Grade:
    """One single-grading judgment of one (question, turn).

    Attributes:
        question_id: The question.
        category: Its category.
        turn: 1 or 2.
        rating: The judge's rating; None when the reply held none (FastChat's -1).
    """

    question_id: int
    category: str
    turn: int
    rating: float | None


@dataclass(frozen=True)
class SingleScores:
    """An MT-Bench run's score table.

    Attributes:
        turn_1: Mean rating of first turns (None when none was rated).
        turn_2: Mean rating of second turns.
        average: Mean of every rating, both turns pooled.
        categories: Mean rating per category, both turns pooled, in :data:`CATEGORIES` order.
        n_scored: Ratings behind ``average``.
        n_errors: Judgments without a rating (excluded from every mean).
    """

    turn_1: float | None
    turn_2: float | None
    average: float | None
    categories: Mapping[str, float | None] = field(default_factory=dict)
    n_scored: int = 0
    n_errors: int = 0

    def as_dict(self) -> dict[str, float | None]:
        """The ``scores`` mapping of ``results.json``: :data:`SCORE_KEYS` to values."""
        return {
            "turn_1": self.turn_1,
            "turn_2": self.turn_2,
            "average": self.average,
            **{name: self.categories.get(name) for name in CATEGORIES},
        }


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def single_scores(grades: Iterable[Grade]) -> SingleScores:
    """Aggregate single-grading judgments by ``show_result.display_result_single``'s rules.

    Args:
        grades: The judgments, any order.
    """
    by_turn: dict[int, list[float]] = {1: [], 2: []}
    by_category: dict[str, list[float]] = {name: [] for name in CATEGORIES}
    pooled: list[float] = []
    errors = 0
    for grade in grades:
        if grade.rating is None:
            errors += 1
            continue
        by_turn.setdefault(grade.turn, []).append(grade.rating)
        by_category.setdefault(grade.category, []).append(grade.rating)
        pooled.append(grade.rating)
    return SingleScores(
        turn_1=_mean(by_turn[1]),
        turn_2=_mean(by_turn[2]),
        average=_mean(pooled),
        categories={name: _mean(values) for name, values in by_category.items()},
        n_scored=len(pooled),
        n_errors=errors,
    )
