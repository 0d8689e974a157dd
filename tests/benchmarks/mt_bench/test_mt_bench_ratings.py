"""Bradley-Terry ratings: known closed forms, symmetry, finiteness, bootstrap intervals."""

from __future__ import annotations

import math

import numpy as np

from mteval.benchmarks.mt_bench import PairGame, bradley_terry
from mteval.benchmarks.mt_bench.ratings import fit_bradley_terry


def games_between(
    p1: str, p2: str, verdicts: list[tuple[str, str]], start: int = 81
) -> list[PairGame]:
    return [
        PairGame(question_id=start + i, turn=1, player_1=p1, player_2=p2, g1=g1, g2=g2)  # type: ignore[arg-type]
        for i, (g1, g2) in enumerate(verdicts)
    ]


def test_two_players_match_the_closed_form() -> None:
    # x: 30 wins, 10 losses, 10 ties; share s = 35 / 50; R_x - R_y = 400 log10(s / (1 - s)).
    verdicts = [("A", "B")] * 30 + [("B", "A")] * 10 + [("tie", "tie")] * 10
    ratings = bradley_terry(games_between("x", "y", verdicts), ["x", "y"], n_resamples=0)
    share = 35 / 50
    expected = 400 * math.log10(share / (1 - share))
    assert math.isclose(ratings[0].rating - ratings[1].rating, expected, rel_tol=1e-6)
    assert math.isclose((ratings[0].rating + ratings[1].rating) / 2, 1000.0, abs_tol=1e-6)
    assert ratings[0].low is None and ratings[0].games == 50


def test_equal_records_give_equal_ratings() -> None:
    games = (
        games_between("a", "b", [("A", "B"), ("B", "A")])
        + games_between("b", "c", [("A", "B"), ("B", "A")], start=90)
        + games_between("a", "c", [("tie", "tie")], start=100)
    )
    ratings = bradley_terry(games, ["a", "b", "c"], n_resamples=0)
    assert all(math.isclose(r.rating, 1000.0, abs_tol=1e-6) for r in ratings)


def test_ordering_follows_strength_and_a_clean_sweep_stays_finite() -> None:
    games = (
        games_between("a", "b", [("A", "B")] * 8 + [("B", "A")] * 2)
        + games_between("b", "c", [("A", "B")] * 8 + [("B", "A")] * 2, start=100)
        + games_between("a", "c", [("A", "B")] * 10, start=120)
    )
    a, b, c = bradley_terry(games, ["a", "b", "c"], n_resamples=0)
    assert a.rating > b.rating > c.rating
    assert all(math.isfinite(r.rating) for r in (a, b, c))


def test_errors_are_ignored() -> None:
    base = games_between("x", "y", [("A", "B")] * 3 + [("B", "A")])
    noisy = base + games_between("x", "y", [("error", "A"), ("B", "error")], start=120)
    assert [r.rating for r in bradley_terry(base, ["x", "y"], n_resamples=0)] == [
        r.rating for r in bradley_terry(noisy, ["x", "y"], n_resamples=0)
    ]


def test_bootstrap_intervals_are_seeded_and_bracket_the_estimate() -> None:
    verdicts = [("A", "B")] * 25 + [("B", "A")] * 15 + [("A", "A")] * 10
    games = games_between("x", "y", verdicts) + games_between("x", "z", verdicts[::-1], start=200)
    first = bradley_terry(games, ["x", "y", "z"], n_resamples=300, seed=1)
    again = bradley_terry(games, ["x", "y", "z"], n_resamples=300, seed=1)
    assert first == again
    for rating in first:
        assert rating.low is not None and rating.high is not None
        assert rating.low <= rating.rating <= rating.high
        assert rating.high - rating.low > 1.0


def test_batched_fit_equals_one_by_one() -> None:
    rng = np.random.default_rng(3)
    wins = rng.integers(0, 10, size=(5, 4, 4)).astype(float)
    for m in wins:
        np.fill_diagonal(m, 0)
    batched = fit_bradley_terry(wins)
    for m, row in zip(wins, batched, strict=True):
        assert np.allclose(fit_bradley_terry(m), row, atol=1e-8)
