"""What the CLI prints (issue 9, finding 6): the headline for single-turn runs, piped output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mteval_test_support import run_cli


def _run(tmp_path: Path, endpoint: Any, *extra: str) -> Any:
    return run_cli(
        [
            "run",
            "--model",
            "openai/echo",
            "--model-base-url",
            endpoint.base_url,
            "--judge",
            "openai/judge",
            "--judge-base-url",
            endpoint.base_url,
            "--db",
            str(tmp_path / "m.db"),
            "--output-dir",
            str(tmp_path / "out"),
            "--no-progress",
            *extra,
        ],
        cwd=tmp_path,
        timeout=300,
    )


def test_a_single_turn_run_prints_the_single_turn_table_and_no_padding(
    tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process({"models": {"echo": {"kind": "echo"}, "judge": {"kind": "judge"}}})
    result = _run(tmp_path, endpoint, "--tasks", "single", "--limit", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # Not the multi-turn headline with a row of dashes: the single-turn scores.
    assert "MT-Eval multi-turn performance" not in result.stdout
    assert any("MT-Eval single-turn performance" in line for line in lines)
    row = next(line for line in lines if "openai/echo" in line)
    assert sum(ch.isdigit() for ch in row) >= 3 * 4, row  # Avg. and categories have numbers
    # Piped output: tables as wide as their content, no line padded with blanks.
    assert [line for line in lines if line != line.rstrip()] == []
    assert max(len(line) for line in lines) < 200
