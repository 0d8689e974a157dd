"""`mteval run` end to end: the real CLI, real HTTP, a real SQLite store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from mteval.testing import score_for_prompt

from mteval_test_support import (
    reference_replies,
    request_body_key,
    run_cli,
    subprocess_env,
)

MAIN = [
    "recollection_multi_cls",
    "recollection_multi_global-inst",
    "expansion_multi",
    "refinement_multi",
    "follow-up_multi",
]


MT_BENCH_VERDICTS = ["Rating: [[8]]", "Rating: [[4.5]]", "[[2]]", "Rating: [[10]]", "Score: [7]"]
MT_BENCH_101_VERDICTS = ["Rating: [[7]]", "See [3]. Rating: [[9]]", "Rating: [[5]]", "[[10]]"]


def endpoint_config(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(reference_replies(MAIN)), encoding="utf-8")
    config = {
        "models": {
            "judge": {"kind": "judge"},
            "mt-bench-judge": {"kind": "choice", "replies": MT_BENCH_VERDICTS},
            "mt-bench-101-judge": {"kind": "choice", "replies": MT_BENCH_101_VERDICTS},
            "replay": {"kind": "replay", "path": str(replies), "fallback": "I don't know."},
            "echo": {"kind": "echo"},
        }
    }
    config.update(extra)
    return config


BENCHMARK_RUNS = {
    # benchmark -> (its flags, its judge on the scripted endpoint)
    "mt-eval": ((), "judge"),
    "mt-bench": (("--benchmark", "mt-bench"), "mt-bench-judge"),
    "mt-bench-101": (("--benchmark", "mt-bench-101"), "mt-bench-101-judge"),
}


def run_args(
    url: str,
    db: Path,
    out: Path,
    *extra: str,
    model: str = "replay",
    benchmark: str = "mt-eval",
) -> list[str]:
    flags, judge = BENCHMARK_RUNS[benchmark]
    return [
        "run",
        *flags,
        "--model",
        f"openai/{model}",
        "--model-base-url",
        url,
        "--judge",
        f"openai/{judge}",
        "--judge-base-url",
        url,
        "--db",
        str(db),
        "--output-dir",
        str(out),
        "--max-connections",
        "32",
        "--retry-base-delay",
        "0.01",
        *extra,
    ]


def stored(db: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


@pytest.mark.slow
def test_main_run_answers_1170_turns_judges_790_and_writes_results(
    tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process(endpoint_config(tmp_path))
    db, out = tmp_path / "mteval.db", tmp_path / "out"
    result = run_cli(run_args(endpoint.base_url, db, out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Recollection" in result.stdout and "Follow-up" in result.stdout

    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert set(data) >= {"run_id", "model", "judge", "scores", "tasks", "usage"}
    assert data["model"] == "openai/replay" and data["judge"] == "openai/judge"
    assert set(data["scores"]) == {
        "recollection",
        "expansion",
        "refinement",
        "follow-up",
        "average",
    }
    assert sum(t["n_turns"] for t in data["tasks"].values()) == 1170
    assert sum(t["n_scored"] for t in data["tasks"].values()) == 1170
    for task in data["tasks"].values():
        assert {"score", "n_scored", "n_errors", "per_turn"} <= set(task)
        assert task["n_errors"] == 0
    assert (out / "results.md").read_text(encoding="utf-8").count("|") > 20

    # Replaying the reference labels scores 10 on classification recollection.
    assert data["tasks"]["recollection_multi_cls"]["score"] == 10.0

    # Every judgment is the judge's score for the stored prompt, and the
    # category scores pool them as the benchmark does.
    rows = stored(
        db,
        "SELECT j.task, j.turn_index, j.score, c.request FROM judgments j "
        "JOIN completions c ON c.key = j.judge_key WHERE j.method = 'judge'",
    )
    assert len(rows) == 790
    pooled: dict[str, list[float]] = defaultdict(list)
    for task, _index, score, request in rows:
        prompt = json.loads(zlib.decompress(request))["messages"][0]["content"]
        assert score == score_for_prompt(prompt)
        pooled[task.split("_")[0]].append(score)
    for category in ("expansion", "refinement", "follow-up"):
        expected = sum(pooled[category]) / len(pooled[category])
        assert data["scores"][category] == pytest.approx(expected)
    programmatic = stored(db, "SELECT score FROM judgments WHERE task LIKE 'recollection%'")
    assert len(programmatic) == 380
    recollection = sum(s for (s,) in programmatic) / 380
    assert data["scores"]["recollection"] == pytest.approx(recollection)
    categories = [
        data["scores"][c] for c in ("recollection", "expansion", "refinement", "follow-up")
    ]
    assert data["scores"]["average"] == pytest.approx(sum(categories) / 4)

    # Rerunning the same command reuses the run and sends nothing new.
    before = endpoint.stats()["requests"]
    again = run_cli(run_args(endpoint.base_url, db, tmp_path / "out2"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert endpoint.stats()["requests"] == before
    assert json.loads((tmp_path / "out2/results.json").read_text())["scores"] == data["scores"]


def _counts_by_key(endpoint: Any) -> dict[str, int]:
    return dict(endpoint.stats()["attempts"])


KILL_TASKS = {
    "mt-eval": ("--tasks", "refinement_multi,follow-up_multi,recollection_multi_global-inst"),
    "mt-bench": ("--tasks", "writing,math,coding,stem"),
    "mt-bench-101": ("--tasks", "CM,MR,IC,PI"),  # 74 evaluated turns
}
# Kill once a third or so of the requests are stored, well before the end:
# (completions stored before the kill, at most) per benchmark.
KILL_AT = {"mt-eval": (60, 300), "mt-bench": (30, 90), "mt-bench-101": (40, 130)}


@pytest.mark.slow
@pytest.mark.parametrize("benchmark", ["mt-eval", "mt-bench", "mt-bench-101"])
def test_killed_run_resumes_to_identical_results_without_resending(
    tmp_path: Path, endpoint_process: Any, benchmark: str
) -> None:
    extra = (*KILL_TASKS[benchmark], "--limit", "6", "--max-connections", "4")
    slow = endpoint_config(tmp_path, latency_s=0.02)
    reference = endpoint_process(slow)
    clean = run_cli(
        run_args(
            reference.base_url,
            tmp_path / "clean.db",
            tmp_path / "clean",
            *extra,
            benchmark=benchmark,
        ),
        cwd=tmp_path,
    )
    assert clean.returncode == 0, clean.stderr

    endpoint = endpoint_process(slow)
    db = tmp_path / "killed.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mteval.cli",
            *run_args(endpoint.base_url, db, tmp_path / "k", *extra, benchmark=benchmark),
        ],
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kill_at, most = KILL_AT[benchmark]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if db.exists():
            try:
                if stored(db, "SELECT COUNT(*) FROM completions")[0][0] >= kill_at:
                    break
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before_kill = [
        json.loads(zlib.decompress(r)) for (r,) in stored(db, "SELECT request FROM completions")
    ]
    assert kill_at <= len(before_kill) < most, "killed mid-run"

    resumed = run_cli(
        run_args(endpoint.base_url, db, tmp_path / "resumed", *extra, benchmark=benchmark),
        cwd=tmp_path,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert stored(db, "PRAGMA integrity_check") == [("ok",)]
    counts = _counts_by_key(endpoint)
    for request in before_kill:
        assert counts[request_body_key(request)] == 1, "a stored response was requested again"
    first = json.loads((tmp_path / "clean/results.json").read_text())
    second = json.loads((tmp_path / "resumed/results.json").read_text())
    assert second["scores"] == first["scores"]
    assert {k: v["per_turn"] for k, v in second["tasks"].items()} == {
        k: v["per_turn"] for k, v in first["tasks"].items()
    }


FAULT_TASKS = {
    "mt-eval": ("--tasks", "refinement_multi,recollection_multi_cls", "--limit", "2"),
    "mt-bench": ("--tasks", "roleplay,reasoning", "--limit", "4"),
    "mt-bench-101": ("--tasks", "SI,GR", "--limit", "3"),
}


@pytest.mark.parametrize("benchmark", ["mt-eval", "mt-bench", "mt-bench-101"])
def test_transient_faults_are_retried_and_results_unchanged(
    tmp_path: Path, endpoint_process: Any, benchmark: str
) -> None:
    extra = FAULT_TASKS[benchmark]
    clean = endpoint_process(endpoint_config(tmp_path))
    ok = run_cli(
        run_args(clean.base_url, tmp_path / "a.db", tmp_path / "a", *extra, benchmark=benchmark),
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    faulty = endpoint_process(
        endpoint_config(tmp_path, faults={"p": 0.3, "seed": 7, "retry_after_s": 0, "hang_s": 30})
    )
    args = run_args(
        faulty.base_url,
        tmp_path / "b.db",
        tmp_path / "b",
        *extra,
        "--timeout",
        "2",
        benchmark=benchmark,
    )
    bad = run_cli(args, cwd=tmp_path)
    assert bad.returncode == 0, bad.stderr
    assert sum(faulty.stats()["by_fault"].values()) > 0
    a = json.loads((tmp_path / "a/results.json").read_text())
    b = json.loads((tmp_path / "b/results.json").read_text())
    assert b["scores"] == a["scores"]
    assert all(t["n_errors"] == 0 for t in b["tasks"].values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--model", "gpt-4o", "--model-base-url", "http://x/v1"], "invalid model spec"),
        (
            ["run", "--model", "openai/m", "--model-base-url", "http://x/v1", "--tasks", "nope"],
            "unknown task 'nope'",
        ),
        (
            [
                "run",
                "--model",
                "openai/m",
                "--model-base-url",
                "http://127.0.0.1:9/v1",
                "--judge",
                "openai/j",
                "--judge-base-url",
                "http://127.0.0.1:9/v1",
                "--limit",
                "1",
            ],
            "cannot reach http://127.0.0.1:9/v1",
        ),
        (["run", "--model", "openai/gpt-4o-mini"], "OPENAI_API_KEY"),
        (
            [
                "run",
                "--model",
                "openai/m",
                "--model-base-url",
                "http://x/v1",
                "--model-arg",
                "oops",
            ],
            "use KEY=VALUE",
        ),
        (["show", "nope", "--db", "missing.db"], "does not exist"),
        (
            [
                "run",
                "--benchmark",
                "mt-bench",
                "--model",
                "openai/m",
                "--model-base-url",
                "http://x/v1",
                "--tasks",
                "nope",
            ],
            "unknown task 'nope'",
        ),
        (
            [
                "run",
                "--benchmark",
                "mt-bench",
                "--model",
                "openai/m",
                "--model-base-url",
                "http://x/v1",
                "--data-dir",
                "no-such-folder",
            ],
            "question.jsonl not found",
        ),
        (
            [
                "run",
                "--benchmark",
                "mt-bench-101",
                "--model",
                "openai/m",
                "--model-base-url",
                "http://x/v1",
                "--data-dir",
                "no-such-folder",
            ],
            "mtbench101.jsonl not found",
        ),
        (
            [
                "run",
                "--benchmark",
                "mt-bnch",
                "--model",
                "openai/m",
                "--model-base-url",
                "http://x/v1",
            ],
            "unknown benchmark 'mt-bnch'",
        ),
        (["pairwise", "only-one", "--db", "missing.db"], "at least two runs"),
        (["pairwise", "a", "b", "--db", "missing.db"], "does not exist"),
    ],
)
def test_bad_input_gives_one_clear_error_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_cli(args, cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert lines[-1].startswith("error:")
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_runs_show_and_export(tmp_path: Path, endpoint_process: Any) -> None:
    endpoint = endpoint_process(endpoint_config(tmp_path))
    db = tmp_path / "m.db"
    extra = ("--tasks", "recollection_multi_cls,expansion_multi", "--limit", "1")
    assert (
        run_cli(run_args(endpoint.base_url, db, tmp_path / "o", *extra), cwd=tmp_path).returncode
        == 0
    )
    listing = run_cli(["runs", "--db", str(db)], cwd=tmp_path)
    assert listing.returncode == 0 and "openai/replay" in listing.stdout
    run_id = json.loads((tmp_path / "o/results.json").read_text())["run_id"]
    shown = run_cli(["show", run_id, "--db", str(db)], cwd=tmp_path)
    assert shown.returncode == 0 and "recollection_multi_cls" in shown.stdout
    jsonl = run_cli(["export", run_id, "--db", str(db), "--format", "jsonl"], cwd=tmp_path)
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert len(rows) == 10 + 7
    assert {r["status"] for r in rows} == {"answered"}
    assert all(r["score"] is not None and r["user"] for r in rows)
    csv_file = tmp_path / "turns.csv"
    exported = run_cli(
        ["export", run_id, "--db", str(db), "--format", "csv", "--out", str(csv_file)], cwd=tmp_path
    )
    assert exported.returncode == 0
    assert csv_file.read_text(encoding="utf-8").startswith("run_id,task,category")


def test_python_api_evaluate(tmp_path: Path) -> None:
    import mteval
    from mteval.testing import EchoPolicy, EndpointConfig, JudgePolicy, MockEndpoint

    config = EndpointConfig(models={"judge": JudgePolicy(), "m": EchoPolicy()})
    with MockEndpoint(config) as endpoint:
        results = mteval.evaluate(
            model="openai/m",
            judge="openai/judge",
            tasks=["expansion_multi"],
            model_base_url=endpoint.base_url,
            judge_base_url=endpoint.base_url,
            db_path=tmp_path / "api.db",
            limit=2,
        )
    assert isinstance(results, mteval.Results)
    assert results.tasks["expansion_multi"].n_scored == 14
    assert results.scores["expansion"] is not None
    assert results.scores["average"] == results.scores["expansion"]
