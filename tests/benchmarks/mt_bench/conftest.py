"""Fixtures for MT-Bench's tests: the shared copy of FastChat's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mteval_test_support import MTBENCH_DIR


@pytest.fixture(autouse=True)
def _mtbench_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MTBENCH_DATA_URL", raising=False)


@pytest.fixture(scope="session")
def mtbench_dir() -> Path:
    if not (MTBENCH_DIR / "question.jsonl").is_file():
        pytest.fail(
            f"MT-Bench files not found at {MTBENCH_DIR}: put ../shared/mt-bench beside the checkout"
        )
    return MTBENCH_DIR


@pytest.fixture(scope="session")
def mtbench_data(mtbench_dir: Path):  # type: ignore[no-untyped-def]
    from mteval.benchmarks.mt_bench import load_data

    return load_data(mtbench_dir)
