"""Pairwise games, as ``gen_judgment.py --mode pairwise-*`` plays and ``show_result`` counts them.

A game is one (question, turn) between two players (runs), judged twice:
game 1 shows player 1 as assistant A, game 2 shows player 2 as A
(``play_a_match_pair``). Each order's verdict is mapped back to a player.
``show_result.display_result_pairwise`` then drops a game when either order
is an error, counts it as a tie unless both orders name the same player
(a tie in the first order is a tie whatever the second says), and otherwise
as a win for that player and a loss for the other.

Per player: ``win_rate = win / games``, ``loss_rate = loss / games``,
``win_rate_adjusted = (win + tie / 2) / games``. Against a baseline
(``pairwise-baseline``) only games involving the baseline count and the
baseline has no row; ``pairwise-all`` counts every game and every player.

Beyond FastChat, :func:`position_consistency` reports the share of counted
games whose two orders agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from mteval.benchmarks.mt_bench.parse import PairVerdict

__all__ = [
    "Consistency",
    "GameOutcome",
    "PairGame",
    "PairwiseRow",
    "pairwise_rows",
    "position_consistency",
]

Winner = Literal["model_1", "model_2", "tie", "error"]
GameOutcome = Literal["model_1", "model_2", "tie"]

_G1_MAP: dict[str, Winner] = {"A": "model_1", "B": "model_2", "tie": "tie", "error": "error"}
_G2_MAP: dict[str, Winner] = {"A": "model_2", "B": "model_1", "tie": "tie", "error": "error"}


@dataclass(frozen=True)
class PairGame:
    """One (question, turn) judged in both orders.

    Attributes:
        question_id: The question.
        turn: 1 or 2.
        player_1: The player shown as assistant A in game 1.
        player_2: The player shown as assistant A in game 2.
        g1: Game 1's verdict (A is ``player_1``).
        g2: Game 2's verdict (A is ``player_2``).
    """

    question_id: int
    turn: int
    player_1: str
    player_2: str
    g1: PairVerdict
    g2: PairVerdict

    @property
    def g1_winner(self) -> Winner:
        """Game 1's winner in FastChat's ``model_1`` / ``model_2`` terms."""
        return _G1_MAP[self.g1]

    @property
    def g2_winner(self) -> Winner:
        """Game 2's winner in FastChat's ``model_1`` / ``model_2`` terms."""
        return _G2_MAP[self.g2]

    @property
    def counted(self) -> bool:
        """Whether ``show_result`` counts the game (neither order is an error)."""
        return self.g1_winner != "error" and self.g2_winner != "error"

    @property
    def outcome(self) -> GameOutcome | None:
        """The resolved game (None when it is not counted)."""
        if not self.counted:
            return None
        if self.g1_winner == "tie" or self.g1_winner != self.g2_winner:
            return "tie"
        return "model_1" if self.g1_winner == "model_1" else "model_2"

    @property
    def consistent(self) -> bool | None:
        """Whether both orders agree (None when the game is not counted)."""
        return self.g1_winner == self.g2_winner if self.counted else None

    def score_of_player_1(self) -> float | None:
        """1 for a player-1 win, 0 for a loss, 0.5 for a tie (None when not counted)."""
        outcome = self.outcome
        if outcome is None:
            return None
        return {"model_1": 1.0, "model_2": 0.0, "tie": 0.5}[outcome]


@dataclass(frozen=True)
class PairwiseRow:
    """One player's record, as a row of ``show_result``'s pairwise table.

    Rates are None when the player has no counted game (FastChat prints no row).
    """

    player: str
    win: int
    loss: int
    tie: int
    win_rate: float | None
    loss_rate: float | None
    win_rate_adjusted: float | None

    @property
    def games(self) -> int:
        """Counted games."""
        return self.win + self.loss + self.tie


def pairwise_rows(
    games: Iterable[PairGame],
    players: Sequence[str],
    *,
    baseline: str | None,
) -> list[PairwiseRow]:
    """Count wins, losses and ties per player as ``display_result_pairwise`` does.

    Args:
        games: The games, any order.
        players: The players, in the order of the rows.
        baseline: The baseline player (``pairwise-baseline``), or None (``pairwise-all``).

    Returns:
        One row per player, the baseline left out.
    """
    tally = {player: [0, 0, 0] for player in players}
    for game in games:
        outcome = game.outcome
        if outcome is None:
            continue
        if baseline is not None and baseline not in (game.player_1, game.player_2):
            continue
        for player in (game.player_1, game.player_2):
            tally.setdefault(player, [0, 0, 0])
        if outcome == "tie":
            tally[game.player_1][2] += 1
            tally[game.player_2][2] += 1
        else:
            winner, loser = (
                (game.player_1, game.player_2)
                if outcome == "model_1"
                else (game.player_2, game.player_1)
            )
            tally[winner][0] += 1
            tally[loser][1] += 1
    rows = []
    for player in players:
        if player == baseline:
            continue
        win, loss, tie = tally[player]
        total = win + loss + tie
        rows.append(
            PairwiseRow(
                player=player,
                win=win,
                loss=loss,
                tie=tie,
                win_rate=win / total if total else None,
                loss_rate=loss / total if total else None,
                win_rate_adjusted=(win + 0.5 * tie) / total if total else None,
            )
        )
    return rows


@dataclass(frozen=True)
class Consistency:
    """How often the judge gave the same verdict in both orders.

    Attributes:
        n_games: Counted games (no error in either order).
        n_consistent: Those whose two orders name the same winner (or both a tie).
        rate: ``n_consistent / n_games`` (None without games).
    """

    n_games: int
    n_consistent: int
    rate: float | None


def position_consistency(games: Iterable[PairGame]) -> Consistency:
    """The share of counted games whose two orders agree."""
    flags = [game.consistent for game in games if game.counted]
    agreeing = sum(1 for flag in flags if flag)
    return Consistency(
        n_games=len(flags),
        n_consistent=agreeing,
        rate=agreeing / len(flags) if flags else None,
    )
