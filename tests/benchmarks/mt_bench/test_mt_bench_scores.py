"""Single-grading aggregation by show_result.py's rules, computed by hand."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mteval.benchmarks.mt_bench import CATEGORIES, SCORE_KEYS, Grade, single_scores


def test_hand_computed_table() -> None:
    grades = [
        Grade(question_id=81, category="writing", turn=1, rating=8.0),
        Grade(question_id=81, category="writing", turn=2, rating=6.0),
        Grade(question_id=101, category="math", turn=1, rating=3.0),
        Grade(question_id=101, category="math", turn=2, rating=None),  # FastChat's -1
        Grade(question_id=102, category="math", turn=1, rating=10.0),
        Grade(question_id=102, category="math", turn=2, rating=2.5),
    ]
    scores = single_scores(grades)
    assert scores.turn_1 == (8 + 3 + 10) / 3
    assert scores.turn_2 == (6 + 2.5) / 2
    # The average pools every rating; it is not the mean of the two turn means.
    assert scores.average == (8 + 6 + 3 + 10 + 2.5) / 5
    assert scores.average != (scores.turn_1 + scores.turn_2) / 2
    assert scores.categories["writing"] == 7.0
    assert scores.categories["math"] == (3 + 10 + 2.5) / 3
    assert scores.categories["coding"] is None
    assert (scores.n_scored, scores.n_errors) == (5, 1)
    table = scores.as_dict()
    assert list(table) == list(SCORE_KEYS)
    assert list(SCORE_KEYS) == ["turn_1", "turn_2", "average", *CATEGORIES]


def test_nothing_rated_gives_no_values() -> None:
    scores = single_scores([Grade(question_id=81, category="writing", turn=1, rating=None)])
    assert (scores.turn_1, scores.turn_2, scores.average) == (None, None, None)
    assert scores.n_errors == 1


GRADES = st.lists(
    st.builds(
        Grade,
        question_id=st.integers(81, 160),
        category=st.sampled_from(CATEGORIES),
        turn=st.sampled_from([1, 2]),
        rating=st.one_of(st.none(), st.integers(1, 10).map(float)),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(GRADES)
def test_means_are_show_results_filtered_group_means(grades: list[Grade]) -> None:
    rated = [g for g in grades if g.rating is not None]  # df[df["score"] != -1]
    scores = single_scores(grades)

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    assert scores.turn_1 == mean([g.rating for g in rated if g.turn == 1])
    assert scores.turn_2 == mean([g.rating for g in rated if g.turn == 2])
    assert scores.average == mean([g.rating for g in rated])
    for category in CATEGORIES:
        assert scores.categories[category] == mean(
            [g.rating for g in rated if g.category == category]
        )
    assert scores.n_errors == len(grades) - len(rated)
