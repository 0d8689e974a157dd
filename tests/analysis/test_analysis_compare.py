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


# -- the interval and the p-value come from one procedure (issue 9, finding 4) -----------------


def _runs(a_scores, b_scores, task="expansion_multi"):
    a = run_of([(task, f"d{i}", 0, float(s)) for i, s in enumerate(a_scores)], run_id="A")
    b = run_of([(task, f"d{i}", 0, float(s)) for i, s in enumerate(b_scores)], run_id="B")
    return a, b


def _excludes_zero(row) -> bool:
    return row.low is not None and row.high is not None and not row.low <= 0.0 <= row.high


def test_interval_contains_zero_when_the_p_value_is_large():
    # Seven dialogues, B lower on six: a percentile bootstrap gave [-2.00, -0.29] while the
    # exact sign-flip test gave p = 0.125.
    a, b = _runs([5, 10, 3, 6, 3, 1, 8], [2, 8, 2, 5, 1, 2, 8])
    row = compare_runs(a, b).row("task", "expansion_multi")
    assert row.exact and row.p_value == pytest.approx(0.125)
    assert row.low is not None and row.high is not None
    assert row.low <= 0.0 <= row.high


def test_interval_excludes_zero_exactly_when_p_is_below_five_percent():
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(60):
        n = int(rng.integers(4, 40))
        a_scores = rng.integers(1, 11, n)
        b_scores = np.clip(a_scores + rng.choice([-3, -2, -1, 0, 1, 2], n), 1, 10)
        a, b = _runs(a_scores, b_scores)
        for row in compare_runs(a, b, n_permutations=2000).rows:
            if row.p_value is None:
                continue
            checked += 1
            assert _excludes_zero(row) == (row.p_value <= 0.05), row
    assert checked == 3 * 60  # average, category and task rows


def test_interval_holds_the_shifts_the_test_does_not_reject():
    # Exact enumeration: testing "B - A = delta" is the sign-flip test of the shifted
    # per-dialogue sums, whose statistic is the observed difference minus delta.
    d = np.array([-3.0, -2.0, -2.0, 1.0, -1.0, 0.0, -4.0, 2.0, -1.0, -2.0])
    c = np.array([1.0, 2.0, 1.0, 1.0, 3.0, 1.0, 2.0, 1.0, 1.0, 2.0])
    from mteval.analysis.compare import sign_flip_test

    test = sign_flip_test([(d, c)])
    assert test.exact and test.low is not None and test.high is not None
    assert test.low < d.sum() / c.sum() < test.high
    for delta in np.linspace(-4, 2, 241):
        p, _ = sign_flip_p_value([(d - delta * c, c)])
        inside = test.low <= delta <= test.high
        if min(abs(delta - test.low), abs(delta - test.high)) > 1e-6:
            assert inside == (p > 0.05), (delta, p, test)


def test_interval_is_missing_when_too_few_dialogues_can_reject_anything():
    a, b = _runs([5, 5, 5, 5], [4, 4, 4, 4])
    row = compare_runs(a, b).row("task", "expansion_multi")
    assert row.p_value == pytest.approx(2 / 16)
    assert row.low is None and row.high is None
