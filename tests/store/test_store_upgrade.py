"""A database written by mteval 0.1.0 opens, upgrades in place, and its runs read the same.

The fixture (``fixtures/v0_1_0``) was produced by mteval 0.1.0 itself (main at
13762c3, see ``generate.sh`` there): two tiny runs on the scripted endpoint,
and what that release's ``show --json``, ``show``, ``export`` and ``report``
printed for them. Today's code must print the same from the upgraded file.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from mteval.store import SCHEMA_VERSION, RunStore

from mteval_test_support import run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "v0_1_0"
RUNS = (FIXTURE / "runs.txt").read_text(encoding="utf-8").split()


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    target = tmp_path / "mteval-0.1.0.db"
    shutil.copyfile(FIXTURE / "mteval-0.1.0.db", target)
    return target


def schema_version(db: Path) -> int:
    connection = sqlite3.connect(db)
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0])
    finally:
        connection.close()


def test_the_fixture_is_a_0_1_0_database() -> None:
    assert schema_version(FIXTURE / "mteval-0.1.0.db") == 1
    assert len(RUNS) == 2


def test_it_opens_and_upgrades_in_place(old_db: Path) -> None:
    with RunStore(old_db) as store:
        assert [r.run_id for r in store.list_runs()] == list(reversed(RUNS))
        assert store.integrity_check() == "ok"
    assert schema_version(old_db) == SCHEMA_VERSION
    # Opening an upgraded file again is a no-op.
    with RunStore(old_db) as store:
        assert len(store.list_runs()) == 2
    assert schema_version(old_db) == SCHEMA_VERSION


@pytest.mark.parametrize("run_id", RUNS)
def test_show_json_is_unchanged(old_db: Path, tmp_path: Path, run_id: str) -> None:
    result = run_cli(["show", run_id, "--db", str(old_db), "--json"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    now = json.loads(result.stdout)
    before = json.loads((FIXTURE / f"{run_id}.show.json").read_text(encoding="utf-8"))
    # The one addition since 0.1.0: the run says which benchmark it is.
    assert now.pop("benchmark") == "mt-eval"
    assert now == before


@pytest.mark.parametrize("run_id", RUNS)
def test_show_table_is_unchanged(old_db: Path, tmp_path: Path, run_id: str) -> None:
    result = run_cli(["show", run_id, "--db", str(old_db)], cwd=tmp_path, env=_wide())
    assert result.returncode == 0, result.stderr
    before = (FIXTURE / f"{run_id}.show.txt").read_text(encoding="utf-8")
    assert table_rows(result.stdout, "│") == table_rows(before, "│")


@pytest.mark.parametrize("run_id", RUNS)
def test_export_is_unchanged(old_db: Path, tmp_path: Path, run_id: str) -> None:
    result = run_cli(["export", run_id, "--db", str(old_db), "--format", "jsonl"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (FIXTURE / f"{run_id}.export.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize("run_id", RUNS)
def test_report_is_unchanged(old_db: Path, tmp_path: Path, run_id: str) -> None:
    out = tmp_path / "report"
    args = ["report", run_id, "--db", str(old_db), "--out", str(out)]
    result = run_cli([*args, "--resamples", "50", "--permutations", "50"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    now = (out / "report.md").read_text(encoding="utf-8")
    before = (FIXTURE / f"{run_id}.report.md").read_text(encoding="utf-8")
    # Every table of the report holds the same cells (its prose may be reworded).
    assert table_rows(now, "|") == table_rows(before, "|")
    assert len(table_rows(before, "|")) > 5


def table_rows(text: str, bar: str) -> list[list[str]]:
    """The cells of every table row in a rendered table (Markdown or the terminal's)."""
    return [
        [cell.strip() for cell in line.strip().strip(bar).split(bar)]
        for line in text.splitlines()
        if line.strip().startswith(bar) and not set(line.strip()) <= set(bar + "-: ")
    ]


def _wide() -> dict[str, str]:
    from mteval_test_support import subprocess_env

    return subprocess_env(COLUMNS="200")
