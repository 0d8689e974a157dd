"""Bradley-Terry ratings of the players of ``pairwise --all``, with bootstrap intervals.

FastChat's ``show_result`` stops at win rates; this goes beyond it. Each
counted game (see :mod:`~mteval.benchmarks.mt_bench.pairwise`) scores 1, 0 or
1/2 (a tie counts half a win for each side, as Chatbot Arena's maximum
likelihood Elo does). The ratings maximise the Bradley-Terry likelihood
``P(i beats j) = 1 / (1 + 10 ** ((R_j - R_i) / 400))``, on the Elo scale with
mean 1000. A vanishing ridge (1e-6 on the log-odds) keeps them finite when a
player wins or loses every game, where no maximum exists.

Intervals resample questions (both turns of a question and all of its games
travel together: they share answers and are not independent), with
mteval's seeded bootstrap (:class:`mteval.analysis.Bootstrap`), and refit
in every replicate; the interval is the percentile interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mteval.analysis.bootstrap import Bootstrap, make_sample
from mteval.benchmarks.mt_bench.pairwise import PairGame

__all__ = ["BASE_RATING", "ELO_SCALE", "Rating", "bradley_terry", "fit_bradley_terry"]

BASE_RATING = 1000.0
ELO_SCALE = 400.0
_RIDGE = 1e-6
_MAX_STEP = 2.0
_MAX_ITER = 200
_TOL = 1e-10

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Rating:
    """One player's Bradley-Terry rating.

    Attributes:
        player: The player.
        rating: The rating (Elo scale, mean of all players 1000).
        low: Lower bound of its bootstrap interval (None without resamples).
        high: Upper bound.
        games: Counted games the player took part in.
    """

    player: str
    rating: float
    low: float | None
    high: float | None
    games: int


def fit_bradley_terry(wins: FloatArray) -> FloatArray:
    """Fit Bradley-Terry log-strengths to (batches of) win matrices.

    Args:
        wins: ``wins[..., i, j]``: how often i beat j (ties as halves), shape (..., k, k).

    Returns:
        Log-strengths (natural log-odds units, summing to 0), shape (..., k).
    """
    wins = np.asarray(wins, dtype=np.float64)
    batch = wins.shape[:-2]
    k = wins.shape[-1]
    a = wins.reshape(-1, k, k)
    n = a + np.swapaxes(a, 1, 2)
    beta = np.zeros((a.shape[0], k))
    eye = np.eye(k)
    for _ in range(_MAX_ITER):
        diff = beta[:, :, None] - beta[:, None, :]
        p = 1.0 / (1.0 + np.exp(-diff))
        grad = -(a - n * p).sum(axis=2) + _RIDGE * beta
        curvature = n * p * (1.0 - p)
        hessian = -curvature + eye * (curvature.sum(axis=2)[:, :, None] + _RIDGE)
        step = np.linalg.solve(hessian, grad[:, :, None])[:, :, 0]
        # Cap each step: Newton on a nearly separable record can overshoot.
        largest = np.abs(step).max(axis=1, keepdims=True)
        step = step * np.minimum(1.0, _MAX_STEP / np.maximum(largest, 1e-300))
        beta = beta - step
        if float(np.abs(step).max(initial=0.0)) < _TOL:
            break
    beta = beta - beta.mean(axis=1, keepdims=True)
    return beta.reshape(*batch, k)


def _to_elo(beta: FloatArray) -> FloatArray:
    return BASE_RATING + ELO_SCALE / math.log(10.0) * beta


def bradley_terry(
    games: Sequence[PairGame],
    players: Sequence[str],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> list[Rating]:
    """Rate the players from their counted games, with bootstrap intervals.

    Args:
        games: The games; those not counted (an error in either order) are ignored.
        players: The players, in the order of the result.
        n_resamples: Bootstrap replicates (0: no intervals).
        seed: The bootstrap's seed.
        confidence: The intervals' coverage.
    """
    index = {player: i for i, player in enumerate(players)}
    k = len(players)
    counted = [g for g in games if g.counted and g.player_1 in index and g.player_2 in index]
    played = np.zeros(k, dtype=int)
    questions = sorted({g.question_id for g in counted})
    q_index = {q: i for i, q in enumerate(questions)}
    # One row per game: its contribution to the win matrix, flattened.
    contributions = np.zeros((len(counted), k * k))
    question_of = np.zeros(len(counted), dtype=int)
    for row, game in enumerate(counted):
        i, j = index[game.player_1], index[game.player_2]
        score = game.score_of_player_1()
        assert score is not None
        contributions[row, i * k + j] += score
        contributions[row, j * k + i] += 1.0 - score
        question_of[row] = q_index[game.question_id]
        played[i] += 1
        played[j] += 1
    wins = contributions.sum(axis=0).reshape(k, k)
    point = _to_elo(fit_bradley_terry(wins))
    low: list[float | None] = [None] * k
    high: list[float | None] = [None] * k
    if n_resamples > 0 and counted:
        boot = Bootstrap(n_resamples=n_resamples, seed=seed, confidence=confidence)
        sample = make_sample(
            "mt-bench:pairwise", ((str(q), 0, 0.0) for q in questions), tasks=("mt-bench",)
        )
        # weights are over the sample's sorted dialogue ids; map back to questions.
        order = {int(qid): col for col, qid in enumerate(sample.dialogue_ids)}
        by_question = boot.weights(sample)[:, [order[q] for q in questions]]
        per_game = by_question[:, question_of]
        replicate_wins = (per_game @ contributions).reshape(-1, k, k)
        replicates = _to_elo(fit_bradley_terry(replicate_wins))
        lo, hi = boot.interval(replicates)
        low = [_num(x) for x in lo]
        high = [_num(x) for x in hi]
    return [
        Rating(
            player=player,
            rating=float(point[i]),
            low=low[i],
            high=high[i],
            games=int(played[i]),
        )
        for i, player in enumerate(players)
    ]


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
