"""The judge-audit statistics against hand-computed values and published worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mteval.analysis.audit_stats import (
    PairVerdict,
    bootstrap_rows,
    canary_drift,
    changed_share,
    checker_agreement,
    icc,
    judge_agreement,
    krippendorff_alpha_interval,
    length_correlation,
    mean_offset,
    noise_share_of_variance,
    position_bias,
    rank_flip_probability,
    resolvable_gap,
    weighted_kappa,
    within_turn_sd,
    within_turn_variance,
)
from mteval.analysis.bootstrap import Bootstrap

NAN = float("nan")

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges. Their
# published ICC(1,1) = .17 and ICC(2,1) = .29.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# four observers, twelve units, missing values. Published interval alpha = 0.849.
KRIPPENDORFF = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]


def test_within_turn_sd_pools_each_turns_sample_variance() -> None:
    # Turn 1: 4, 6 -> variance 2; turn 2: 5, 5, 5 -> 0; turn 3 has one repeat: left out.
    scores = [[4, 6, NAN], [5, 5, 5], [7, NAN, NAN]]
    assert within_turn_variance(scores) == pytest.approx(1.0)
    assert within_turn_sd(scores) == pytest.approx(1.0)


def test_changed_share_counts_turns_whose_repeats_differ() -> None:
    assert changed_share([[4, 6], [5, 5], [3, 3], [1, 2]]) == pytest.approx(0.5)


def test_a_perfectly_consistent_judge_has_zero_noise() -> None:
    scores = [[3, 3, 3], [8, 8, 8], [5, 5, 5]]
    assert within_turn_sd(scores) == 0.0
    assert changed_share(scores) == 0.0
    assert icc(scores) == pytest.approx(1.0)


def test_icc_matches_shrout_and_fleiss_published_values() -> None:
    assert icc(SHROUT_FLEISS, form="1,1") == pytest.approx(0.17, abs=0.005)
    assert icc(SHROUT_FLEISS, form="2,1") == pytest.approx(0.29, abs=0.005)


def test_icc_is_undefined_when_every_score_is_equal() -> None:
    assert icc([[5, 5], [5, 5]]) is None
    with pytest.raises(ValueError, match="form"):
        icc(SHROUT_FLEISS, form="3,1")


def test_krippendorff_alpha_matches_the_published_worked_example() -> None:
    assert krippendorff_alpha_interval(KRIPPENDORFF) == pytest.approx(0.849, abs=0.0005)


def test_krippendorff_alpha_is_one_for_identical_raters() -> None:
    assert krippendorff_alpha_interval([[1, 4, 7, 2], [1, 4, 7, 2]]) == pytest.approx(1.0)


def test_weighted_kappa_hand_computed() -> None:
    # Σ(a-b)² = 3, N = 3; Σ_i Σ_j (a_i - b_j)² = 14 + 5 + 2 = 21 -> 1 - 9/21.
    assert weighted_kappa([1, 2, 3], [2, 3, 4]) == pytest.approx(1 - 9 / 21)


def test_weighted_kappa_equals_the_confusion_matrix_definition() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(1, 11, 60)
    b = np.clip(a + rng.integers(-2, 3, 60), 1, 10)
    cats = np.arange(1, 11)
    observed = np.zeros((10, 10))
    for x, y in zip(a, b, strict=True):
        observed[x - 1, y - 1] += 1
    expected = np.outer(observed.sum(1), observed.sum(0)) / observed.sum()
    weights = (cats[:, None] - cats[None, :]) ** 2
    reference = 1 - (weights * observed).sum() / (weights * expected).sum()
    assert weighted_kappa(a, b) == pytest.approx(reference)


def test_judge_agreement_of_a_judge_with_a_known_offset() -> None:
    a = [3, 4, 5, 6, 7, 8, 3, 5]
    b = [x + 1 for x in a]
    result = judge_agreement(a, b)
    assert result.pearson == pytest.approx(1.0)
    assert result.spearman == pytest.approx(1.0)
    assert result.mean_offset == pytest.approx(1.0)
    assert result.n_turns == 8
    assert result.weighted_kappa is not None and result.weighted_kappa < 1.0
    assert result.krippendorff_alpha is not None and result.krippendorff_alpha < 1.0


def test_mean_offset_skips_missing_scores() -> None:
    assert mean_offset([1, 2, NAN], [2, 4, 9]) == pytest.approx(1.5)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(1, 10), min_size=3, max_size=30),
    st.integers(-3, 3),
)
def test_agreement_is_shift_aware_and_symmetric(values: list[int], shift: int) -> None:
    shifted = [v + shift for v in values]
    if len(set(values)) > 1:
        assert judge_agreement(values, shifted).pearson == pytest.approx(1.0)
        kappa = weighted_kappa(values, shifted)
        assert kappa == pytest.approx(weighted_kappa(shifted, values))
        if shift == 0:
            assert kappa == pytest.approx(1.0)
    assert mean_offset(values, shifted) == pytest.approx(shift)


def test_checker_agreement_hand_computed() -> None:
    judge = [True, True, False, True, False]
    checker = [True, False, False, True, True]
    result = checker_agreement(judge, checker)
    assert result.agreement == pytest.approx(3 / 5)
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == pytest.approx(2 / 3)
    assert (result.n_turns, result.n_checker_pass, result.n_judge_pass) == (5, 3, 3)


def test_checker_agreement_of_a_judge_that_always_passes() -> None:
    result = checker_agreement([True] * 4, [True, False, False, False])
    assert result.recall == 1.0 and result.precision == pytest.approx(0.25)


def test_position_bias_of_a_judge_that_always_says_a() -> None:
    # Always "A": never consistent across orders, every verdict picks position A.
    pairs = [PairVerdict(first="A", second="A", words_x=10, words_y=10) for _ in range(4)]
    result = position_bias(pairs)
    assert result.consistency_rate == 0.0
    assert result.first_position_win_share == 1.0
    assert result.by_length_ratio["0.8-1.25"] == (1.0, 8)


def test_position_bias_of_an_order_blind_judge() -> None:
    # x wins in both orders: A then B. Consistent; half the verdicts pick position A.
    pairs = [
        PairVerdict(first="A", second="B", words_x=30, words_y=10),
        PairVerdict(first="tie", second="tie", words_x=10, words_y=10),
        PairVerdict(first="B", second=None, words_x=10, words_y=10),
    ]
    result = position_bias(pairs)
    assert result.consistency_rate == 1.0
    assert result.n_pairs == 2
    assert result.first_position_win_share == pytest.approx(1 / 3)
    assert result.by_length_ratio[">=2"] == (1.0, 1)
    assert result.by_length_ratio["<0.5"] == (0.0, 1)


def test_length_correlation_overall_and_within_groups() -> None:
    words = [10, 20, 30, 40, 50, 60]
    assert length_correlation([1, 2, 3, 4, 5, 6], words) == pytest.approx(1.0)
    # Across groups score falls with length; within each group it rises.
    scores = [9, 10, 5, 6, 1, 2]
    groups = ["a", "a", "b", "b", "c", "c"]
    assert length_correlation(scores, words) < 0
    assert length_correlation(scores, words, groups=groups) == pytest.approx(1.0)


def test_noise_share_of_variance_hand_computed() -> None:
    # Noise variance 2 over 50 turns: 0.04; bootstrap variance of the mean 0.16.
    assert noise_share_of_variance(
        noise_variance=2.0, n_turns=50, total_variance=0.16
    ) == pytest.approx(0.25)
    assert noise_share_of_variance(noise_variance=0.0, n_turns=50, total_variance=0.16) == 0.0
    assert noise_share_of_variance(noise_variance=1.0, n_turns=0, total_variance=0.1) is None


def test_rank_flip_probability_hand_computed() -> None:
    # sd of the difference: 1 * sqrt(2/100) = 0.1414; P(N > 0.1/0.1414) = P(N > 0.7071).
    assert rank_flip_probability(gap=0.1, noise_sd=1.0, n_a=100) == pytest.approx(0.23975, abs=1e-4)
    assert rank_flip_probability(gap=0.5, noise_sd=0.0, n_a=100) == 0.0
    assert rank_flip_probability(gap=0.0, noise_sd=1.0, n_a=100) == 0.5


def test_rank_flip_probability_matches_a_simulation() -> None:
    rng = np.random.default_rng(11)
    n, sd, gap = 40, 1.5, 0.3
    means_a = 5.0 + rng.normal(0, sd, (20000, n)).mean(axis=1)
    means_b = 5.0 - gap + rng.normal(0, sd, (20000, n)).mean(axis=1)
    simulated = float((means_b > means_a).mean())
    assert rank_flip_probability(gap=gap, noise_sd=sd, n_a=n) == pytest.approx(simulated, abs=0.01)


def test_resolvable_gap_is_where_the_flip_probability_reaches_its_level() -> None:
    gap = resolvable_gap(noise_sd=0.8, n_a=70, n_b=90)
    assert gap is not None
    assert rank_flip_probability(gap=gap, noise_sd=0.8, n_a=70, n_b=90) == pytest.approx(0.05)


def test_canary_drift_flags_shifts_beyond_the_noise() -> None:
    previous = [5.0] * 50
    # Threshold: 2 * 0.5 * sqrt(2/50) = 0.2.
    shift, threshold, drifted = canary_drift(previous, [5.1] * 50, noise_sd=0.5)
    assert shift == pytest.approx(0.1) and threshold == pytest.approx(0.2) and drifted is False
    assert canary_drift(previous, [5.3] * 50, noise_sd=0.5)[2] is True
    # A noiseless judge: any move is drift, none is not.
    assert canary_drift(previous, previous, noise_sd=0.0)[2] is False
    assert canary_drift(previous, [5.02] * 50, noise_sd=0.0)[2] is True
    assert canary_drift([], [], noise_sd=1.0) == (None, None, None)


def test_bootstrap_rows_resamples_dialogues_with_the_project_bootstrap() -> None:
    boot = Bootstrap(n_resamples=200, seed=0)
    ids = [f"d{i // 2}" for i in range(40)]
    values = np.array([float(i % 7) for i in range(40)])
    estimate = bootstrap_rows(boot, "t", ids, lambda rows: float(values[rows].mean()))
    assert estimate.value == pytest.approx(values.mean())
    assert estimate.low is not None and estimate.high is not None
    assert estimate.low < estimate.value < estimate.high
    assert (estimate.n_turns, estimate.n_dialogues) == (40, 20)


def test_bootstrap_rows_of_an_undefined_statistic_has_no_value() -> None:
    estimate = bootstrap_rows(Bootstrap(n_resamples=10), "t", ["a"], lambda rows: None)
    assert estimate.value is None and not math.isnan(estimate.n_turns)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.lists(st.integers(1, 10), min_size=3, max_size=3), min_size=3, max_size=20),
    st.integers(-3, 3),
    st.integers(1, 3),
)
def test_self_consistency_figures_ignore_shift_and_scale(
    rows: list[list[int]], shift: int, scale: int
) -> None:
    scores = np.array(rows, dtype=float)
    moved = scores * scale + shift
    sd = within_turn_sd(scores)
    assert sd is not None and within_turn_sd(moved) == pytest.approx(scale * sd)
    assert changed_share(moved) == changed_share(scores)
    value = icc(scores)
    if value is None:
        assert icc(moved) is None
    else:
        assert icc(moved) == pytest.approx(value)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10), st.integers(1, 10)), min_size=2, max_size=30))
def test_krippendorff_alpha_of_two_complete_raters_is_symmetric_and_at_most_one(
    pairs: list[tuple[int, int]],
) -> None:
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    alpha = krippendorff_alpha_interval([a, b])
    if alpha is not None:
        assert alpha <= 1 + 1e-12
        assert krippendorff_alpha_interval([b, a]) == pytest.approx(alpha)
