from __future__ import annotations

import time

import numpy as np
import pytest

from mteval.analysis import Bootstrap, make_sample


def sample(key: str, per_dialogue: dict[str, list[float]]):
    rows = [(d, 0, s) for d, scores in per_dialogue.items() for s in scores]
    return make_sample(key, rows, columns=(0,))


def test_make_sample_sums_and_counts_per_dialogue_and_column():
    s = make_sample("t", [("b", 1, 2.0), ("a", 1, 4.0), ("a", 2, 6.0), ("a", 1, 1.0)])
    assert s.dialogue_ids == ("a", "b")
    assert s.columns == (1, 2)
    assert s.sums.tolist() == [[5.0, 6.0], [2.0, 0.0]]
    assert s.counts.tolist() == [[2.0, 1.0], [1.0, 0.0]]


def test_point_estimate_pools_turns_not_dialogue_means():
    # (2 + 4 + 6 + 10) / 4 = 5.5, not the mean of dialogue means (4 + 10) / 2 = 7
    boot = Bootstrap(n_resamples=50, seed=1)
    estimate = boot.estimate([sample("t", {"a": [2, 4, 6], "b": [10]})])
    assert estimate.value == pytest.approx(5.5)
    assert estimate.n_turns == 4 and estimate.n_dialogues == 2


def test_weights_draw_n_dialogues_per_replicate():
    boot = Bootstrap(n_resamples=200, seed=3)
    weights = boot.weights(sample("t", {str(i): [float(i)] for i in range(7)}))
    assert weights.shape == (200, 7)
    assert set(weights.sum(axis=1)) == {7.0}


def test_intervals_are_seeded_and_reproducible():
    data = {str(i): [float(i % 5), float((i * 3) % 11)] for i in range(30)}
    a = Bootstrap(seed=7).estimate([sample("t", data)])
    b = Bootstrap(seed=7).estimate([sample("t", data)])
    c = Bootstrap(seed=8).estimate([sample("t", data)])
    assert (a.low, a.high) == (b.low, b.high)
    assert (a.low, a.high) != (c.low, c.high)
    assert a.low < a.value < a.high


def test_a_task_draws_do_not_depend_on_other_tasks_analysed_with_it():
    first = sample("t1", {str(i): [float(i)] for i in range(10)})
    other = sample("t2", {str(i): [float(-i)] for i in range(5)})
    alone = Bootstrap(seed=0)
    together = Bootstrap(seed=0)
    together.weights(other)
    assert np.array_equal(alone.weights(first), together.weights(first))


def test_constant_scores_have_a_degenerate_interval():
    estimate = Bootstrap().estimate([sample("t", {"a": [4, 4], "b": [4]})])
    assert (estimate.low, estimate.value, estimate.high) == (4.0, 4.0, 4.0)


def test_no_resamples_gives_point_estimates_without_intervals():
    estimate = Bootstrap(n_resamples=0).estimate([sample("t", {"a": [1, 3]})])
    assert estimate.value == 2.0 and estimate.low is None and estimate.high is None


def test_empty_samples_have_no_value():
    assert Bootstrap().estimate([]).value is None


def test_interval_coverage_is_about_right_for_a_known_mean():
    # 200 datasets of 40 one-turn dialogues drawn from N(5, 1): the 95% interval
    # should contain 5 in roughly 95% of them (percentile bootstrap, n=40).
    rng = np.random.default_rng(0)
    boot = Bootstrap(n_resamples=400, seed=0)
    hits = 0
    for k in range(200):
        values = rng.normal(5, 1, 40)
        e = boot.estimate([sample(f"t{k}", {str(i): [v] for i, v in enumerate(values)})])
        hits += e.low <= 5 <= e.high
    assert 0.88 <= hits / 200 <= 0.99


def test_thousand_replicates_over_a_full_task_are_fast():
    data = {str(i): [float(i % 11)] * 10 for i in range(280)}
    start = time.perf_counter()
    Bootstrap(n_resamples=1000).estimate([sample("t", data)])
    assert time.perf_counter() - start < 0.5
