from __future__ import annotations

from collections.abc import Iterable

from mteval.analysis import RunScores, run_scores_from_records
from mteval.records import JudgmentRecord, TurnRecord


def judgment(
    task: str,
    dialogue: str,
    position: int,
    score: float | None,
    *,
    turn_index: int | None = None,
    status: str = "scored",
) -> JudgmentRecord:
    return JudgmentRecord(
        task=task,
        dialogue_id=dialogue,
        position=position,
        turn_index=turn_index if turn_index is not None else position + 1,
        method="judge",
        status=status,  # type: ignore[arg-type]
        score=score,
    )


def turn(task: str, dialogue: str, position: int, turn_index: int, status: str = "answered"):
    return TurnRecord(
        task=task,
        dialogue_id=dialogue,
        position=position,
        turn_id=f"{dialogue}-{position}",
        turn_index=turn_index,
        status=status,  # type: ignore[arg-type]
        response="ok" if status == "answered" else None,
    )


def run_of(
    rows: Iterable[tuple[str, str, int, float]] | Iterable[JudgmentRecord],
    *,
    run_id: str = "A",
    model: str = "m",
    turns: Iterable[TurnRecord] = (),
) -> RunScores:
    """A run from (task, dialogue, position, score) rows (turn index = position + 1)."""
    records = [r if isinstance(r, JudgmentRecord) else judgment(*r) for r in rows]
    return run_scores_from_records(run_id=run_id, model=model, judgments=records, turns=turns)
