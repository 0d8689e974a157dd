"""Endpoint faults never cost a result: retried with backoff, or recorded as errors.

API-level tests drive :func:`mteval.pipeline.run` against an in-process mock
endpoint whose faults are scripted request by request, with a recording
``sleep`` so that backoff delays are checked exactly and cost no time.
CLI-level tests run the real ``mteval run`` against a mock endpoint process.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from _reliability_helpers import (
    MAIN,
    MAIN_JUDGMENTS,
    MAIN_TURNS,
    api_run,
    endpoint_config,
    judgment_table,
    outcome,
    query,
    read_results,
    run_args,
    stored_requests,
    turn_table,
)

from mteval.config import RetrySettings
from mteval.testing import (
    JUDGE_FAULTS,
    TRANSIENT_FAULTS,
    CallablePolicy,
    EchoPolicy,
    EndpointConfig,
    FaultConfig,
    FaultKind,
    JudgePolicy,
    read_request_log,
    score_for_prompt,
)

from mteval_test_support import run_cli

CLS = "recollection_multi_cls"
RETRY_AFTER_S = 7.0
BASE_DELAY_S = 0.25

# What the error record of a turn says after each transient fault kind.
REASONS = {
    "http_500": "HTTP 500",
    "http_502": "HTTP 502",
    "http_503": "HTTP 503",
    "http_429": "HTTP 429 rate limited",
    "http_429_no_retry_after": "HTTP 429 rate limited",
    "hang": "request timed out",
    "reset": "connection failed",
    "bad_json": "not JSON",
    "no_choices": "the response has no choices",
}
assert set(REASONS) == set(TRANSIENT_FAULTS)


class SleepLog:
    """A backoff ``sleep`` that records the delays (and waits them only when ``real``)."""

    def __init__(self, *, real: bool = False) -> None:
        self.delays: list[float] = []
        self.real = real

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.real:
            await asyncio.sleep(delay)


# -- each transient fault kind -------------------------------------------------------------


@pytest.mark.parametrize("kind", TRANSIENT_FAULTS)
def test_transient_fault_is_retried_with_backoff_then_recorded_as_a_turn_error(
    kind: str, tmp_path: Path, thread_endpoint: Any, figures: Any
) -> None:
    faults = FaultConfig(retry_after_s=RETRY_AFTER_S, hang_s=30)
    endpoint = thread_endpoint(EndpointConfig(models={"m": EchoPolicy()}, faults=faults))
    # Turn 1 fails twice and gets through on the third attempt; turn 2 fails all three.
    endpoint.script_faults([kind, kind, None, kind, kind, kind], model="m")
    sleep = SleepLog()
    db = tmp_path / "run.db"
    results = api_run(
        endpoint,
        db,
        tasks=[CLS],
        limit=1,
        retry=RetrySettings(max_attempts=3, base_delay_s=BASE_DELAY_S, max_delay_s=60),
        timeout_s=0.5,
        sleep=sleep,
    )

    task = results.tasks[CLS]
    assert (task.n_scored, task.n_turn_errors, task.n_not_run, task.n_errors) == (1, 1, 8, 1)
    assert results.status == "finished"

    rows = query(db, "SELECT turn_index, status, attempts, error FROM turns ORDER BY turn_index")
    assert rows[0][:3] == (1, "answered", 3)
    assert rows[1][:3] == (2, "error", 3)
    assert REASONS[kind] in rows[1][3] and "after 3 attempts" in rows[1][3]
    assert all(r[1] == "not_run" and "not run" in r[3] for r in rows[2:])

    stats = endpoint.stats()
    assert stats.by_fault == {kind: 5}
    assert sorted(stats.attempts.values()) == [3, 3]  # two requests, three attempts each

    if kind == "http_429":
        assert sleep.delays == [RETRY_AFTER_S] * 4  # the server's Retry-After, exactly
    else:  # exponential backoff with jitter in [delay/2, delay]
        assert len(sleep.delays) == 4
        for delay, cap in zip(sleep.delays, [1, 2, 1, 2], strict=True):
            assert cap * BASE_DELAY_S / 2 <= delay <= cap * BASE_DELAY_S
    assert results.usage["model"]["retries"] == 4
    figures.add("faults_injected", kind, 5)


def test_retry_after_is_capped_by_the_longest_retry_delay(
    tmp_path: Path, thread_endpoint: Any
) -> None:
    faults = FaultConfig(retry_after_s=3600)
    endpoint = thread_endpoint(EndpointConfig(models={"m": EchoPolicy()}, faults=faults))
    endpoint.script_faults(["http_429"], model="m")
    sleep = SleepLog()
    retry = RetrySettings(max_attempts=3, base_delay_s=0.01, max_delay_s=2.5)
    results = api_run(endpoint, tmp_path / "r.db", tasks=[CLS], limit=1, retry=retry, sleep=sleep)
    assert sleep.delays == [2.5]
    assert results.tasks[CLS].n_scored == 10


def test_total_retry_time_is_bounded(tmp_path: Path, thread_endpoint: Any) -> None:
    endpoint = thread_endpoint(EndpointConfig(models={"m": EchoPolicy()}))
    endpoint.script_faults(["http_503"] * 100, model="m")
    sleep = SleepLog(real=True)
    # Delays double from 0.1 s; a request gives up rather than wait past 1 s in all.
    retry = RetrySettings(max_attempts=100, base_delay_s=0.1, max_delay_s=60, max_total_s=1.0)
    results = api_run(endpoint, tmp_path / "t.db", tasks=[CLS], limit=1, retry=retry, sleep=sleep)
    task = results.tasks[CLS]
    assert (task.n_turn_errors, task.n_not_run) == (1, 9)
    attempts = endpoint.stats().attempts
    assert len(attempts) == 1 and 2 <= next(iter(attempts.values())) <= 5
    assert sum(sleep.delays) <= 1.0


# -- CLI: the retry flags, Retry-After on the wire ------------------------------------------


def _gaps_by_key(log: Path) -> dict[str, list[float]]:
    """Arrival gaps between successive attempts of each request key, from the request log."""
    by_key: dict[str, list[Any]] = defaultdict(list)
    for record in read_request_log(log):
        by_key[str(record.key)].append(record)
    gaps = {}
    for key, records in by_key.items():
        records.sort(key=lambda r: r.seq)
        gaps[key] = [b.arrival - a.arrival for a, b in zip(records, records[1:], strict=False)]
    return gaps


def test_cli_retry_flags_bound_attempts_and_errors_are_counted_per_task(
    tmp_path: Path, endpoint_process: Any
) -> None:
    # Every attempt fails (a 503 storm): each dialogue's first turn gives up.
    storm = FaultConfig(p=1.0, kinds=("http_503",), max_consecutive=1000, seed=3)
    endpoint = endpoint_process(endpoint_config(faults=storm.model_dump(mode="json")), log=True)
    out = tmp_path / "out"
    args = run_args(
        endpoint.base_url,
        tmp_path / "m.db",
        out,
        "--tasks",
        f"{CLS},expansion_multi",
        "--limit",
        "2",
        "--max-attempts",
        "2",
        "--retry-base-delay",
        "0.3",
        "--retry-max-delay",
        "1",
        "--timeout",
        "5",
    )
    result = run_cli(args, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    data = read_results(out)
    assert data["status"] == "finished"
    assert data["scores"]["average"] is None  # nothing scored, nothing faked
    for name, answered in ((CLS, 10), ("expansion_multi", 7)):
        task = data["tasks"][name]
        assert task["n_turns"] == 2 * answered
        assert (task["n_turn_errors"], task["n_not_run"], task["n_errors"]) == (
            2,
            2 * (answered - 1),
            2,
        )
        assert task["n_scored"] == 0 and task["score"] is None
    first_keys = endpoint.stats()["attempts"]
    assert set(first_keys.values()) == {2}  # --max-attempts 2, exactly

    # --retry-max-total bounds the time on one request whatever --max-attempts says.
    out2 = tmp_path / "out2"
    args2 = run_args(
        endpoint.base_url,
        tmp_path / "m2.db",
        out2,
        "--tasks",
        "expansion_multi",
        "--limit",
        "3",
        "--max-attempts",
        "1000",
        "--retry-base-delay",
        "0.05",
        "--retry-max-delay",
        "0.05",
        "--retry-max-total",
        "0.5",
    )
    result = run_cli(args2, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    task = read_results(out2)["tasks"]["expansion_multi"]
    assert (task["n_turn_errors"], task["n_not_run"]) == (3, 18)
    third = {k: n for k, n in endpoint.stats()["attempts"].items() if k not in first_keys}
    assert len(third) == 1  # the third dialogue's first request: 0.5 s of attempts
    assert 2 <= next(iter(third.values())) < 40

    # --retry-base-delay on the wire: the second attempt came at least delay/2 later
    # (the backoff's jitter draws from [delay/2, delay]).
    endpoint.stop()
    assert endpoint.log_path is not None
    gaps = _gaps_by_key(endpoint.log_path)
    for key in first_keys:
        assert gaps[key][0] >= 0.3 / 2 * 0.95


def test_cli_timeout_ends_a_hung_request_and_it_is_retried(
    tmp_path: Path, endpoint_process: Any
) -> None:
    hang = FaultConfig(p=1.0, kinds=("hang",), max_consecutive=1000, hang_s=600)
    endpoint = endpoint_process(endpoint_config(faults=hang.model_dump(mode="json")))
    out = tmp_path / "out"
    args = run_args(
        endpoint.base_url,
        tmp_path / "h.db",
        out,
        "--tasks",
        CLS,
        "--limit",
        "1",
        "--max-attempts",
        "2",
        "--timeout",
        "0.5",
        judge=False,
    )
    result = run_cli(args, cwd=tmp_path, timeout=120)
    assert result.returncode == 3, result.stderr
    task = read_results(out)["tasks"][CLS]
    assert (task["n_turn_errors"], task["n_not_run"]) == (1, 9)
    (error,) = [
        e
        for (e,) in query(
            tmp_path / "h.db",
            "SELECT error FROM turns WHERE error IS NOT NULL AND status = 'error'",
        )
    ]
    assert "request timed out" in error and "after 2 attempts" in error
    assert list(endpoint.stats()["attempts"].values()) == [2]


def test_cli_honours_retry_after_on_the_wire(tmp_path: Path, endpoint_process: Any) -> None:
    retry_after = 0.6
    faults = FaultConfig(p=1.0, kinds=("http_429",), max_consecutive=1, retry_after_s=retry_after)
    endpoint = endpoint_process(endpoint_config(faults=faults.model_dump(mode="json")), log=True)
    capped = FaultConfig(p=1.0, kinds=("http_429",), max_consecutive=1, retry_after_s=30)
    slow = endpoint_process(endpoint_config(faults=capped.model_dump(mode="json")), log=True)
    single = ("--tasks", "recollection_single_cls", "--limit", "4")
    honoured = run_cli(
        run_args(
            endpoint.base_url,
            tmp_path / "a.db",
            tmp_path / "a",
            *single,
            "--retry-max-delay",
            "60",
            judge=False,
        ),
        cwd=tmp_path,
    )
    assert honoured.returncode == 0, honoured.stderr
    capped_run = run_cli(
        run_args(
            slow.base_url,
            tmp_path / "b.db",
            tmp_path / "b",
            *single,
            "--retry-max-delay",
            "0.1",
            judge=False,
        ),
        cwd=tmp_path,
    )
    assert capped_run.returncode == 0, capped_run.stderr
    for results_dir in ("a", "b"):
        assert (
            read_results(tmp_path / results_dir)["tasks"]["recollection_single_cls"]["n_scored"]
            == 4
        )
    endpoint.stop()
    slow.stop()  # flushes the request logs

    def gaps(log: Path | None) -> list[float]:
        assert log is not None
        records = read_request_log(log)
        assert [r.status for r in records].count(429) == [r.status for r in records].count(200)
        return [g for key_gaps in _gaps_by_key(log).values() for g in key_gaps]

    honoured_gaps = gaps(endpoint.log_path)
    assert len(honoured_gaps) == 4
    # The base delay is 0.01 s: only an honoured Retry-After explains these waits.
    assert min(honoured_gaps) >= retry_after * 0.95
    capped_gaps = gaps(slow.log_path)
    # Retry-After: 30 capped by --retry-max-delay 0.1 (generous margin for a loaded machine).
    assert max(capped_gaps) < 10


# -- judge faults ------------------------------------------------------------------------------

JUDGE_PROBLEMS = {
    "judge_not_json": "holds no JSON object",
    "judge_no_score": "has no Score field",
    "judge_out_of_range": "is outside 1-10",
    "judge_non_integer": "is not an integer",
}
assert set(JUDGE_PROBLEMS) == set(JUDGE_FAULTS)


@pytest.mark.parametrize("kind", JUDGE_FAULTS)
def test_unusable_judge_replies_are_asked_again_then_recorded_as_judge_errors(
    kind: FaultKind, tmp_path: Path, thread_endpoint: Any, figures: Any
) -> None:
    task_name = "expansion_multi"

    def config(max_consecutive: int) -> EndpointConfig:
        # Faults follow the judge prompt: a re-ask varies the request (seed, temperature).
        faults = FaultConfig(
            p=1.0, kinds=(kind,), max_consecutive=max_consecutive, seed=1, per="prompt"
        )
        return EndpointConfig(models={"m": EchoPolicy(), "judge": JudgePolicy()}, faults=faults)

    # Two unusable replies, then a good one: the third ask scores.
    endpoint = thread_endpoint(config(max_consecutive=2))
    asked_again = api_run(endpoint, tmp_path / "a.db", tasks=[task_name], limit=1, judge=True)
    task = asked_again.tasks[task_name]
    assert (task.n_scored, task.n_judge_errors) == (7, 0)
    judged = query(tmp_path / "a.db", "SELECT attempts FROM judgments")
    assert {a for (a,) in judged} == {3}
    stats = endpoint.stats()
    injected = stats.by_fault[kind]
    assert injected == 14  # two unusable replies per judgment
    # Seven model requests sent once; seven judge prompts asked three times each, each
    # time a different request (a re-ask varies the seed and temperature).
    assert sorted(stats.attempts.values()) == [1] * (7 + 7 * 3)
    prompts = query(
        tmp_path / "a.db",
        "SELECT j.score, c.request FROM judgments j JOIN completions c ON c.key = j.judge_key",
    )
    assert len(prompts) == 7
    for score, request in prompts:
        prompt = json.loads(zlib.decompress(request))["messages"][0]["content"]
        assert score == score_for_prompt(prompt)

    # Three unusable replies: a judge error on every turn, never a score.
    endpoint.set_config(config(max_consecutive=3))
    endpoint.reset()
    db = tmp_path / "b.db"
    failed = api_run(endpoint, db, tasks=[task_name], limit=1, judge=True)
    task = failed.tasks[task_name]
    assert (task.n_scored, task.n_judge_errors, task.n_errors, task.score) == (0, 7, 7, None)
    assert task.n_turn_errors == 0 and task.n_not_run == 0
    assert failed.scores["expansion"] is None
    rows = query(db, "SELECT status, score, error, attempts FROM judgments")
    assert len(rows) == 7
    for status, score, error, attempts in rows:
        assert (status, score, attempts) == ("error", None, 3)
        assert JUDGE_PROBLEMS[kind] in error and "asked 3 times" in error
    injected += endpoint.stats().by_fault[kind]

    # Rerunning leaves those judge errors be (they spent their attempts): nothing is sent.
    endpoint.set_config(config(max_consecutive=0).model_copy(update={"faults": FaultConfig()}))
    endpoint.reset()
    again = api_run(endpoint, db, tasks=[task_name], limit=1, judge=True)
    assert again.tasks[task_name].n_judge_errors == 7
    assert endpoint.stats().by_model == {}
    # Retrying the errors asks the judge again for exactly those seven turns, and nothing else.
    again = api_run(endpoint, db, tasks=[task_name], limit=1, judge=True, retry_errors=True)
    assert again.tasks[task_name].n_scored == 7
    assert endpoint.stats().by_model == {"judge": 7}
    figures.add("faults_injected", kind, injected)


def test_a_judge_request_that_fails_for_good_is_a_judge_error(
    tmp_path: Path, thread_endpoint: Any
) -> None:
    faults = FaultConfig(p=1.0, kinds=("http_500",), max_consecutive=1000)
    endpoint = thread_endpoint(
        EndpointConfig(models={"m": EchoPolicy(), "judge": JudgePolicy()}, faults=faults)
    )
    # The model gets through (scripted clean replies override the storm); the judge does not.
    endpoint.script_faults([None] * 7, model="m")
    results = api_run(endpoint, tmp_path / "j.db", tasks=["expansion_multi"], limit=1, judge=True)
    task = results.tasks["expansion_multi"]
    assert (task.n_scored, task.n_judge_errors, task.n_turn_errors) == (0, 7, 0)
    errors = [e for (e,) in query(tmp_path / "j.db", "SELECT error FROM judgments")]
    assert all(e.startswith("judge request failed: HTTP 500") for e in errors)


# -- empty replies and truncated ones ----------------------------------------------------------


def test_empty_replies_are_asked_again_then_accepted_and_length_is_kept(
    tmp_path: Path, thread_endpoint: Any, figures: Any
) -> None:
    endpoint = thread_endpoint(EndpointConfig(models={"m": EchoPolicy()}))
    # Turn 1: empty once, then an answer. Turn 2: empty three times: accepted as empty.
    # Turn 3: cut short (finish_reason "length"): kept as it is, not asked again.
    script = ["empty_content", None, "empty_content", "empty_content", "empty_content", "length"]
    endpoint.script_faults(script, model="m")
    db = tmp_path / "e.db"
    retry = RetrySettings(max_attempts=6, base_delay_s=0.01)
    results = api_run(endpoint, db, tasks=[CLS], limit=1, retry=retry, sleep=SleepLog())
    assert results.tasks[CLS].n_scored == 10
    rows = query(
        db,
        "SELECT t.turn_index, t.status, t.response, t.finish_reason, t.attempts, j.status"
        " FROM turns t JOIN judgments j USING (run_id, task, dialogue_id, position)"
        " ORDER BY t.turn_index",
    )
    first, second, third = rows[0], rows[1], rows[2]
    assert first[1] == "answered" and first[2] and first[4] == 2
    assert second[1:5] == ("answered", "", "stop", 3) and second[5] == "scored"
    assert third[1] == "answered" and third[3] == "length" and third[4] == 1
    assert third[5] == "scored"
    assert all(r[3] == "stop" for r in rows[3:])
    # The truncated reply is the first half of the full (echoed) one.
    records = endpoint.records()
    assert records[-1].fault is None and records[-8].fault == "length"
    figures.add("faults_injected", "empty_content", 4)
    figures.add("faults_injected", "length", 1)


# -- a request that fails for good; --retry-errors --------------------------------------------


def _unique_turn(task_set: Any, dialogue: int, answered: int, others: list[Any]) -> str:
    turns = [t for t in task_set.dialogues[dialogue].turns if t.do_inference]
    text: str = turns[answered - 1].user
    everywhere = [t.user for ts in others for d in ts.dialogues for t in d.turns if t.do_inference]
    assert everywhere.count(text) == 1, "pick a turn whose text is unique"
    return text


def test_failed_turns_mark_later_turns_not_run_and_retry_errors_resends_only_those(
    tmp_path: Path, thread_endpoint: Any, figures: Any
) -> None:
    from mteval.benchmarks.mt_eval import SourceFiles
    from mteval.benchmarks.mt_eval.tasks import TASKS

    from mteval_test_support import DATA_DIR

    sources = SourceFiles(DATA_DIR)
    refinement = TASKS["refinement_multi"].load(sources)
    cls = TASKS[CLS].load(sources)
    limited = [
        type(refinement)(name=refinement.name, dialogues=refinement.dialogues[:2]),
        type(cls)(name=cls.name, dialogues=cls.dialogues[:2]),
    ]
    broken = {
        _unique_turn(limited[0], 0, 3, limited),  # refinement dialogue 1, turn 3 of 12
        _unique_turn(limited[1], 1, 1, limited),  # classification dialogue 2, turn 1 of 10
    }

    def answer(body: dict[str, Any]) -> str:
        text = body["messages"][-1]["content"]
        if text in broken:
            raise RuntimeError("this turn is broken today")
        return str(text)

    endpoint = thread_endpoint(
        EndpointConfig(models={"m": CallablePolicy(fn=answer), "judge": JudgePolicy()})
    )
    out = tmp_path / "out"
    db = tmp_path / "r.db"
    args = run_args(
        endpoint.base_url,
        db,
        out,
        "--tasks",
        f"refinement_multi,{CLS}",
        "--limit",
        "2",
        "--max-attempts",
        "3",
        model="m",
    )
    first = run_cli(args, cwd=tmp_path)
    assert first.returncode == 3, first.stderr
    data = read_results(out)
    run_id = data["run_id"]
    expected = {"refinement_multi": (1, 9, 24 - 10), CLS: (1, 9, 20 - 10)}
    for name, (n_errors, not_run, scored) in expected.items():
        task = data["tasks"][name]
        assert (task["n_turn_errors"], task["n_not_run"], task["n_scored"]) == (
            n_errors,
            not_run,
            scored,
        )
        assert task["n_errors"] == n_errors
    errors = query(db, "SELECT error FROM turns WHERE status = 'error'")
    assert len(errors) == 2 and all("HTTP 500" in e and "after 3 attempts" in e for (e,) in errors)
    answered_keys = {
        k for (k,) in query(db, "SELECT completion_key FROM turns WHERE status = 'answered'")
    }
    judged_before = judgment_table(db, run_id)

    # The same command again, still broken: only the two failed requests are sent again.
    endpoint.reset()
    again = run_cli(args, cwd=tmp_path)
    assert again.returncode == 3, again.stderr
    stats = endpoint.stats()
    assert stats.by_model == {"m": 2 * 3}
    assert read_results(out)["run_id"] == run_id

    # Fixed: --retry-errors sends the two failed turns and the 18 turns that never ran,
    # and judges the 10 refinement turns among them; nothing answered or scored is re-sent.
    # (Judge prompts that equal one already judged come from the cache: at most 10.)
    stored_before = set(stored_requests(db).values())
    broken.clear()
    endpoint.reset()
    retried = run_cli(
        [
            "run",
            "--retry-errors",
            run_id,
            "--db",
            str(db),
            "--output-dir",
            str(out),
            "--no-progress",
            "--retry-base-delay",
            "0.01",
        ],
        cwd=tmp_path,
    )
    assert retried.returncode == 0, retried.stderr
    stats = endpoint.stats()
    assert stats.by_model["m"] == 2 + 18
    assert 1 <= stats.by_model["judge"] <= 1 + 9
    assert set(stats.attempts.values()) == {1}
    assert not set(stats.attempts) & stored_before, "a stored completion was requested again"
    final = read_results(out)
    assert final["run_id"] == run_id
    for name in expected:
        task = final["tasks"][name]
        assert (task["n_scored"], task["n_errors"], task["n_not_run"]) == (task["n_turns"], 0, 0)
    after = judgment_table(db, run_id)
    for key, value in judged_before.items():
        assert after[key] == value, "a scored judgment changed"
    still = {k for (k,) in query(db, "SELECT completion_key FROM turns WHERE status='answered'")}
    assert answered_keys <= still

    # And the repaired run equals a run that never failed.
    clean = api_run(
        endpoint, tmp_path / "clean.db", tasks=["refinement_multi", CLS], limit=2, judge=True
    )
    assert final["scores"] == clean.model_dump(mode="json")["scores"]
    figures.add("retry_errors", "failed_turns_repaired", 2)
    figures.add("retry_errors", "not_run_turns_repaired", 18)


def test_rerunning_the_command_with_more_attempts_retries_the_errors_with_them(
    tmp_path: Path, endpoint_process: Any
) -> None:
    # Each request fails 4 times in a row, then gets through.
    storm = FaultConfig(p=1.0, kinds=("http_503",), max_consecutive=4, seed=5)
    endpoint = endpoint_process(endpoint_config(faults=storm.model_dump(mode="json")))
    out, db = tmp_path / "out", tmp_path / "s.db"
    base = ("--tasks", CLS, "--limit", "1", "--retry-base-delay", "0.01")
    first = run_cli(
        run_args(endpoint.base_url, db, out, *base, "--max-attempts", "2", judge=False),
        cwd=tmp_path,
    )
    assert first.returncode == 3, first.stderr
    run_id = read_results(out)["run_id"]
    assert read_results(out)["tasks"][CLS]["n_turn_errors"] == 1
    # Retry settings are not part of the run's identity: the same run, with 6 attempts.
    again = run_cli(
        run_args(endpoint.base_url, db, out, *base, "--max-attempts", "6", judge=False),
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    data = read_results(out)
    assert data["run_id"] == run_id
    assert data["tasks"][CLS]["n_scored"] == 10


def test_retry_errors_uses_the_retry_flags_given_with_it(
    tmp_path: Path, endpoint_process: Any
) -> None:
    # Each request fails 4 times in a row, then gets through.
    storm = FaultConfig(p=1.0, kinds=("http_503",), max_consecutive=4, seed=5)
    endpoint = endpoint_process(endpoint_config(faults=storm.model_dump(mode="json")))
    out, db = tmp_path / "out", tmp_path / "s.db"
    base = ("--tasks", CLS, "--limit", "1", "--retry-base-delay", "0.01")
    first = run_cli(
        run_args(endpoint.base_url, db, out, *base, "--max-attempts", "2", judge=False),
        cwd=tmp_path,
    )
    assert first.returncode == 3, first.stderr
    run_id = read_results(out)["run_id"]
    assert read_results(out)["tasks"][CLS]["n_turn_errors"] == 1
    # A storm: retry what failed, allowing more attempts this time.
    again = run_cli(
        [
            "run",
            "--retry-errors",
            run_id,
            "--db",
            str(db),
            "--output-dir",
            str(out),
            "--no-progress",
            "--retry-base-delay",
            "0.01",
            "--max-attempts",
            "6",
        ],
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    assert read_results(out)["tasks"][CLS]["n_scored"] == 10


# -- a 10% transient fault rate over the full main table ---------------------------------------


@pytest.mark.slow
def test_ten_percent_faults_over_the_main_table_change_no_result(
    tmp_path: Path, endpoint_process: Any, main_reference: dict[str, Any], figures: Any
) -> None:
    faults = FaultConfig(p=0.10, seed=20240131, retry_after_s=0.05, hang_s=60)
    endpoint = endpoint_process(endpoint_config(faults=faults.model_dump(mode="json")))
    db, out = tmp_path / "faulty.db", tmp_path / "out"
    result = run_cli(
        run_args(endpoint.base_url, db, out, "--max-connections", "32", "--timeout", "2"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = read_results(out)
    stats = endpoint.stats()
    injected = stats["by_fault"]
    assert set(injected) == set(TRANSIENT_FAULTS), injected
    total = sum(injected.values())
    distinct = len(stats["attempts"])  # equal requests (same messages) are sent once
    assert 0.07 * distinct < total < 0.14 * distinct

    assert sum(t["n_scored"] for t in data["tasks"].values()) == MAIN_TURNS
    assert all(t["n_errors"] == 0 and t["n_not_run"] == 0 for t in data["tasks"].values())
    reference = main_reference["results"]
    assert outcome(data) == outcome(reference)
    # Turn by turn: the same replies and the same scores.
    assert turn_table(db, data["run_id"]) == turn_table(
        main_reference["db"], main_reference["run_id"]
    )
    assert judgment_table(db, data["run_id"]) == judgment_table(
        main_reference["db"], main_reference["run_id"]
    )
    assert data["usage"]["model"]["retries"] + data["usage"]["judge"]["retries"] >= total
    assert len(data["tasks"]) == len(MAIN)
    for kind, n in injected.items():
        figures.add("faults_injected", kind, n)
    figures.put("ten_percent_run", "turns_and_judgments", MAIN_TURNS + MAIN_JUDGMENTS)
    figures.put("ten_percent_run", "distinct_requests", distinct)
    figures.put("ten_percent_run", "attempts_sent", stats["requests"])
    figures.put("ten_percent_run", "faults_injected", total)
    figures.put("ten_percent_run", "turns_scored", MAIN_TURNS)
    figures.put("ten_percent_run", "results_differing_from_fault_free", 0)
