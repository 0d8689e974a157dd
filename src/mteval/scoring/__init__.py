"""Scoring: the scorer registry, programmatic checks and score aggregation (pure functions)."""

from mteval.scoring.metrics import TaskScore, mean, summarize_task
from mteval.scoring.programmatic import (
    classification_score,
    instruction_score,
    normalize_for_match,
)
from mteval.scoring.registry import (
    SCORERS,
    ScorerContext,
    ScorerEntry,
    ScorerSet,
    get_scorer,
    register_scorer,
)
from mteval.scoring.table import column_values, compute_scores, group_by_task

__all__ = [
    "SCORERS",
    "ScorerContext",
    "ScorerEntry",
    "ScorerSet",
    "TaskScore",
    "classification_score",
    "column_values",
    "compute_scores",
    "get_scorer",
    "group_by_task",
    "instruction_score",
    "mean",
    "normalize_for_match",
    "register_scorer",
    "summarize_task",
]
