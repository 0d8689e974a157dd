"""Score-table columns: dialogue minima, averages of columns, and reported rounding."""

from __future__ import annotations

from mteval.benchmarks.base import ScoreColumn, ScoreTable
from mteval.records import JudgmentRecord
from mteval.scoring import compute_scores


def _j(task: str, dialogue: str, position: int, score: float | None) -> JudgmentRecord:
    return JudgmentRecord(
        task=task,
        dialogue_id=dialogue,
        position=position,
        turn_index=position + 1,
        method="m",
        status="scored" if score is not None else "error",
        score=score,
    )


def test_a_column_with_digits_is_reported_rounded_and_its_twin_is_not() -> None:
    judgments = {
        "a": [_j("a", "1", 0, 7.0), _j("a", "1", 1, 5.0), _j("a", "2", 0, 8.0)],
        "b": [_j("b", "3", 0, 8.0), _j("b", "3", 1, None), _j("b", "4", 0, 9.0)],
        "c": [_j("c", "5", 0, 8.0)],
    }
    table = ScoreTable(
        columns=(
            ScoreColumn(key="a", tasks=("a",), reduce="dialogue_min"),
            ScoreColumn(key="b", tasks=("b",), reduce="dialogue_min"),
            ScoreColumn(key="c", tasks=("c",), reduce="dialogue_min"),
            ScoreColumn(key="avg", of=("a", "b", "c"), digits=2),
            ScoreColumn(key="avg_unrounded", of=("a", "b", "c")),
        )
    )
    scores = compute_scores(table, judgments)
    assert scores["a"] == 6.5 and scores["b"] == 8.5 and scores["c"] == 8.0
    assert scores["avg_unrounded"] == (6.5 + 8.5 + 8.0) / 3
    assert scores["avg"] == round((6.5 + 8.5 + 8.0) / 3, 2) == 7.67


def test_digits_default_to_unrounded() -> None:
    table = ScoreTable(columns=(ScoreColumn(key="a", tasks=("a",)),))
    scores = compute_scores(
        table, {"a": [_j("a", "1", 0, 1.0), _j("a", "1", 1, 2.0), _j("a", "2", 0, 2.0)]}
    )
    assert scores["a"] == 5 / 3
