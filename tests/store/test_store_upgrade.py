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


def copy_of_fixture(tmp_path: Path) -> Path:
    target = tmp_path / "mteval-0.1.0.db"
    shutil.copyfile(FIXTURE / "mteval-0.1.0.db", target)
    return target


@pytest.fixture(params=["upgraded", "as-is"])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The 0.1.0 store, upgraded in place by opening it for writing, or as it was
    (reading commands open a store read-only and never upgrade it)."""
    target = copy_of_fixture(tmp_path)
    if request.param == "upgraded":
        RunStore(target).close()
        assert schema_version(target) == SCHEMA_VERSION
    return target


def dump(db: Path) -> list[str]:
    connection = sqlite3.connect(db)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


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


def test_it_opens_and_upgrades_in_place(tmp_path: Path) -> None:
    old_db = copy_of_fixture(tmp_path)
    with RunStore(old_db, read_only=True) as store:
        assert [r.run_id for r in store.list_runs()] == list(reversed(RUNS))
    assert schema_version(old_db) == 1  # reading never upgrades
    with RunStore(old_db) as store:
        assert [r.run_id for r in store.list_runs()] == list(reversed(RUNS))
        assert store.integrity_check() == "ok"
    assert schema_version(old_db) == SCHEMA_VERSION
    # Opening an upgraded file again changes nothing.
    before = dump(old_db)
    with RunStore(old_db) as store:
        assert len(store.list_runs()) == 2
    assert dump(old_db) == before


def test_upgraded_runs_carry_their_benchmark_tasks_and_score_table(tmp_path: Path) -> None:
    from mteval.benchmarks import get_benchmark

    old_db = copy_of_fixture(tmp_path)
    RunStore(old_db).close()
    benchmark = get_benchmark("mt-eval")
    connection = sqlite3.connect(old_db)
    try:
        rows = connection.execute("SELECT run_id, benchmark, tasks, config FROM runs").fetchall()
    finally:
        connection.close()
    assert len(rows) == 2
    for _run_id, name, tasks, config_text in rows:
        config = json.loads(config_text)
        assert name == config["benchmark"] == "mt-eval"
        specs = [benchmark.tasks[t] for t in json.loads(tasks)]
        # Written from the frozen 0.1.0 snapshot; today's MT-Eval says the same.
        assert config["task_info"] == {s.name: s.info() for s in specs}
        assert config["score_table"] == benchmark.score_table(specs).model_dump(mode="json")
        assert "run" in config and "n_turns" in config  # what 0.1.0 stored is kept


def test_runs_lists_them_as_mt_eval_runs(old_db: Path, tmp_path: Path) -> None:
    result = run_cli(["runs", "--db", str(old_db)], cwd=tmp_path, env=_wide())
    assert result.returncode == 0, result.stderr
    rows = tables(result.stdout, head="┃", row="│")[0]
    assert "Benchmark" in rows[0]
    column = rows[0].index("Benchmark")
    assert sorted((r[0], r[column]) for r in rows[1]) == [(run, "mt-eval") for run in RUNS]


@pytest.mark.parametrize("run_id", RUNS)
def test_show_json_is_unchanged(old_db: Path, tmp_path: Path, run_id: str) -> None:
    result = run_cli(["show", run_id, "--db", str(old_db), "--json"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    now = json.loads(result.stdout)
    before = json.loads((FIXTURE / f"{run_id}.show.json").read_text(encoding="utf-8"))
    # The run says which benchmark it is (added since 0.1.0, as other new fields).
    assert now["benchmark"] == "mt-eval"
    assert_holds(now, before)


@pytest.mark.parametrize("run_id", RUNS)
def test_show_table_is_unchanged(old_db: Path, tmp_path: Path, run_id: str) -> None:
    result = run_cli(["show", run_id, "--db", str(old_db)], cwd=tmp_path, env=_wide())
    assert result.returncode == 0, result.stderr
    before = (FIXTURE / f"{run_id}.show.txt").read_text(encoding="utf-8")
    assert_same_tables(before, result.stdout, head="┃", row="│")


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
    assert_same_tables(before, now, head="|", row="|")


Table = tuple[list[str], list[list[str]]]


def tables(text: str, *, head: str, row: str) -> list[Table]:
    """Every table of a rendered text (Markdown, or rich's boxes): its header and rows."""
    found: list[Table] = []
    current: Table | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(head) and (current is None or head != row):
            if current is None or current[1] or head == row:
                current = (_cells(line, head), [])
                found.append(current)
        elif line.startswith(row) and current is not None:
            if not set(line) <= set(row + "-: "):  # not Markdown's separator line
                current[1].append(_cells(line, row))
        elif head == row or line.startswith("└"):
            current = None
    return found


def _cells(line: str, bar: str) -> list[str]:
    return [cell.strip() for cell in line.strip(bar).split(bar)]


def assert_same_tables(before: str, now: str, *, head: str, row: str) -> None:
    """Every table mteval 0.1.0 printed is printed again with the same cells.

    Other work may reword prose, add a column or drop a table of dashes only;
    each of 0.1.0's columns must hold the same values in the same rows.
    """
    new = tables(now, head=head, row=row)
    old = tables(before, head=head, row=row)
    assert old, "the fixture holds no table"
    for headers, rows in old:
        if all(cell in ("—", "") for r in rows for cell in r[1:]):
            continue  # a row of dashes says nothing; newer versions may leave it out
        matches = [(h, r) for h, r in new if set(headers) <= set(h) and len(r) == len(rows)]
        assert matches, f"no table with columns {headers} and {len(rows)} rows"
        assert any(
            all(
                [cells[h.index(c)] for c in headers] == old_cells
                for cells, old_cells in zip(r, rows, strict=True)
            )
            for h, r in matches
        ), f"table {headers} changed"


def assert_holds(now: object, before: object, where: str = "") -> None:
    """``now`` holds everything ``before`` held, with equal values (new keys allowed)."""
    if isinstance(before, dict):
        assert isinstance(now, dict), where
        for key, value in before.items():
            assert key in now, f"{where}.{key} is gone"
            assert_holds(now[key], value, f"{where}.{key}")
    else:
        assert now == before, where


def _wide() -> dict[str, str]:
    from mteval_test_support import subprocess_env

    return subprocess_env(COLUMNS="200")
