from __future__ import annotations

import pytest
from _analysis_helpers import judgment, run_of

from mteval.analysis import (
    MAIN_DISTANCE_SERIES,
    Bootstrap,
    distance_curves,
    per_turn_curves,
    turn_distances,
)

FRONT = "refinement_ablation_irrelevant-front"
BETWEEN = "refinement_ablation_irrelevant-between"


def points(curve):
    return {p.x: (p.estimate.value, p.estimate.n_turns) for p in curve.points}


def test_per_turn_curve_means_by_answered_turn_index():
    run = run_of(
        [
            ("expansion_multi", "d1", 0, 2.0),
            ("expansion_multi", "d1", 1, 4.0),
            ("expansion_multi", "d2", 0, 6.0),
        ]
    )
    curves = per_turn_curves(run, bootstrap=Bootstrap(n_resamples=50))
    assert points(curves["expansion_multi"]) == {1: (4.0, 2), 2: (4.0, 1)}


def test_per_turn_curves_cover_multi_turn_tasks_only():
    run = run_of([("expansion_single", "a", 0, 1.0), ("follow-up_multi", "d", 2, 3.0)])
    assert set(per_turn_curves(run)) == {"follow-up_multi"}


def test_recollection_distance_is_counted_from_the_instruction_turn():
    run = run_of(
        [
            ("recollection_multi_cls", "d", 1, 10.0),
            ("recollection_multi_cls", "d", 3, 0.0),
            ("recollection_multi_global-inst", "g", 3, 10.0),
        ]
    )
    assert points(distance_curves(run)["Recollection"]) == {1: (10.0, 1), 3: (5.0, 2)}


def test_refinement_distance_is_counted_from_the_document_turn():
    run = run_of([("refinement_multi", "d", p, float(p)) for p in range(3)])
    assert turn_distances(run, "refinement_multi") == [("d", 0, 0.0), ("d", 1, 1.0), ("d", 2, 2.0)]


def test_irrelevant_front_distance_starts_at_the_document_after_the_chit_chat():
    records = [judgment(FRONT, "f", 3 + i, float(i), turn_index=1 + i) for i in range(3)]
    assert [d for _, d, _ in turn_distances(run_of(records), FRONT)] == [0, 1, 2]


def test_irrelevant_between_distance_grows_with_the_chit_chat():
    records = [judgment(BETWEEN, "b", 0, 1.0, turn_index=1)]
    records += [judgment(BETWEEN, "b", 4 + i, 1.0, turn_index=2 + i) for i in range(2)]
    assert [d for _, d, _ in turn_distances(run_of(records), BETWEEN)] == [0, 4, 5]


def test_follow_up_has_no_distance_curve():
    run = run_of([("follow-up_multi", "d", 2, 3.0)])
    assert distance_curves(run) == {}


def test_main_series_pools_recollection_expansion_and_refinement_by_distance():
    run = run_of(
        [
            ("recollection_multi_cls", "d", 1, 10.0),
            ("expansion_multi", "e", 1, 4.0),
            ("refinement_multi", "r", 0, 6.0),
        ]
    )
    curves = distance_curves(run)
    assert points(curves[MAIN_DISTANCE_SERIES]) == {0: (6.0, 1), 1: (7.0, 2)}


def test_curve_points_carry_intervals():
    run = run_of([("expansion_multi", f"d{i}", 0, float(i)) for i in range(10)])
    [point] = per_turn_curves(run)["expansion_multi"].points
    assert point.estimate.value == pytest.approx(4.5)
    assert point.estimate.low < 4.5 < point.estimate.high
