"""Crashes never cost a result: ``kill -9``, Ctrl-C and two processes on one store.

Each test runs the real ``mteval run`` in a child process against a mock endpoint
process, watches the store from outside with read-only connections, and checks the
store with ``PRAGMA integrity_check`` after every blow.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from _reliability_helpers import (
    api_run,
    count_or_zero,
    endpoint_config,
    error_lines,
    integrity,
    judgment_table,
    outcome,
    popen_cli,
    query,
    read_results,
    run_args,
    stored_requests,
    turn_table,
    wait_until,
)

from mteval.pipeline import build_config, run
from mteval.testing import EchoPolicy, EndpointConfig, JudgePolicy

from mteval_test_support import run_cli

COMPLETIONS = "SELECT COUNT(*) FROM completions"


def _wal_state(db: Path) -> tuple[int, int]:
    # The WAL is rewritten in place after a checkpoint: watch its mtime, not just its size.
    try:
        stat = os.stat(f"{db}-wal")
    except FileNotFoundError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


class KillPoint:
    """When to kill: a description and a predicate over the store."""

    def __init__(self, name: str, db: Path, *, at_least: int = 0, wal: bool = False) -> None:
        self.name = name
        self.db = db
        self.at_least = at_least
        self.wal = wal
        self._last_wal: tuple[int, int] | None = None

    def reached(self) -> bool:
        if self.at_least == 0 and not self.wal:
            return self.db.exists()  # the store is being created
        if count_or_zero(self.db, COMPLETIONS) < self.at_least:
            return False
        if not self.wal:
            return True
        # Right after a batch of writes lands in the WAL, while the next one is written.
        state = _wal_state(self.db)
        if self._last_wal is None:
            self._last_wal = state
            return False
        return state != self._last_wal


@pytest.mark.slow
def test_kill_9_at_six_points_loses_nothing_and_resends_nothing(
    tmp_path: Path, endpoint_process: Any, main_reference: dict[str, Any], figures: Any
) -> None:
    endpoint = endpoint_process(endpoint_config(latency_s=0.002))
    db, out = tmp_path / "killed.db", tmp_path / "out"
    args = run_args(endpoint.base_url, db, out, "--max-connections", "16")
    # The main table is about 1,750 distinct requests (equal requests are sent once); the
    # last kill comes well before the end, as the store may commit the tail all at once.
    points = [
        KillPoint("while the store is created", db),
        KillPoint("after 150 stored completions", db, at_least=150),
        KillPoint("as a write batch lands (WAL written), after 400", db, at_least=400, wal=True),
        KillPoint("after 650 stored completions", db, at_least=650),
        KillPoint("as a write batch lands (WAL written), after 900", db, at_least=900, wal=True),
        KillPoint("after 1100 stored completions", db, at_least=1100),
    ]
    # Endpoint attempts per request key, when its response was first seen stored.
    attempts_when_stored: dict[str, int] = {}
    turns_before: dict[Any, Any] = {}
    judgments_before: dict[Any, Any] = {}
    kills: list[dict[str, Any]] = []
    for point in points:
        if point.at_least:
            # The store commits in batches: each kill waits for this process's own writes.
            point.at_least = max(point.at_least, count_or_zero(db, COMPLETIONS) + 1)
        process = popen_cli(args, cwd=tmp_path, stderr=subprocess.DEVNULL)

        def due(process: subprocess.Popen[str] = process, point: KillPoint = point) -> bool:
            return point.reached() or process.poll() is not None

        reached = wait_until(due, timeout=120, poll=0.002)
        assert reached and process.poll() is None, f"the run ended before the kill: {point.name}"
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)
        assert process.returncode == -signal.SIGKILL
        assert integrity(db) == "ok", point.name
        stored = count_or_zero(db, COMPLETIONS)
        attempts = endpoint.stats()["attempts"]  # the killed client sends nothing more
        stored_keys = set(stored_requests(db).values()) if stored else set()
        for key in stored_keys:
            attempts_when_stored.setdefault(key, attempts[key])
        kills.append(
            {
                "point": point.name,
                "completions_stored": stored,
                # Sent (and mostly answered) but not yet written when the process died:
                # these are the requests a resume sends again.
                "requests_unstored_at_kill": len(set(attempts) - stored_keys),
            }
        )
        if stored:
            (run_id,) = [r[0] for r in query(db, "SELECT run_id FROM runs")]
            turns_before.update(
                {k: v for k, v in turn_table(db, run_id).items() if v[0] == "answered"}
            )
            judgments_before.update(
                {k: v for k, v in judgment_table(db, run_id).items() if v[0] == "scored"}
            )
    assert [k["completions_stored"] for k in kills] == sorted(
        k["completions_stored"] for k in kills
    )

    final = run_cli(args, cwd=tmp_path)
    assert final.returncode == 0, final.stderr
    assert integrity(db) == "ok"
    runs = query(db, "SELECT run_id, status FROM runs")
    assert len(runs) == 1 and runs[0][1] == "finished"
    run_id = runs[0][0]
    data = read_results(out)
    assert data["run_id"] == run_id

    # Nothing whose response was stored before a kill was ever requested again. (A request
    # in flight at a kill was rightly sent again: its response had not been stored.)
    counts = endpoint.stats()["attempts"]
    resent = [key for key, n in attempts_when_stored.items() if counts[key] != n]
    assert not resent, f"{len(resent)} stored responses were requested again"
    # Nothing stored before a kill was lost or changed.
    turns_after = turn_table(db, run_id)
    judgments_after = judgment_table(db, run_id)
    lost = [k for k, v in turns_before.items() if turns_after.get(k) != v]
    lost += [k for k, v in judgments_before.items() if judgments_after.get(k) != v]
    assert not lost
    # And the results are an uninterrupted run's, turn by turn.
    assert outcome(data) == outcome(main_reference["results"])
    assert turns_after == turn_table(main_reference["db"], main_reference["run_id"])
    assert judgments_after == judgment_table(main_reference["db"], main_reference["run_id"])

    figures.put("kill_9", "kills_survived", len(kills))
    figures.put("kill_9", "kill_points", kills)
    figures.put("kill_9", "responses_stored_before_kills", len(attempts_when_stored))
    figures.put("kill_9", "stored_responses_requested_again", len(resent))
    figures.put("kill_9", "results_lost", len(lost))
    # Requests in flight or answered-but-unwritten at a kill are (rightly) sent again.
    figures.put("kill_9", "requests_sent_again_after_kills", sum(counts.values()) - len(counts))
    figures.put("kill_9", "distinct_requests", len(counts))
    figures.put("kill_9", "results_differing_from_uninterrupted", 0)


def test_the_store_keeps_up_with_the_run_so_a_kill_loses_only_what_is_in_flight(
    tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process(endpoint_config())
    db = tmp_path / "lag.db"
    config = build_config(
        model="openai/echo",
        judge="openai/judge",
        tasks="main",
        model_base_url=endpoint.base_url,
        judge_base_url=endpoint.base_url,
        max_connections=32,
    )
    unwritten: list[int] = []

    def sample(snapshot: Any) -> None:
        # Answered (sent and no longer in flight) but not yet in the store.
        stored = count_or_zero(db, COMPLETIONS)
        unwritten.append(snapshot.requests_sent - snapshot.in_flight - stored)

    run(config, db_path=db, on_progress=sample)
    assert len(unwritten) >= 5
    # What a kill -9 would cost beyond the requests in flight: a moment's work at most.
    assert max(unwritten) <= 100, sorted(unwritten)[-5:]


def test_ctrl_c_exits_130_marks_the_run_interrupted_and_the_rerun_resumes(
    tmp_path: Path, endpoint_process: Any, thread_endpoint: Any, figures: Any
) -> None:
    endpoint = endpoint_process(endpoint_config(latency_s=0.05))
    db, out = tmp_path / "int.db", tmp_path / "out"
    tasks = ("--tasks", "recollection_multi_cls,expansion_multi", "--limit", "3")
    args = run_args(endpoint.base_url, db, out, *tasks, "--max-connections", "2")
    process = popen_cli(args, cwd=tmp_path)
    assert wait_until(
        lambda: count_or_zero(db, COMPLETIONS) >= 8 or process.poll() is not None, timeout=120
    )
    assert process.poll() is None, "the run ended before Ctrl-C"
    os.kill(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    lines = error_lines(stderr)
    assert lines[-1].startswith("interrupted:") and "run the same command again" in lines[-1]
    assert sum(line.startswith("interrupted:") for line in lines) == 1
    ((run_id, status),) = query(db, "SELECT run_id, status FROM runs")
    assert status == "interrupted"
    assert integrity(db) == "ok"
    stored = set(stored_requests(db).values())
    assert stored

    resumed = run_cli(args, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming run {run_id}" in " ".join(resumed.stderr.split())
    data = read_results(out)
    assert data["run_id"] == run_id and data["status"] == "finished"
    assert all(t["n_scored"] == t["n_turns"] for t in data["tasks"].values())
    counts = endpoint.stats()["attempts"]
    assert all(counts[key] == 1 for key in stored), "a stored response was requested again"

    reference = thread_endpoint(
        EndpointConfig(models={"echo": EchoPolicy(), "judge": JudgePolicy()})
    )
    clean = api_run(
        reference,
        tmp_path / "clean.db",
        tasks=["recollection_multi_cls", "expansion_multi"],
        limit=3,
        judge=True,
        model="echo",
    )
    assert outcome(data) == outcome(clean.model_dump(mode="json"))
    figures.put("ctrl_c", "exit_status", 130)
    figures.put("ctrl_c", "responses_stored_before_interrupt", len(stored))


def test_two_runs_of_different_tasks_share_one_store_safely(
    tmp_path: Path, endpoint_process: Any, thread_endpoint: Any, figures: Any
) -> None:
    endpoint = endpoint_process(endpoint_config(latency_s=0.01))
    db = tmp_path / "shared.db"
    selections = {"a": ("recollection_multi_cls", 3), "b": ("expansion_multi", 2)}
    processes = {
        name: popen_cli(
            run_args(
                endpoint.base_url,
                db,
                tmp_path / name,
                "--tasks",
                task,
                "--limit",
                str(limit),
                "--max-connections",
                "4",
            ),
            cwd=tmp_path,
        )
        for name, (task, limit) in selections.items()
    }
    for name, process in processes.items():
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, f"{name}: {stderr}"
    assert integrity(db) == "ok"
    assert len(query(db, "SELECT run_id FROM runs")) == 2

    reference = thread_endpoint(
        EndpointConfig(models={"echo": EchoPolicy(), "judge": JudgePolicy()})
    )
    for name, (task, limit) in selections.items():
        data = read_results(tmp_path / name)
        clean = api_run(
            reference,
            tmp_path / f"{name}-clean.db",
            tasks=[task],
            limit=limit,
            judge=True,
            model="echo",
        )
        assert outcome(data) == outcome(clean.model_dump(mode="json"))
        assert data["tasks"][task]["n_scored"] == data["tasks"][task]["n_turns"]
    figures.put("concurrency", "parallel_runs_on_one_store", 2)


def test_the_same_command_twice_at_once_is_refused_or_safe(
    tmp_path: Path, endpoint_process: Any, figures: Any
) -> None:
    endpoint = endpoint_process(endpoint_config(latency_s=0.1))
    db = tmp_path / "same.db"
    tasks = ("--tasks", "recollection_multi_cls", "--limit", "2", "--max-connections", "2")
    processes = [
        popen_cli(run_args(endpoint.base_url, db, tmp_path / f"out{i}", *tasks), cwd=tmp_path)
        for i in range(2)
    ]
    outcomes = []
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        outcomes.append((process.returncode, stderr))
    assert integrity(db) == "ok"
    finished = [i for i, (code, _) in enumerate(outcomes) if code == 0]
    assert finished, outcomes
    for code, stderr in outcomes:
        assert "Traceback" not in stderr
        if code != 0:
            # The clear refusal: another process owns the run.
            assert code == 2, stderr
            last = error_lines(stderr)[-1]
            assert last.startswith("error: run ") and "being run by another process" in last
    for i in finished:
        data = read_results(tmp_path / f"out{i}")
        task = data["tasks"]["recollection_multi_cls"]
        assert (task["n_scored"], task["n_errors"]) == (20, 0)
    turns = query(db, "SELECT run_id, COUNT(*) FROM turns GROUP BY run_id")
    assert all(n == 20 for _, n in turns)
    figures.put(
        "concurrency",
        "same_command_twice",
        "one refused" if len(finished) == 1 else "both finished safely",
    )
