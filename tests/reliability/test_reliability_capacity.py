"""Small local servers with mteval's default settings: no timeouts, no errors, no waste.

The endpoint stands in for ``llama-server``: a few slots, the rest queued
(``max_concurrency``), or slots that overflow a shared context cache when too
many run at once (``overflow_above``). The real CLI runs with default
settings: the adaptive limit must find what the server serves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mteval.testing import EchoPolicy, EndpointConfig

from mteval_test_support import run_cli

TASK = "recollection_single_cls"  # single-turn: every request is ready at once
DIALOGUES = 30


def default_run(url: str, tmp_path: Path, *extra: str) -> tuple[Any, dict[str, Any]]:
    out = tmp_path / "out"
    result = run_cli(
        [
            "run",
            "--model",
            "openai/echo",
            "--model-base-url",
            url,
            "--tasks",
            TASK,
            "--judge",
            "",
            "--limit",
            str(DIALOGUES),
            "--db",
            str(tmp_path / "run.db"),
            "--output-dir",
            str(out),
            *extra,
        ],
        cwd=tmp_path,
    )
    results = json.loads((out / "results.json").read_text()) if out.exists() else {}
    return result, results


def test_two_slot_server_with_default_settings_finishes_without_timeouts(
    tmp_path: Path, thread_endpoint: Any
) -> None:
    endpoint = thread_endpoint(
        EndpointConfig(models={"echo": EchoPolicy()}, latency_s=0.5, max_concurrency=2)
    )
    result, results = default_run(endpoint.base_url, tmp_path, "--timeout", "5")

    assert result.returncode == 0, result.stderr
    task = results["tasks"][TASK]
    assert (task["n_scored"], task["n_errors"]) == (DIALOGUES, 0)
    stats = endpoint.stats()
    repeated = stats.requests - len(stats.attempts)
    assert repeated < 0.05 * DIALOGUES, stats
    used = results["usage"]["concurrency"]["model"]
    assert used["mode"] == "adaptive" and used["ceiling"] == 32
    # It found the two slots instead of queueing 30 requests past the timeout.
    assert used["peak_in_flight"] <= 8, used
    assert stats.max_queued <= 6, stats


def test_context_overflow_above_two_in_flight_leaves_no_turn_errors(
    tmp_path: Path, thread_endpoint: Any
) -> None:
    endpoint = thread_endpoint(
        EndpointConfig(models={"echo": EchoPolicy()}, latency_s=0.2, overflow_above=2)
    )
    result, results = default_run(endpoint.base_url, tmp_path, "--retry-base-delay", "0.1")

    assert result.returncode == 0, result.stderr
    task = results["tasks"][TASK]
    assert (task["n_scored"], task["n_turn_errors"], task["n_errors"]) == (DIALOGUES, 0, 0)
    stats = endpoint.stats()
    assert stats.overflows > 0  # the controller did probe past the server's limit
    usage = results["usage"]["model"]
    assert usage["capacity_retries"] == stats.overflows and usage["failures"] == 0
    assert results["usage"]["concurrency"]["model"]["overloads"] == stats.overflows
