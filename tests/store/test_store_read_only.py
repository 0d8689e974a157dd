"""The read-only store: it reads while a run writes, and can never change the file."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from mteval.errors import StoreError
from mteval.runner import TurnRecord
from mteval.store import RunStore

from mteval_test_support import small_store


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_only_store_reads_what_a_writer_commits_and_cannot_write(tmp_path):
    path = tmp_path / "runs.db"
    writer, run_id = small_store(path)
    writer.close()
    before = digest(path)
    reader = RunStore(path, read_only=True)
    assert [t.response for t in reader.turns(run_id)] == ["a reply"]
    assert [t.response for t in reader.turns(run_id, text=False)] == [None]
    assert [j.rationale for j in reader.judgments(run_id, text=False)] == [None]
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only"):
        reader._db.execute("DELETE FROM turns")
    with pytest.raises(sqlite3.OperationalError):
        reader._db.execute("PRAGMA query_only = OFF")
        reader._db.execute("CREATE TABLE evil (x)")
    reader.close()
    assert digest(path) == before


def test_read_only_store_sees_a_live_writer(tmp_path):
    path = tmp_path / "runs.db"
    writer, run_id = small_store(path)
    reader = RunStore(path, read_only=True)
    assert len(reader.turns(run_id)) == 1
    writer.sink(run_id).turn_finished(
        TurnRecord(
            task="refinement_multi",
            dialogue_id="d",
            position=1,
            turn_id="1",
            turn_index=2,
            status="error",
            error="HTTP 500",
        )
    )
    writer.flush()
    assert len(reader.turns(run_id)) == 2
    reader.close()
    writer.close()


def test_read_only_open_of_a_missing_file_creates_nothing(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        RunStore(tmp_path / "nope.db", read_only=True)
    assert not (tmp_path / "nope.db").exists()


def test_read_only_open_of_another_database_names_what_is_missing(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE things (x)")
    with pytest.raises(StoreError, match="not an mteval store|not a usable mteval database"):
        RunStore(path, read_only=True)


def test_read_only_open_of_garbage_says_so(tmp_path):
    path = tmp_path / "garbage.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a usable mteval database"):
        RunStore(path, read_only=True)
