from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _viewer_helpers import (
    ViewerProcess,
    has_mt_bench,
    mt_bench_args,
    run_args,
    run_mteval,
    start_endpoints,
)


@dataclass(frozen=True)
class RealStore:
    """Two real MT-Eval runs: ``replay`` (the escaping cases; judged on a faulty endpoint:
    judge errors) and ``echo`` (answered on a faulty endpoint: turn errors, not-run
    turns); and, where the plug-in exists, an MT-Bench run (``mt_bench``)."""

    db: Path
    run_ids: tuple[str, str]
    results: dict[str, dict[str, Any]]
    workdir: Path
    mt_bench: str | None = None


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealStore]:
    workdir = tmp_path_factory.mktemp("viewer-store")
    clean, faulty = start_endpoints(workdir / "endpoints")
    try:
        db = workdir / "runs.db"
        ids, results = [], {}
        for model, model_url, judge_url, extra in (
            ("replay", clean.base_url, faulty.base_url, ["--max-attempts", "1"]),
            ("echo", faulty.base_url, clean.base_url, ["--max-attempts", "1"]),
        ):
            out = workdir / model
            done = run_mteval([*run_args(model, model_url, judge_url, db, out), *extra], workdir)
            # 3: finished with turns left unscored (the errors this store is meant to hold).
            assert done.returncode in (0, 3), done.stderr
            run_id = re.search(r"starting run (\S+)", done.stderr).group(1)  # type: ignore[union-attr]
            ids.append(run_id)
            results[run_id] = json.loads((out / "results.json").read_text(encoding="utf-8"))
        mt_bench = None
        if has_mt_bench():  # once the MT-Bench plug-in exists: a run of another benchmark
            out = workdir / "mt-bench"
            done = run_mteval(mt_bench_args(clean.base_url, db, out), workdir)
            assert done.returncode in (0, 3), done.stderr
            mt_bench = re.search(r"starting run (\S+)", done.stderr).group(1)  # type: ignore[union-attr]
            results[mt_bench] = json.loads((out / "results.json").read_text(encoding="utf-8"))
        yield RealStore(
            db=db,
            run_ids=(ids[0], ids[1]),
            results=results,
            workdir=workdir,
            mt_bench=mt_bench,
        )
    finally:
        clean.stop()
        faulty.stop()


@pytest.fixture(scope="session")
def viewer(real_store: RealStore) -> Iterator[ViewerProcess]:
    process = ViewerProcess(real_store.db, cwd=real_store.workdir)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots go to artifacts/viewer (gitignored), kept after the run for review."""
    folder = Path(__file__).resolve().parents[2] / "artifacts" / "viewer"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
