"""Failures grouped by reason, most common first, with one example each."""

from __future__ import annotations

from mteval.analysis.failures import group_failures
from mteval.records import JudgmentRecord, TurnRecord


def turn(dialogue: str, index: int, status: str, error: str | None) -> TurnRecord:
    return TurnRecord(
        task="t",
        dialogue_id=dialogue,
        position=index,
        turn_id=f"{dialogue}-{index}",
        turn_index=index,
        status=status,  # type: ignore[arg-type]
        error=error,
        response="r" if status == "answered" else None,
    )


def test_reasons_are_grouped_without_their_varying_parts_and_sorted_by_count() -> None:
    turns = [
        turn("a", 1, "answered", None),
        turn("a", 2, "error", "HTTP 500: Context size has been exceeded (after 6 attempts)"),
        turn("a", 3, "not_run", "not run: turn a-2 of this dialogue failed"),
        turn("b", 1, "error", "HTTP 500: Context size has been exceeded (after 3 attempts)"),
        turn("b", 2, "not_run", "not run: turn b-1 of this dialogue failed"),
        turn("b", 3, "not_run", "not run: turn b-1 of this dialogue failed"),
    ]
    judgments = [
        JudgmentRecord(
            task="t",
            dialogue_id="a",
            position=1,
            turn_index=1,
            method="judge",
            status="error",
            error="unusable judge reply: no JSON (asked 3 times)",
        ),
        JudgmentRecord(
            task="t",
            dialogue_id="c",
            position=1,
            turn_index=1,
            method="judge",
            status="scored",
            score=5.0,
        ),
    ]
    reasons = group_failures(turns, judgments)
    assert [(r.stage, r.count) for r in reasons] == [("not_run", 3), ("turn", 2), ("judge", 1)]
    assert reasons[1].reason == "HTTP 500: Context size has been exceeded"
    assert reasons[1].example == "t a #2" and "after 6 attempts" in reasons[1].example_error
    assert reasons[0].reason == "not run: turn of this dialogue failed"
    assert reasons[2].reason == "unusable judge reply: no JSON"


def test_a_clean_run_has_no_reasons() -> None:
    assert group_failures([turn("a", 1, "answered", None)], []) == []
