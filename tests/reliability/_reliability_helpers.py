"""Helpers of the reliability suite: endpoints, CLI runs, and reading a run back.

Every comparison goes through the store's own tables (turns, judgments,
completions), read with a plain ``sqlite3`` connection so that the check does
not share code with what it checks.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mteval.config import RetrySettings
from mteval.pipeline import build_config, run

from mteval_test_support import request_body_key, subprocess_env

MAIN = (
    "recollection_multi_cls",
    "recollection_multi_global-inst",
    "expansion_multi",
    "refinement_multi",
    "follow-up_multi",
)
MAIN_TURNS = 1170
MAIN_JUDGMENTS = 790

TurnKey = tuple[str, str, int]


def endpoint_config(**extra: Any) -> dict[str, Any]:
    """A deterministic endpoint: ``echo`` answers with the user's text, ``judge`` judges."""
    config: dict[str, Any] = {"models": {"judge": {"kind": "judge"}, "echo": {"kind": "echo"}}}
    config.update(extra)
    return config


def run_args(
    url: str,
    db: Path,
    out: Path,
    *extra: str,
    model: str = "echo",
    judge: bool = True,
) -> list[str]:
    """``mteval run`` against a mock endpoint with fast retries."""
    args = [
        "run",
        "--model",
        f"openai/{model}",
        "--model-base-url",
        url,
        "--db",
        str(db),
        "--output-dir",
        str(out),
        "--retry-base-delay",
        "0.01",
        "--retry-max-delay",
        "0.2",
        "--no-progress",
    ]
    if judge:
        args += ["--judge", "openai/judge", "--judge-base-url", url]
    else:
        args += ["--judge", ""]
    return [*args, *extra]


def api_run(
    endpoint: Any,
    db: Path,
    *,
    tasks: list[str],
    limit: int,
    judge: bool = False,
    retry: RetrySettings | None = None,
    timeout_s: float = 30.0,
    sleep: Any = None,
    model: str = "m",
    retry_errors: bool = False,
) -> Any:
    """Run the library entry point against a mock endpoint (model ``model``, judge ``judge``)."""
    config = build_config(
        model=f"openai/{model}",
        judge="openai/judge" if judge else None,
        tasks=tasks,
        model_base_url=endpoint.base_url,
        judge_base_url=endpoint.base_url if judge else None,
        limit=limit,
        max_connections=4,
        timeout_s=timeout_s,
        retry=retry or RetrySettings(max_attempts=3, base_delay_s=0.01),
    )
    return run(config, db_path=db, sleep=sleep, retry_errors=retry_errors)


def popen_cli(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, stderr: Any = None
) -> subprocess.Popen[str]:
    """Start the real CLI in a child process (for kills and signals)."""
    return subprocess.Popen(
        [sys.executable, "-m", "mteval.cli", *args],
        cwd=cwd,
        env=env or subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=stderr if stderr is not None else subprocess.PIPE,
        text=True,
    )


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read from a store that another process may be writing (a short read transaction)."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def count_or_zero(db: Path, sql: str) -> int:
    """``SELECT COUNT(*)`` that answers 0 while the store does not exist yet."""
    if not db.exists():
        return 0
    try:
        return int(query(db, sql)[0][0])
    except sqlite3.Error:
        return 0


def integrity(db: Path) -> str:
    """``PRAGMA integrity_check`` of the store (recovers a hot WAL first, like a reader)."""
    connection = sqlite3.connect(db, timeout=30)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def stored_requests(db: Path) -> dict[str, str]:
    """{completion key: mock endpoint key} for every completion in the store."""
    rows = query(db, "SELECT key, request FROM completions")
    return {key: request_body_key(json.loads(zlib.decompress(blob))) for key, blob in rows}


def turn_table(db: Path, run_id: str) -> dict[TurnKey, tuple[Any, ...]]:
    """{(task, dialogue, position): (status, response, finish_reason)} of a run."""
    rows = query(
        db,
        "SELECT task, dialogue_id, position, status, response, finish_reason FROM turns"
        " WHERE run_id = ?",
        (run_id,),
    )
    return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}


def judgment_table(db: Path, run_id: str) -> dict[TurnKey, tuple[Any, ...]]:
    """{(task, dialogue, position): (status, score, method)} of a run."""
    rows = query(
        db,
        "SELECT task, dialogue_id, position, status, score, method FROM judgments WHERE run_id = ?",
        (run_id,),
    )
    return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}


def read_results(out: Path) -> dict[str, Any]:
    """The ``results.json`` a run wrote."""
    data: dict[str, Any] = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return data


def outcome(results: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on faults, kills or retries: scores and per-task counts."""
    keep = ("score", "n_turns", "n_scored", "n_errors", "n_turn_errors", "n_not_run")
    return {
        "scores": results["scores"],
        "tasks": {
            name: {**{k: task[k] for k in keep}, "n_judge_errors": task["n_judge_errors"]}
            | {"per_turn": task["per_turn"], "per_turn_n": task.get("per_turn_n")}
            for name, task in results["tasks"].items()
        },
    }


def wait_until(predicate: Callable[[], bool], *, timeout: float, poll: float = 0.01) -> bool:
    """Poll ``predicate`` until it holds; return False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return predicate()


def error_lines(stderr: str) -> list[str]:
    """The non-blank lines of a CLI's standard error."""
    return [line for line in stderr.splitlines() if line.strip()]


def files_under(root: Path, *, exclude: Iterable[Path] = ()) -> list[Path]:
    """Every regular file below ``root``, except those below an ``exclude`` folder."""
    skipped = [p.resolve() for p in exclude]
    found = []
    for path in root.rglob("*"):
        resolved = path.resolve()
        if path.is_file() and not any(resolved.is_relative_to(s) for s in skipped):
            found.append(path)
    return found


def sqlite_texts(db: Path) -> Iterable[bytes]:
    """Every value of every table of an SQLite file, as bytes (zlib blobs inflated)."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master")]
        for table in tables:
            try:
                rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
            except sqlite3.Error:
                continue
            for row in rows:
                for value in row:
                    if isinstance(value, bytes):
                        yield value
                        try:
                            yield zlib.decompress(value)
                        except zlib.error:
                            pass
                    elif value is not None:
                        yield str(value).encode("utf-8")
    finally:
        connection.close()


def env_with(**extra: str) -> dict[str, str]:
    """The suite's child-process environment plus ``extra``."""
    return subprocess_env(**extra)


def kill_process(process: subprocess.Popen[str], signum: int) -> None:
    """Send ``signum`` to a child we started, then reap it."""
    if process.poll() is None:
        os.kill(process.pid, signum)
    process.communicate(timeout=60)
