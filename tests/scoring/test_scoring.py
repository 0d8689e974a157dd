"""Programmatic scores and aggregation, as the benchmark computes them."""

from __future__ import annotations

import pytest

from mteval.benchmarks.mt_eval.scores import category_scores
from mteval.runner import JudgmentRecord, TurnRecord
from mteval.scoring import (
    classification_score,
    instruction_score,
    normalize_for_match,
    summarize_task,
)


@pytest.mark.parametrize(
    ("reply", "label", "score"),
    [
        ("science", "science", 10.0),
        ("Science.", "science", 10.0),
        ("The category is: SCIENCE!", "science", 10.0),
        ("'food'", "food", 10.0),
        ("technology", "science", 0.0),
        ("", "science", 0.0),
        ("earth", "art", 10.0),  # a substring match, as in the benchmark
        ("e-t-h-i-c-s", "ethics", 0.0),
    ],
)
def test_classification_score(reply: str, label: str, score: float) -> None:
    assert classification_score(reply, label) == score


def test_normalisation_replaces_punctuation_with_spaces_and_lowercases() -> None:
    assert normalize_for_match("A.B,c!") == "a b c "


def test_instruction_score_uses_the_mt_eval_checker() -> None:
    assert instruction_score("startend:start_char", {"letter": "o"}, "Oh yes.") == 10.0
    assert instruction_score("startend:start_char", {"letter": "o"}, "Yes.") == 0.0
    assert instruction_score("change_case:lowercase", {}, "all lower") == 10.0


def _judgment(index: int, score: float | None, status: str = "scored") -> JudgmentRecord:
    return JudgmentRecord(
        task="t",
        dialogue_id=f"d{index}",
        position=index,
        turn_index=index % 3 + 1,
        method="judge",
        status=status,  # type: ignore[arg-type]
        score=score,
    )


def _turn(index: int, status: str) -> TurnRecord:
    return TurnRecord(
        task="t",
        dialogue_id=f"e{index}",
        position=index,
        turn_id=str(index),
        turn_index=1,
        status=status,  # type: ignore[arg-type]
    )


def test_task_summary_excludes_and_counts_failures() -> None:
    judgments = [
        _judgment(0, 10.0),
        _judgment(1, 4.0),
        _judgment(2, 7.0),
        _judgment(3, None, "error"),
    ]
    turns = [_turn(0, "error"), _turn(1, "not_run")]
    summary = summarize_task(n_turns=7, turns=turns, judgments=judgments)
    assert summary.score == pytest.approx(7.0)
    assert (summary.n_scored, summary.n_judge_errors) == (3, 1)
    assert (summary.n_turn_errors, summary.n_not_run) == (1, 1)
    assert summary.n_errors == 2
    assert summary.n_pending == 1
    # turn_index = i % 3 + 1: indices 1 (10.0, and 7 would be i=3 error), 2 (4.0), 3 (7.0)
    assert summary.per_turn == {1: 10.0, 2: 4.0, 3: 7.0}


def test_categories_pool_turns_and_average_the_categories() -> None:
    means, average = category_scores(
        {
            "recollection": [10.0] * 1 + [0.0] * 3,  # pooled: 2.5 (not the mean of task means)
            "expansion": [8.0, 6.0],
            "refinement": [5.0],
            "follow-up": [9.0, 9.0, 9.0],
        }
    )
    assert means == {"recollection": 2.5, "expansion": 7.0, "refinement": 5.0, "follow-up": 9.0}
    assert average == pytest.approx((2.5 + 7.0 + 5.0 + 9.0) / 4)


def test_average_covers_the_categories_present() -> None:
    means, average = category_scores({"refinement": [6.0, 8.0]})
    assert means["recollection"] is None and means["refinement"] == 7.0
    assert average == 7.0
    assert category_scores({})[1] is None
