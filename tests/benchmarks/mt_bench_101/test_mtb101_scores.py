"""Aggregation as OpenCompass's summarizer: min per dialogue, mean per task, mean of tasks."""

from __future__ import annotations

import pytest

from mteval.benchmarks.mt_bench_101 import TurnVerdict, aggregate


def _v(task: str, dialogue: int, index: int, rating: int | None, status: str = "scored"):
    return TurnVerdict(
        task=task,
        dialogue_id=dialogue,
        index=index,
        rating=rating,
        status=status,  # type: ignore[arg-type]
    )


def test_dialogue_scores_its_minimum_and_task_the_mean_of_dialogues() -> None:
    scores = aggregate(
        [
            _v("CM", 1, 1, 8),
            _v("CM", 1, 2, 6),
            _v("CM", 2, 1, 9),
            _v("CM", 2, 2, 10),
            _v("SI", 3, 0, 3),
        ]
    )
    assert scores.tasks["CM"].dialogue_scores == {1: 6, 2: 9}
    assert scores.tasks["CM"].score == 7.5
    assert scores.tasks["SI"].score == 3.0
    assert scores.average_unrounded == 5.25
    assert scores.average == 5.25


def test_unparsable_judge_reply_is_dropped_from_the_minimum_and_counted() -> None:
    scores = aggregate(
        [
            _v("MR", 1, 0, 9),
            _v("MR", 1, 1, None, "judge_error"),  # would have been the minimum
            _v("MR", 1, 2, 7),
            _v("MR", 2, 0, None, "judge_error"),  # a dialogue with no rating: left out
            _v("MR", 2, 1, None, "judge_error"),
        ]
    )
    task = scores.tasks["MR"]
    assert task.dialogue_scores == {1: 7}
    assert task.score == 7.0
    assert (task.n_turns, task.n_scored, task.n_judge_errors, task.n_dialogues) == (5, 2, 3, 2)


def test_failed_and_not_run_turns_are_counted_never_scored() -> None:
    scores = aggregate(
        [_v("PI", 1, 0, 5), _v("PI", 1, 1, None, "error"), _v("PI", 1, 2, None, "not_run")]
    )
    task = scores.tasks["PI"]
    assert (task.score, task.n_errors, task.n_not_run, task.n_scored) == (5.0, 1, 1, 1)


def test_a_task_without_any_rating_is_left_out_of_the_average() -> None:
    scores = aggregate([_v("IC", 1, 0, None, "judge_error"), _v("GR", 2, 0, 4)])
    assert scores.tasks["IC"].score is None
    assert scores.average == 4.0


def test_average_is_rounded_to_two_places_with_python_round() -> None:
    scores = aggregate([_v("CM", 1, 1, 7), _v("SI", 2, 0, 8), _v("AR", 3, 1, 8)])
    assert scores.average_unrounded == pytest.approx(23 / 3)
    assert scores.average == round(23 / 3, 2) == 7.67


def test_tasks_follow_the_paper_order_whatever_the_input_order() -> None:
    scores = aggregate([_v("PI", 1, 0, 5), _v("CM", 2, 1, 6), _v("GR", 3, 0, 7)])
    assert list(scores.tasks) == ["CM", "GR", "PI"]


def test_average_sums_tasks_in_order_of_first_rating_as_the_reference() -> None:
    # Float addition is not associative: the reference sums its task means in the order
    # the tasks first appear among rated turns (the data file's order: GR, IC, AR, ...).
    verdicts = [_v("GR", 1, 0, 1), _v("IC", 2, 0, 6)]
    verdicts += [_v("AR", 3, 1, 1), _v("AR", 4, 1, 1), _v("AR", 5, 1, 2)]
    file_order = ((1.0 + 6.0) + 4 / 3) / 3
    paper_order = ((4 / 3 + 1.0) + 6.0) / 3
    assert file_order != paper_order  # the case matters
    assert aggregate(verdicts).average_unrounded == file_order


def test_empty_input_has_no_average() -> None:
    scores = aggregate([])
    assert scores.average is None and scores.tasks == {}


def test_a_rating_only_on_scored_turns() -> None:
    with pytest.raises(ValueError):
        TurnVerdict(task="CM", dialogue_id=1, index=1, rating=None, status="scored")
    with pytest.raises(ValueError):
        TurnVerdict(task="CM", dialogue_id=1, index=1, rating=3, status="judge_error")
