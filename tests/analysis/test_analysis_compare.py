from __future__ import annotations

import numpy as np
import pytest
from _analysis_helpers import run_of

from mteval.analysis import compare_runs, sign_flip_p_value


def test_difference_uses_only_turns_scored_in_both_runs():
    a = run_of([("expansion_multi", "d1", 0, 2.0), ("expansion_multi", "d1", 1, 9.0)], run_id="A")
    b = run_of([("expansion_multi", "d1", 0, 5.0)], run_id="B")
    row = compare_runs(a, b).row("task", "expansion_multi")
    assert (row.a, row.b, row.diff, row.n_turns) == (2.0, 5.0, 3.0, 1)


def test_category_pools_tasks_and_average_is_the_mean_of_category_differences():
    a = run_of(
        [
            ("recollection_multi_cls", "d", 1, 0.0),
            ("recollection_multi_global-inst", "g", 1, 10.0),
            ("recollection_multi_global-inst", "g", 2, 10.0),
            ("expansion_multi", "e", 0, 5.0),
        ],
        run_id="A",
    )
    b = run_of(
        [
            ("recollection_multi_cls", "d", 1, 10.0),  # +10
            ("recollection_multi_global-inst", "g", 1, 10.0),  # 0
            ("recollection_multi_global-inst", "g", 2, 7.0),  # -3
            ("expansion_multi", "e", 0, 6.0),  # +1
        ],
        run_id="B",
    )
    comparison = compare_runs(a, b)
    assert comparison.row("category", "recollection").diff == pytest.approx(7 / 3)
    assert comparison.row("category", "expansion").diff == pytest.approx(1.0)
    assert comparison.row("average", "average").diff == pytest.approx((7 / 3 + 1) / 2)
    assert [r.scope for r in comparison.rows][:3] == ["average", "category", "category"]


def test_exact_sign_flip_p_value_by_hand():
    # Three dialogues, one turn each, differences +1, +2, +3: mean 2. Of the 8 sign
    # patterns only all-plus and all-minus reach |mean| >= 2, so p = 2/8.
    p, exact = sign_flip_p_value([(np.array([1.0, 2.0, 3.0]), np.ones(3))])
    assert exact and p == pytest.approx(0.25)


def test_sign_flip_p_value_of_no_difference_is_one():
    p, _ = sign_flip_p_value([(np.zeros(4), np.ones(4))])
    assert p == 1.0


def test_random_sign_flip_p_value_for_many_dialogues_is_small_for_a_clear_shift():
    rng = np.random.default_rng(0)
    d = rng.normal(1.0, 1.0, 60)
    p, exact = sign_flip_p_value([(d, np.ones(60))], n_permutations=2000)
    assert not exact and 1 / 2001 <= p < 0.01


def test_paired_interval_and_p_for_a_consistent_improvement():
    a = run_of(
        [("refinement_multi", f"d{i}", p, float(i % 7)) for i in range(30) for p in range(2)]
    )
    b = run_of(
        [("refinement_multi", f"d{i}", p, float(i % 7) + 1) for i in range(30) for p in range(2)],
        run_id="B",
    )
    row = compare_runs(a, b, n_permutations=1000).row("task", "refinement_multi")
    assert (row.low, row.diff, row.high) == pytest.approx((1.0, 1.0, 1.0))
    assert row.p_value == pytest.approx(1 / 1001)
    assert row.n_dialogues == 30


def test_comparison_is_deterministic_for_a_seed():
    a = run_of([("expansion_multi", f"d{i}", 0, float(i % 3)) for i in range(25)])
    b = run_of([("expansion_multi", f"d{i}", 0, float(i % 4)) for i in range(25)], run_id="B")
    first = compare_runs(a, b, seed=5)
    second = compare_runs(a, b, seed=5)
    assert first.rows == second.rows


def test_runs_without_common_turns_have_no_rows():
    a = run_of([("expansion_multi", "d", 0, 1.0)])
    b = run_of([("refinement_multi", "d", 0, 1.0)], run_id="B")
    assert compare_runs(a, b).rows == ()
