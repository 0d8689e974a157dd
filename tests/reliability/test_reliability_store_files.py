"""Store files a user may hand mteval: read-only, or damaged (issue 9, finding 3)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _reliability_helpers import api_run, error_lines, run_args

from mteval.errors import StoreError
from mteval.store import RunStore
from mteval.testing import EchoPolicy, EndpointConfig, MockEndpoint

from mteval_test_support import run_cli


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("store-files")
    db = root / "healthy.db"
    with MockEndpoint(EndpointConfig(models={"m": EchoPolicy()})) as endpoint:
        results = api_run(endpoint, db, tasks=["recollection_multi_cls"], limit=2)
    return db, results.run_id


def _make_read_only(path: Path) -> None:
    """Read-only for whoever runs the tests: root ignores file modes, not the immutable flag."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a file read-only")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {done.stderr.strip()}")


def _make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    else:
        path.chmod(0o644)


@pytest.fixture
def read_only_copy(stored: tuple[Path, str], tmp_path: Path) -> Iterator[Path]:
    db = tmp_path / "mteval.db"
    shutil.copyfile(stored[0], db)
    _make_read_only(db)
    try:
        yield db
    finally:
        _make_writable(db)


@pytest.fixture
def damaged_copy(stored: tuple[Path, str], tmp_path: Path) -> Path:
    """The store with every page after the first overwritten (a disk or copy gone wrong)."""
    data = bytearray(stored[0].read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = b"\xab" * (len(data) - page)
    db = tmp_path / "damaged.db"
    db.write_bytes(bytes(data))
    return db


def test_read_only_commands_open_a_read_only_store(
    stored: tuple[Path, str], read_only_copy: Path, tmp_path: Path
) -> None:
    run_id = stored[1]
    db = str(read_only_copy)
    for args in (
        ["runs", "--db", db],
        ["show", run_id, "--db", db],
        ["export", run_id, "--db", db, "--format", "jsonl"],
        ["report", run_id, "--db", db, "--out", str(tmp_path / "report")],
    ):
        result = run_cli(args, cwd=tmp_path, timeout=300)
        assert result.returncode == 0, (args, result.stderr)
        assert "error" not in result.stderr.lower(), (args, result.stderr)
    assert (tmp_path / "report" / "report.html").is_file()


def test_a_read_only_store_refuses_writes_and_says_so(read_only_copy: Path) -> None:
    with RunStore(read_only_copy, read_only=True) as store:
        assert len(store.list_runs()) == 1
    with pytest.raises(StoreError, match="read-only") as caught:
        RunStore(read_only_copy)
    assert str(read_only_copy) in str(caught.value) and "--db" in str(caught.value)


def test_opening_read_only_never_creates_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        RunStore.open_read_only(tmp_path / "absent.db")
    assert list(tmp_path.iterdir()) == []


def _one_clear_error(result: subprocess.CompletedProcess[str], db: Path) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert str(db) in lines[0] and ".recover" in lines[0] and "--db" in lines[0]
    return lines[0]


def test_a_damaged_store_gives_one_clear_error_for_reading_commands(
    stored: tuple[Path, str], damaged_copy: Path, tmp_path: Path
) -> None:
    db = str(damaged_copy)
    for args in (
        ["runs", "--db", db],
        ["show", stored[1], "--db", db],
        ["export", stored[1], "--db", db],
    ):
        _one_clear_error(run_cli(args, cwd=tmp_path, timeout=120), damaged_copy)


def test_a_damaged_store_stops_a_run_before_any_request(
    damaged_copy: Path, tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process({"models": {"echo": {"kind": "echo"}}})
    args = run_args(
        endpoint.base_url,
        damaged_copy,
        tmp_path / "out",
        "--tasks",
        "recollection_multi_cls",
        "--limit",
        "1",
        judge=False,
    )
    _one_clear_error(run_cli(args, cwd=tmp_path, timeout=120), damaged_copy)
    assert endpoint.stats()["requests"] == 0
