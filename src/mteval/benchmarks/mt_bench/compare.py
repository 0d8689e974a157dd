"""``mteval pairwise``: play MT-Bench's pairwise games between stored runs and summarise them.

The matches are ``gen_judgment.py``'s: against a baseline (``make_match``:
each other run is player 1, the baseline player 2) or between every pair
(``make_match_all_pairs``: runs in the order given, the earlier one player 1),
for every question and both turns. Each game is judged in both orders with
the prompt :func:`~mteval.benchmarks.mt_bench.prompts.pair_prompt_name`
chooses (``play_a_match_pair``), and counted by
:mod:`~mteval.benchmarks.mt_bench.pairwise`'s rules.

A game needs both runs' answers to the turns its prompt shows (turn 2 shows
both turns); where a run has no answer (its request failed), FastChat's
``check_data`` would refuse to start — mteval leaves that game out and
counts it as missing.

The judge is injected (:data:`JudgeFn`), so this module is independent of
how requests are sent, cached and recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mteval.benchmarks.mt_bench.data import MtBenchData, Question
from mteval.benchmarks.mt_bench.pairwise import (
    PairGame,
    pairwise_rows,
    position_consistency,
)
from mteval.benchmarks.mt_bench.parse import PairVerdict, parse_pair_verdict
from mteval.benchmarks.mt_bench.prompts import JudgeMessages, fill_pair, pair_prompt_name
from mteval.benchmarks.mt_bench.ratings import bradley_terry

__all__ = [
    "Contestant",
    "JudgeFn",
    "JudgeReply",
    "Match",
    "PairwiseOutcome",
    "PlayedGame",
    "play_pairwise",
    "schedule",
]


@dataclass(frozen=True)
class JudgeReply:
    """What one judge request gave.

    Attributes:
        text: The reply (None when the request failed for good).
        error: Why there is no reply.
    """

    text: str | None
    error: str | None = None


JudgeFn = Callable[[JudgeMessages, str], Awaitable[JudgeReply]]
"""Sends one filled pairwise prompt (with a label: ``AB`` or ``BA``) to the judge."""


@dataclass(frozen=True)
class Contestant:
    """A stored run taking part.

    Attributes:
        run_id: The run.
        model: Its model (display only: runs are told apart by id).
        answers: Its answers by question id: ``(turn 1, turn 2)``, None where missing.
    """

    run_id: str
    model: str
    answers: Mapping[int, tuple[str | None, str | None]]

    def answers_for(self, question_id: int, turn: int) -> list[str] | None:
        """The answers a prompt for ``turn`` shows, or None when one is missing."""
        pair = self.answers.get(question_id, (None, None))
        needed = list(pair[:turn])
        if any(answer is None for answer in needed):
            return None
        return [answer for answer in needed if answer is not None]


@dataclass(frozen=True)
class Match:
    """One scheduled game: a question's turn between two contestants."""

    question: Question
    turn: int
    player_1: Contestant
    player_2: Contestant


@dataclass(frozen=True)
class PlayedGame:
    """A game and the two replies it rests on.

    Attributes:
        game: The verdicts.
        prompt_name: The judge prompt used.
        g1_judgment: Game 1's reply (player 1 as A), None if its request failed.
        g2_judgment: Game 2's reply (player 2 as A).
        g1_error: Why game 1 has no reply.
        g2_error: Why game 2 has no reply.
    """

    game: PairGame
    prompt_name: str
    g1_judgment: str | None
    g2_judgment: str | None
    g1_error: str | None = None
    g2_error: str | None = None


