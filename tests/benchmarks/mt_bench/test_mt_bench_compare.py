"""Pairwise matches as gen_judgment schedules them, both orders, counted by show_result's rules."""

from __future__ import annotations

import pytest

from mteval.benchmarks.mt_bench.compare import (
    Contestant,
    JudgeReply,
    play_pairwise,
    schedule,
)
from mteval.benchmarks.mt_bench.prompts import JudgeMessages


def contestant(run_id: str, tag: str, *, drop: set[int] = frozenset()) -> Contestant:  # type: ignore[assignment]
    answers = {
        q: (None if q in drop else f"<{tag} {q}.1>", f"<{tag} {q}.2>") for q in range(81, 161)
    }
    return Contestant(run_id=run_id, model=f"openai/{tag}", answers=answers)


def prefers(tag: str):  # type: ignore[no-untyped-def]
    """A judge that picks the assistant whose answers carry ``tag``; errors on 'oops'."""

    async def judge(messages: JudgeMessages, label: str) -> JudgeReply:
        text = messages.user
        a_start = text.index("Assistant A")
        b_start = text.index("Assistant B")
        a_part, b_part = (text[a_start:b_start], text[b_start:])
        if f"<{tag} " in a_part:
            return JudgeReply(text="A is better. [[A]]")
        if f"<{tag} " in b_part:
            return JudgeReply(text="[[B]]")
        return JudgeReply(text="[[C]]")

    return judge


async def always_a(messages: JudgeMessages, label: str) -> JudgeReply:
    return JudgeReply(text="[[A]]")


def test_baseline_schedule_puts_the_other_run_first(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    base, x, y = contestant("base", "b"), contestant("x", "x"), contestant("y", "y")
    matches, missing = schedule(mtbench_data, [base, x, y], all_pairs=False)
    assert len(matches) == 80 * 2 * 2 and not missing
    assert {(m.player_1.run_id, m.player_2.run_id) for m in matches} == {
        ("x", "base"),
        ("y", "base"),
    }


def test_all_pairs_schedule_keeps_the_given_order(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    runs = [contestant("a", "a"), contestant("b", "b"), contestant("c", "c")]
    matches, _ = schedule(mtbench_data, runs, all_pairs=True)
    assert {(m.player_1.run_id, m.player_2.run_id) for m in matches} == {
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
    }
    assert len(matches) == 3 * 160


def test_missing_answers_leave_games_out(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    runs = [contestant("base", "b"), contestant("x", "x", drop={81})]
    matches, missing = schedule(mtbench_data, runs, all_pairs=False)
    # Turn 1 and turn 2 of question 81 both show its first answer.
    assert sorted(missing) == [(81, 1, "x", "base"), (81, 2, "x", "base")]
    assert len(matches) == 158


def test_too_few_or_repeated_runs_are_refused(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="at least two"):
        schedule(mtbench_data, [contestant("a", "a")], all_pairs=False)
    with pytest.raises(ValueError, match="twice"):
        schedule(mtbench_data, [contestant("a", "a"), contestant("a", "a")], all_pairs=True)


async def test_a_consistent_judge_gives_the_preferred_run_every_game(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    runs = [contestant("base", "b"), contestant("x", "x")]
    outcome = await play_pairwise(mtbench_data, runs, all_pairs=False, judge=prefers("x"))
    summary = outcome.summary()
    assert summary["mode"] == "pairwise-baseline"
    assert summary["baseline"] == {"run_id": "base", "model": "openai/b"}
    assert summary["rows"] == [
        {
            "run_id": "x",
            "model": "openai/x",
            "win": 160,
            "loss": 0,
            "tie": 0,
            "win_rate": 1.0,
            "loss_rate": 0.0,
            "win_rate_adjusted": 1.0,
        }
    ]
    assert summary["position_consistency"] == {"n_games": 160, "n_consistent": 160, "rate": 1.0}
    assert "bradley_terry" not in summary
    # Game 1 shows player 1 (x) as A, game 2 shows the baseline as A.
    assert all(g.game.g1 == "A" and g.game.g2 == "B" for g in outcome.games)


async def test_a_judge_that_always_says_a_ties_everything(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    runs = [contestant("base", "b"), contestant("x", "x")]
    outcome = await play_pairwise(mtbench_data, runs, all_pairs=False, judge=always_a)
    (row,) = outcome.summary()["rows"]
    assert (row["win"], row["loss"], row["tie"], row["win_rate_adjusted"]) == (0, 0, 160, 0.5)
    assert outcome.summary()["position_consistency"]["rate"] == 0.0


async def test_failed_requests_are_error_games_excluded(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    async def flaky(messages: JudgeMessages, label: str) -> JudgeReply:
        if label == "BA" and "<x 81." in messages.user:
            return JudgeReply(text=None, error="judge request failed: HTTP 500")
        return await prefers("x")(messages, label)

    runs = [contestant("base", "b"), contestant("x", "x")]
    outcome = await play_pairwise(mtbench_data, runs, all_pairs=False, judge=flaky)
    summary = outcome.summary()
    assert summary["games"] == {"played": 160, "counted": 158, "errors": 2, "missing": 0}
    assert summary["rows"][0]["win"] == 158
    bad = [r for r in outcome.game_rows() if r["outcome"] == "error"]
    assert {(r["question_id"], r["turn"]) for r in bad} == {(81, 1), (81, 2)}
    assert all(r["g2_error"] == "judge request failed: HTTP 500" for r in bad)


async def test_all_pairs_rates_every_run_and_adds_bradley_terry(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    runs = [contestant("a", "a"), contestant("b", "b"), contestant("c", "c")]
    outcome = await play_pairwise(mtbench_data, runs, all_pairs=True, judge=prefers("b"))
    summary = outcome.summary(n_resamples=50)
    rows = {r["run_id"]: r for r in summary["rows"]}
    assert set(rows) == {"a", "b", "c"}
    assert (rows["b"]["win"], rows["b"]["loss"], rows["b"]["tie"]) == (320, 0, 0)
    assert (rows["a"]["win"], rows["a"]["loss"], rows["a"]["tie"]) == (0, 160, 160)
    ratings = {r["run_id"]: r for r in summary["bradley_terry"]["ratings"]}
    assert ratings["b"]["rating"] > ratings["a"]["rating"]
    assert abs(ratings["a"]["rating"] - ratings["c"]["rating"]) < 1e-6
