"""Pairwise games resolved and counted as play_a_match_pair + display_result_pairwise do."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mteval.benchmarks.mt_bench import PairGame, pairwise_rows, position_consistency

VERDICTS = ["A", "B", "tie", "error"]


def game(
    g1: str, g2: str, *, p1: str = "m", p2: str = "base", q: int = 81, turn: int = 1
) -> PairGame:
    return PairGame(question_id=q, turn=turn, player_1=p1, player_2=p2, g1=g1, g2=g2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("g1", "g2", "outcome"),
    [
        ("A", "B", "model_1"),  # player 1 first in game 1, second in game 2: wins both
        ("B", "A", "model_2"),
        ("A", "A", "tie"),  # each order favours the first answer: inconsistent, a tie
        ("B", "B", "tie"),
        ("tie", "tie", "tie"),
        ("tie", "B", "tie"),  # a tie in game 1 is a tie whatever game 2 says
        ("A", "tie", "tie"),
        ("A", "error", None),
        ("error", "tie", None),
    ],
)
def test_game_resolution(g1: str, g2: str, outcome: str | None) -> None:
    assert game(g1, g2).outcome == outcome


def test_baseline_table_by_hand() -> None:
    games = [
        game("A", "B", p1="x"),  # x wins
        game("A", "B", p1="x", turn=2),  # x wins
        game("B", "A", p1="x", q=82),  # x loses
        game("A", "A", p1="x", q=83),  # tie (inconsistent)
        game("error", "B", p1="x", q=84),  # excluded
        game("tie", "tie", p1="y"),  # y tie
        game("B", "A", p1="y", q=82),  # y loses
    ]
    rows = pairwise_rows(games, ["base", "x", "y"], baseline="base")
    assert [r.player for r in rows] == ["x", "y"]
    x, y = rows
    assert (x.win, x.loss, x.tie) == (2, 1, 1)
    assert (x.win_rate, x.loss_rate, x.win_rate_adjusted) == (0.5, 0.25, (2 + 0.5) / 4)
    assert (y.win, y.loss, y.tie) == (0, 1, 1)
    assert (y.win_rate, y.loss_rate, y.win_rate_adjusted) == (0.0, 0.5, 0.25)


def test_all_pairs_table_counts_every_player() -> None:
    games = [
        game("A", "B", p1="a", p2="b"),
        game("B", "A", p1="a", p2="c"),
        game("tie", "tie", p1="b", p2="c"),
    ]
    rows = {r.player: r for r in pairwise_rows(games, ["a", "b", "c"], baseline=None)}
    assert (rows["a"].win, rows["a"].loss, rows["a"].tie) == (1, 1, 0)
    assert (rows["b"].win, rows["b"].loss, rows["b"].tie) == (0, 1, 1)
    assert (rows["c"].win, rows["c"].loss, rows["c"].tie) == (1, 0, 1)


def test_baseline_mode_ignores_games_without_the_baseline() -> None:
    games = [game("A", "B", p1="a", p2="b"), game("B", "A", p1="a", p2="base")]
    rows = pairwise_rows(games, ["base", "a", "b"], baseline="base")
    assert [(r.player, r.win, r.loss, r.tie) for r in rows] == [("a", 0, 1, 0), ("b", 0, 0, 0)]
    assert rows[1].win_rate is None


def test_position_consistency() -> None:
    games = [
        game("A", "B"),
        game("A", "A"),
        game("tie", "tie"),
        game("tie", "A"),
        game("error", "A"),
    ]
    result = position_consistency(games)
    assert (result.n_games, result.n_consistent) == (4, 2)
    assert result.rate == 0.5
    assert position_consistency([]).rate is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(VERDICTS), st.sampled_from(VERDICTS)), max_size=40))
def test_rows_equal_show_results_loop(pairs: list[tuple[str, str]]) -> None:
    # Restates show_result.display_result_pairwise over FastChat's g1/g2 winners.
    games = [game(g1, g2, q=81 + i) for i, (g1, g2) in enumerate(pairs)]
    g1_map = {"A": "model_1", "B": "model_2"}
    g2_map = {"A": "model_2", "B": "model_1"}
    win = loss = tie = 0
    for g1, g2 in pairs:
        w1, w2 = g1_map.get(g1, g1), g2_map.get(g2, g2)
        if w1 == "error" or w2 == "error":
            continue
        if w1 == "tie" or w1 != w2:
            tie += 1
        elif w1 == "model_1":
            win += 1
        else:
            loss += 1
    (row,) = pairwise_rows(games, ["base", "m"], baseline="base")
    assert (row.win, row.loss, row.tie) == (win, loss, tie)
    total = win + loss + tie
    if total:
        assert row.win_rate == win / total
        assert row.loss_rate == loss / total
        assert row.win_rate_adjusted == (win + 0.5 * tie) / total


def test_every_verdict_pair_is_resolved() -> None:
    for g1, g2 in itertools.product(VERDICTS, VERDICTS):
        outcome = game(g1, g2).outcome
        assert outcome in ("model_1", "model_2", "tie", None)
