"""Fixtures of the reliability suite.

``figures`` collects what the tests measured (faults injected, kills survived,
inputs tried, results lost); with ``MTEVAL_RELIABILITY_SUMMARY=path`` set, the
session writes them there as JSON (docs/reliability.md quotes that file).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _reliability_helpers import MAIN_TURNS, endpoint_config, read_results, run_args

from mteval.testing import EndpointConfig, MockEndpoint

from mteval_test_support import EndpointProcess, run_cli

SUMMARY_ENV = "MTEVAL_RELIABILITY_SUMMARY"


class Figures:
    """Named counters and facts, merged across tests."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def add(self, section: str, name: str, value: int = 1) -> None:
        bucket = self.data.setdefault(section, {})
        bucket[name] = bucket.get(name, 0) + value

    def put(self, section: str, name: str, value: Any) -> None:
        self.data.setdefault(section, {})[name] = value


@pytest.fixture(scope="session")
def figures() -> Iterator[Figures]:
    collected = Figures()
    yield collected
    target = os.environ.get(SUMMARY_ENV)
    if target:
        Path(target).write_text(
            json.dumps(collected.data, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )


@pytest.fixture(scope="session")
def main_reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One uninterrupted, fault-free run of the full main table (echo model, mock judge)."""
    root = tmp_path_factory.mktemp("main-reference")
    endpoint = EndpointProcess(endpoint_config(), root / "endpoint")
    try:
        db, out = root / "reference.db", root / "out"
        result = run_cli(run_args(endpoint.base_url, db, out, "--max-connections", "32"), cwd=root)
        assert result.returncode == 0, result.stderr
        results = read_results(out)
        assert sum(t["n_scored"] for t in results["tasks"].values()) == MAIN_TURNS
        yield {"results": results, "db": db, "run_id": results["run_id"]}
    finally:
        endpoint.stop()


@pytest.fixture
def thread_endpoint() -> Iterator[Any]:
    """Factory: a mock endpoint in a thread of this process (scripted faults, callables)."""
    started: list[MockEndpoint] = []

    def start(config: EndpointConfig, **kwargs: Any) -> MockEndpoint:
        endpoint = MockEndpoint.start(config, **kwargs)
        started.append(endpoint)
        return endpoint

    yield start
    for endpoint in started:
        endpoint.stop()
