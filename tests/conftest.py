"""Suite-wide fixtures: the shared data folders, a clean environment, local endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mteval_test_support import (
    DATA_DIR,
    MTBENCH101_DIR,
    MTBENCH_DIR,
    NLTK_DIR,
    PROXY_VARS,
    SECRET_VARS,
    EndpointProcess,
    run_cli,
)


def pytest_configure(config: pytest.Config) -> None:
    if not (DATA_DIR / "raw_data" / "documents.jsonl").is_file():
        raise pytest.UsageError(
            f"MT-Eval sources not found at {DATA_DIR}: put ../shared/mt-eval beside the "
            "checkout or set MTEVAL_DATA_DIR"
        )


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts without keys or proxies, with its own cache folder."""
    for name in (*SECRET_VARS, *PROXY_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MTEVAL_DATA_DIR", str(DATA_DIR))
    monkeypatch.setenv("NLTK_DATA", str(NLTK_DIR))
    monkeypatch.setenv("MTBENCH_DATA_DIR", str(MTBENCH_DIR))
    monkeypatch.setenv("MTBENCH101_DATA_DIR", str(MTBENCH101_DIR))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("MTEVAL_VERIFY_DATA", raising=False)


@pytest.fixture(scope="session")
def sources() -> Any:
    """The shared MT-Eval sources, loaded once per session."""
    from mteval.benchmarks.mt_eval import SourceFiles

    return SourceFiles(DATA_DIR)


@pytest.fixture
def endpoint_process(tmp_path: Path) -> Iterator[Any]:
    """Factory: start a mock endpoint process from a config dict; stopped at teardown."""
    started: list[EndpointProcess] = []

    def start(config: dict[str, Any], *, log: bool = False) -> EndpointProcess:
        process = EndpointProcess(config, tmp_path / f"endpoint-{len(started)}", log=log)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def cli() -> Any:
    """Run the real ``mteval`` CLI in a child process."""
    return run_cli
