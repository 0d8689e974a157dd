"""Programmatic scorers and score aggregation (pure functions)."""

from mteval.scoring.metrics import TaskScore, category_scores, mean, summarize_task
from mteval.scoring.programmatic import (
    classification_score,
    instruction_score,
    normalize_for_match,
)

__all__ = [
    "TaskScore",
    "category_scores",
    "classification_score",
    "instruction_score",
    "mean",
    "normalize_for_match",
    "summarize_task",
]
