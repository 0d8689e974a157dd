"""Failures that cannot go unnoticed: exit statuses, reasons, signals, judge re-asks."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from _reliability_helpers import (
    count_or_zero,
    endpoint_config,
    error_lines,
    integrity,
    popen_cli,
    query,
    read_results,
    run_args,
    wait_until,
)

from mteval.testing import (
    CallablePolicy,
    EchoPolicy,
    EndpointConfig,
    FaultConfig,
    score_for_prompt,
)

from mteval_test_support import run_cli

CLS = "recollection_multi_cls"
EXIT_INCOMPLETE = 3


# -- a run that did not score everything says so -----------------------------------------------


def test_a_run_with_failed_turns_exits_3_with_the_reasons_and_the_retry_command(
    tmp_path: Path, thread_endpoint: Any
) -> None:
    def short_memory(body: dict[str, Any]) -> str:
        # The server fails every request with a long history (HTTP 500 after retries).
        if len(body["messages"]) >= 8:
            raise RuntimeError("history too long today")
        return str(body["messages"][-1]["content"])

    endpoint = thread_endpoint(EndpointConfig(models={"m": CallablePolicy(fn=short_memory)}))
    db, out = tmp_path / "f.db", tmp_path / "out"
    args = run_args(
        endpoint.base_url, db, out, "--tasks", CLS, "--limit", "2", "--max-attempts", "2",
        model="m", judge=False,
    )  # fmt: skip
    failed = run_cli(args, cwd=tmp_path)

    assert failed.returncode == EXIT_INCOMPLETE, failed.stderr
    assert "Traceback" not in failed.stderr
    data = read_results(out)
    task = data["tasks"][CLS]
    errors, not_run, scored = task["n_turn_errors"], task["n_not_run"], task["n_scored"]
    assert errors == 2 and not_run > 0 and scored > 0
    stderr = " ".join(failed.stderr.split())
    assert f"incomplete: {20 - scored} of 20 turns are not scored" in stderr
    assert f"{not_run} × not run: not run: turn of this dialogue failed" in stderr
    assert "2 × turn error: HTTP 500: The reply policy failed" in stderr
    assert f"(e.g. {CLS} " in stderr
    assert f"retry them: mteval run --retry-errors {data['run_id']} --db {db}" in stderr
    # The table marks the partial scores and says what is missing; Pending column.
    stdout = " ".join(failed.stdout.split())
    assert "Pending" in stdout
    assert "* partial, not the benchmark's number" in stdout
    assert "Expansion: not in this run" in stdout
    assert f"Recollection: {scored} of 20 turns scored" in stdout

    # The endpoint recovers: the printed command finishes the run, and exits 0.
    endpoint.set_config(EndpointConfig(models={"m": EchoPolicy()}))
    retried = run_cli(
        ["run", "--retry-errors", data["run_id"], "--db", str(db), "--output-dir", str(out),
         "--no-progress", "--retry-base-delay", "0.01"],
        cwd=tmp_path,
    )  # fmt: skip
    assert retried.returncode == 0, retried.stderr
    assert read_results(out)["tasks"][CLS]["n_scored"] == 20
    assert "incomplete" not in retried.stderr


def test_a_complete_run_exits_0_and_reports_the_concurrency_used(
    tmp_path: Path, thread_endpoint: Any
) -> None:
    endpoint = thread_endpoint(EndpointConfig(models={"m": EchoPolicy()}))
    out = tmp_path / "out"
    args = run_args(
        endpoint.base_url,
        tmp_path / "c.db",
        out,
        "--tasks",
        CLS,
        "--limit",
        "2",
        model="m",
        judge=False,
    )
    result = run_cli(args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "concurrency: model adaptive, limit" in " ".join(result.stderr.split())
    used = read_results(out)["usage"]["concurrency"]["model"]
    assert used["mode"] == "adaptive" and used["ceiling"] == 32

    fixed = run_cli([*args, "--no-adaptive", "--max-connections", "3", "--new-run"], cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert "concurrency: model fixed 3" in " ".join(fixed.stderr.split())


def test_usage_accumulates_across_resumes(tmp_path: Path, thread_endpoint: Any) -> None:
    storm = FaultConfig(p=1.0, kinds=("http_500",), max_consecutive=1000)
    endpoint = thread_endpoint(EndpointConfig(models={"m": EchoPolicy()}, faults=storm))
    db, out = tmp_path / "u.db", tmp_path / "out"
    args = run_args(
        endpoint.base_url,
        db,
        out,
        "--tasks",
        CLS,
        "--limit",
        "1",
        "--max-attempts",
        "1",
        model="m",
        judge=False,
    )
    first = run_cli(args, cwd=tmp_path)
    assert first.returncode == EXIT_INCOMPLETE, first.stderr
    once = read_results(out)["usage"]
    assert (once["model"]["requests"], once["model"]["failures"], once["invocations"]) == (1, 1, 1)

    # The same command again, the endpoint healthy: its counters add to the first's.
    endpoint.set_config(EndpointConfig(models={"m": EchoPolicy()}))
    again = run_cli(args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    twice = read_results(out)["usage"]
    assert (twice["model"]["requests"], twice["model"]["failures"]) == (1 + 10, 1)
    assert twice["invocations"] == 2
    assert twice["model"]["failure_kinds"] == {"server": 1}
    assert twice["wall_time_s"] >= once["wall_time_s"]


# -- SIGTERM and SIGHUP are handled like Ctrl-C -------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_stores_the_run_as_interrupted_and_the_rerun_finishes_it(
    signum: int, tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process(endpoint_config(latency_s=0.05))
    db, out = tmp_path / "sig.db", tmp_path / "out"
    tasks = ("--tasks", "recollection_multi_cls,expansion_multi", "--limit", "3")
    args = run_args(endpoint.base_url, db, out, *tasks, "--max-connections", "2")
    process = popen_cli(args, cwd=tmp_path)
    assert wait_until(
        lambda: (
            count_or_zero(db, "SELECT COUNT(*) FROM completions") >= 8 or process.poll() is not None
        ),
        timeout=120,
    )
    assert process.poll() is None, "the run ended before the signal"
    os.kill(process.pid, signum)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    lines = error_lines(stderr)
    name = signal.Signals(signum).name
    assert lines[-1].startswith(f"interrupted ({name}):")
    assert "run the same command again" in lines[-1]
    assert sum(line.startswith("interrupted") for line in lines) == 1
    ((run_id, status),) = query(db, "SELECT run_id, status FROM runs")
    assert status == "interrupted"
    assert integrity(db) == "ok"

    resumed = run_cli(args, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    data = read_results(out)
    assert data["run_id"] == run_id and data["status"] == "finished"
    assert all(t["n_scored"] == t["n_turns"] for t in data["tasks"].values())
    assert data["usage"]["invocations"] == 2


# -- judge re-asks that can succeed ------------------------------------------------------------


def _recording(fn: Any, seen: list[dict[str, Any]]) -> CallablePolicy:
    def policy(body: dict[str, Any]) -> str:
        seen.append(body)
        return str(fn(body))

    return CallablePolicy(fn=policy)


def _verdict(body: dict[str, Any]) -> str:
    prompt = body["messages"][-1]["content"]
    return json.dumps({"Rationale": "fine", "Score": score_for_prompt(prompt)})


def test_a_greedy_judge_that_fails_once_is_reasked_with_a_varied_request(
    tmp_path: Path, thread_endpoint: Any
) -> None:
    seen: list[dict[str, Any]] = []

    def greedy(body: dict[str, Any]) -> str:
        # Deterministic at temperature 0: the same unusable reply every time.
        return "I cannot judge this." if body.get("temperature") == 0 else _verdict(body)

    endpoint = thread_endpoint(
        EndpointConfig(models={"m": EchoPolicy(), "judge": _recording(greedy, seen)})
    )
    db, out = tmp_path / "j.db", tmp_path / "out"
    args = run_args(
        endpoint.base_url, db, out, "--tasks", "expansion_multi", "--limit", "1", model="m"
    )
    result = run_cli(args, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert read_results(out)["tasks"]["expansion_multi"]["n_scored"] == 7
    assert len(seen) == 14
    by_prompt: dict[str, list[dict[str, Any]]] = {}
    for body in seen:
        by_prompt.setdefault(body["messages"][-1]["content"], []).append(body)
    for bodies in by_prompt.values():
        first, second = sorted(bodies, key=lambda b: b["temperature"])
        assert (first["temperature"], first["seed"]) == (0, 111)
        assert second["temperature"] > 0 and second["seed"] != 111
        assert first["messages"] == second["messages"]
    rows = query(db, "SELECT status, attempts FROM judgments")
    assert rows == [("scored", 2)] * 7  # each verdict says it came from the second ask


def test_judge_errors_that_spent_their_attempts_are_not_reasked_by_a_rerun(
    tmp_path: Path, thread_endpoint: Any
) -> None:
    seen: list[dict[str, Any]] = []
    endpoint = thread_endpoint(
        EndpointConfig(
            models={
                "m": EchoPolicy(),
                "judge": _recording(lambda body: "I cannot judge this.", seen),
            }
        )
    )
    db, out = tmp_path / "k.db", tmp_path / "out"
    args = run_args(
        endpoint.base_url, db, out, "--tasks", "expansion_multi", "--limit", "1", model="m"
    )
    first = run_cli(args, cwd=tmp_path)

    assert first.returncode == EXIT_INCOMPLETE, first.stderr
    assert "7 × judge error: unusable judge reply" in " ".join(first.stderr.split())
    assert len(seen) == 21
    for prompt in {b["messages"][-1]["content"] for b in seen}:
        asks = [
            json.dumps(b, sort_keys=True) for b in seen if b["messages"][-1]["content"] == prompt
        ]
        assert len(asks) == 3 and len(set(asks)) == 3  # three different requests
    run_id = read_results(out)["run_id"]

    # The same command again: the judge errors stand, no judge request is sent.
    seen.clear()
    again = run_cli(args, cwd=tmp_path)
    assert again.returncode == EXIT_INCOMPLETE, again.stderr
    assert seen == []
    assert read_results(out)["tasks"]["expansion_multi"]["n_judge_errors"] == 7

    # --retry-errors asks them again, each with new seeds.
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
        ],
        cwd=tmp_path,
    )
    assert retried.returncode == EXIT_INCOMPLETE, retried.stderr
    assert len(seen) == 21
    assert {b["seed"] for b in seen} == {114, 115, 116}
    assert query(db, "SELECT DISTINCT attempts FROM judgments") == [(6,)]
