"""Every judge call a verdict rests on is stored in its own table, errors included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _reliability_helpers import api_run, query

from mteval.store import RunStore
from mteval.testing import EchoPolicy, EndpointConfig, FaultConfig, JudgePolicy

TASK = "expansion_multi"


def faulty(max_consecutive: int) -> EndpointConfig:
    faults = FaultConfig(
        p=1.0, kinds=("judge_not_json",), max_consecutive=max_consecutive, seed=1, per="prompt"
    )
    return EndpointConfig(models={"m": EchoPolicy(), "judge": JudgePolicy()}, faults=faults)


def test_a_verdict_keeps_its_unusable_calls_and_the_one_that_scored(
    tmp_path: Path, thread_endpoint: Any
) -> None:
    endpoint = thread_endpoint(faulty(max_consecutive=2))
    db = tmp_path / "calls.db"
    results = api_run(endpoint, db, tasks=[TASK], limit=1, judge=True)
    assert results.tasks[TASK].n_scored == 7
    with RunStore(db, read_only=True) as store:
        calls = store.judge_calls(results.run_id)
        judgments = {
            (j.task, j.dialogue_id, j.position): j for j in store.judgments(results.run_id)
        }
    assert set(calls) == set(judgments)
    for key, made in calls.items():
        verdict = judgments[key]
        assert [c.index for c in made] == [0, 1, 2]
        # Two unusable replies, counted as errors with their text; the third is the score.
        assert [c.error is not None for c in made] == [True, True, False]
        assert all(c.reply for c in made) and made[0].value is None
        assert made[2].value == verdict.score and made[2].judge_key == verdict.judge_key
        assert {c.prompt_key for c in made} == {verdict.prompt_key}
        assert {c.template for c in made} == {"expansion_evaluation"}
        assert len({c.judge_key for c in made}) == 3  # three distinct requests


def test_retrying_a_failed_verdict_adds_its_calls_after_the_earlier_ones(
    tmp_path: Path, thread_endpoint: Any
) -> None:
    endpoint = thread_endpoint(faulty(max_consecutive=3))
    db = tmp_path / "retry.db"
    failed = api_run(endpoint, db, tasks=[TASK], limit=1, judge=True)
    assert failed.tasks[TASK].n_judge_errors == 7
    endpoint.set_config(faulty(max_consecutive=0).model_copy(update={"faults": FaultConfig()}))
    endpoint.reset()
    again = api_run(endpoint, db, tasks=[TASK], limit=1, judge=True, retry_errors=True)
    assert again.tasks[TASK].n_scored == 7
    rows = query(
        db,
        "SELECT c.dialogue_id, c.position, c.call_index, c.error, c.value, j.score"
        " FROM judge_calls c JOIN judgments j USING (run_id, task, dialogue_id, position)"
        " ORDER BY c.dialogue_id, c.position, c.call_index",
    )
    assert len(rows) == 7 * 4
    by_turn: dict[tuple[str, int], list[tuple[Any, ...]]] = {}
    for dialogue_id, position, *rest in rows:
        by_turn.setdefault((dialogue_id, position), []).append(tuple(rest))
    for made in by_turn.values():
        # Three unusable calls of the first attempt, then the retry's call that scored.
        assert [index for index, *_ in made] == [0, 1, 2, 3]
        assert [error is not None for _, error, _, _ in made] == [True, True, True, False]
        _, _, value, score = made[3]
        assert json.loads(value) == score
