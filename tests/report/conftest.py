from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _report_helpers import make_store


@pytest.fixture(scope="session")
def synthetic(
    tmp_path_factory: pytest.TempPathFactory, sources: Any
) -> Iterator[tuple[Any, list[str]]]:
    """A store with two synthetic runs over every task (module-scoped: built once)."""
    store, ids = make_store(tmp_path_factory.mktemp("store") / "runs.db", sources)
    yield store, ids
    store.close()


@pytest.fixture(scope="session")
def full_report(synthetic: tuple[Any, list[str]], sources: Any) -> Any:
    from mteval.report import build_report

    store, ids = synthetic
    return build_report(store, ids, sources=sources, n_resamples=200, n_permutations=500)


@pytest.fixture(scope="session")
def written(full_report: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mteval.report import write_report

    out = tmp_path_factory.mktemp("report")
    write_report(full_report, out)
    return out