@dataclass(frozen=True)
class PairwiseOutcome:
    """Everything a pairwise comparison produced.

    Attributes:
        contestants: The runs, in the order given (the first is the baseline
            unless ``all_pairs``).
        all_pairs: ``pairwise-all`` (True) or ``pairwise-baseline``.
        games: The games played, in schedule order.
        missing: Games left out because a run lacks an answer: (question id,
            turn, run id of player 1, run id of player 2).
    """

    contestants: tuple[Contestant, ...]
    all_pairs: bool
    games: tuple[PlayedGame, ...]
    missing: tuple[tuple[int, int, str, str], ...] = ()

    @property
    def baseline(self) -> Contestant | None:
        """The baseline run (None with ``all_pairs``)."""
        return None if self.all_pairs else self.contestants[0]

    def summary(self, *, n_resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
        """The content of ``pairwise.json``.

        ``rows`` has one row per non-baseline run (every run with ``all_pairs``)
        with ``run_id``, ``model``, ``win``, ``loss``, ``tie``, ``win_rate``,
        ``loss_rate``, ``win_rate_adjusted``; then the position-consistency
        rate, game counts and, with ``all_pairs``, Bradley-Terry ratings.

        Args:
            n_resamples: Bootstrap replicates of the Bradley-Terry intervals.
            seed: Their seed.
        """
        games = [played.game for played in self.games]
        ids = [c.run_id for c in self.contestants]
        models = {c.run_id: c.model for c in self.contestants}
        baseline = self.baseline
        rows = pairwise_rows(games, ids, baseline=baseline.run_id if baseline else None)
        consistency = position_consistency(games)
        counted = sum(1 for g in games if g.counted)
        out: dict[str, Any] = {
            "benchmark": "mt-bench",
            "mode": "pairwise-all" if self.all_pairs else "pairwise-baseline",
            "baseline": (
                {"run_id": baseline.run_id, "model": baseline.model} if baseline else None
            ),
            "rows": [
                {
                    "run_id": row.player,
                    "model": models[row.player],
                    "win": row.win,
                    "loss": row.loss,
                    "tie": row.tie,
                    "win_rate": row.win_rate,
                    "loss_rate": row.loss_rate,
                    "win_rate_adjusted": row.win_rate_adjusted,
                }
                for row in rows
            ],
            "position_consistency": {
                "n_games": consistency.n_games,
                "n_consistent": consistency.n_consistent,
                "rate": consistency.rate,
            },
            "games": {
                "played": len(games),
                "counted": counted,
                "errors": len(games) - counted,
                "missing": len(self.missing),
            },
        }
        if self.all_pairs:
            ratings = bradley_terry(games, ids, n_resamples=n_resamples, seed=seed)
            out["bradley_terry"] = {
                "scale": "Elo (400 points = 10:1 odds), mean 1000",
                "confidence": 0.95,
                "n_resamples": n_resamples,
                "seed": seed,
                "ratings": [
                    {
                        "run_id": r.player,
                        "model": models[r.player],
                        "rating": r.rating,
                        "low": r.low,
                        "high": r.high,
                        "games": r.games,
                    }
                    for r in ratings
                ],
            }
        return out

    def game_rows(self) -> list[dict[str, Any]]:
        """One row per game, in the spirit of FastChat's ``model_judgment/*_pair.jsonl``."""
        rows = []
        for played in self.games:
            game = played.game
            rows.append(
                {
                    "question_id": game.question_id,
                    "turn": game.turn,
                    "run_1": game.player_1,
                    "run_2": game.player_2,
                    "prompt": played.prompt_name,
                    "g1_winner": game.g1_winner,
                    "g2_winner": game.g2_winner,
                    "outcome": game.outcome or "error",
                    "g1_judgment": played.g1_judgment,
                    "g2_judgment": played.g2_judgment,
                    "g1_error": played.g1_error,
                    "g2_error": played.g2_error,
                }
            )
        return rows


def schedule(
    data: MtBenchData, contestants: Sequence[Contestant], *, all_pairs: bool
) -> tuple[list[Match], list[tuple[int, int, str, str]]]:
    """The games ``gen_judgment.py`` would play, and those left out for a missing answer.

    Raises:
        ValueError: Fewer than two contestants, or a run given twice.
    """
    if len(contestants) < 2:
        raise ValueError("a pairwise comparison needs at least two runs")
    ids = [c.run_id for c in contestants]
    if len(set(ids)) != len(ids):
        raise ValueError("a run is given twice")
    if all_pairs:
        pairs = [
            (contestants[i], contestants[j])
            for i in range(len(contestants))
            for j in range(i + 1, len(contestants))
        ]
    else:
        base = contestants[0]
        pairs = [(other, base) for other in contestants[1:]]
    matches: list[Match] = []
    missing: list[tuple[int, int, str, str]] = []
    for turn in (1, 2):
        for question in data.questions:
            for first, second in pairs:
                if (
                    first.answers_for(question.question_id, turn) is None
                    or second.answers_for(question.question_id, turn) is None
                ):
                    missing.append((question.question_id, turn, first.run_id, second.run_id))
                    continue
                matches.append(Match(question=question, turn=turn, player_1=first, player_2=second))
    return matches, missing


async def _play(data: MtBenchData, match: Match, judge: JudgeFn) -> PlayedGame:
    question, turn = match.question, match.turn
    prompt = data.prompts[pair_prompt_name(question.category, turn)]
    reference = data.reference_for(question)
    answers_1 = match.player_1.answers_for(question.question_id, turn)
    answers_2 = match.player_2.answers_for(question.question_id, turn)
    assert answers_1 is not None and answers_2 is not None
    first = fill_pair(prompt, question, answers_1, answers_2, reference, turn=turn)
    second = fill_pair(prompt, question, answers_2, answers_1, reference, turn=turn)
    reply_1, reply_2 = await asyncio.gather(judge(first, "AB"), judge(second, "BA"))

    def verdict(reply: JudgeReply) -> PairVerdict:
        return "error" if reply.text is None else parse_pair_verdict(reply.text)

    return PlayedGame(
        game=PairGame(
            question_id=question.question_id,
            turn=turn,
            player_1=match.player_1.run_id,
            player_2=match.player_2.run_id,
            g1=verdict(reply_1),
            g2=verdict(reply_2),
        ),
        prompt_name=prompt.name,
        g1_judgment=reply_1.text,
        g2_judgment=reply_2.text,
        g1_error=reply_1.error,
        g2_error=reply_2.error,
    )


async def play_pairwise(
    data: MtBenchData,
    contestants: Sequence[Contestant],
    *,
    all_pairs: bool,
    judge: JudgeFn,
    on_game: Callable[[PlayedGame], None] | None = None,
) -> PairwiseOutcome:
    """Play every game (both orders each, all at once) and collect the outcome.

    Args:
        data: MT-Bench's questions, references and judge prompts.
        contestants: The runs; the first is the baseline unless ``all_pairs``.
        all_pairs: Compare every pair instead of each run with the baseline.
        judge: Sends one filled prompt to the judge.
        on_game: Called as each game finishes (progress).
    """
    matches, missing = schedule(data, contestants, all_pairs=all_pairs)

    async def one(match: Match) -> PlayedGame:
        played = await _play(data, match, judge)
        if on_game is not None:
            on_game(played)
        return played

    games = await asyncio.gather(*(one(m) for m in matches))
    return PairwiseOutcome(
        contestants=tuple(contestants),
        all_pairs=all_pairs,
        games=tuple(games),
        missing=tuple(missing),
    )
