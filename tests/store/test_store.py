"""The SQLite run store: records, the cache, resumption, integrity, concurrency."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from mteval.errors import StoreError
from mteval.runner import JudgmentRecord, ResumeState, TurnRecord
from mteval.store import RunStore
from mteval.types import ModelOutput, Usage


def new_run(store: RunStore, fingerprint: str = "fp") -> str:
    return store.create_run(
        fingerprint=fingerprint,
        model="openai/m",
        judge="openai/j",
        tasks=["refinement_multi"],
        config={"run": {}, "n_turns": {"refinement_multi": 3}},
        mteval_version="test",
        data_commit="c",
    ).run_id


def turn(position: int, status: str = "answered") -> TurnRecord:
    return TurnRecord(
        task="refinement_multi",
        dialogue_id="d",
        position=position,
        turn_id=str(position),
        turn_index=position + 1,
        status=status,  # type: ignore[arg-type]
        response=f"reply {position}" if status == "answered" else None,
    )


def judgment(position: int, status: str = "scored", attempts: int = 1) -> JudgmentRecord:
    return JudgmentRecord(
        task="refinement_multi",
        dialogue_id="d",
        position=position,
        turn_index=position + 1,
        method="judge",
        status=status,  # type: ignore[arg-type]
        score=7.0 if status == "scored" else None,
        attempts=attempts,
    )


def test_records_round_trip_and_upsert(tmp_path: Path) -> None:
    with RunStore(tmp_path / "m.db") as store:
        run_id = new_run(store)
        sink = store.sink(run_id)
        sink.turn_finished(turn(0, "error"))
        sink.turn_finished(turn(0))
        sink.turn_finished(turn(1))
        sink.judgment_finished(judgment(0))
        store.flush()
        assert [t.status for t in store.turns(run_id)] == ["answered", "answered"]
        assert store.judgments(run_id)[0].score == 7.0
    with RunStore(tmp_path / "m.db") as again:
        assert again.get_run(run_id).fingerprint == "fp"
        assert len(again.turns(run_id)) == 2


def test_completion_cache_survives_reopening(tmp_path: Path) -> None:
    output = ModelOutput(content="hi", usage=Usage(prompt_tokens=3, completion_tokens=1), key="k")
    with RunStore(tmp_path / "m.db") as store:
        store.put("k", '{"messages":[{"role":"user","content":"x"}]}', output)
        assert store.get("k") is not None  # visible before the commit too
    with RunStore(tmp_path / "m.db") as store:
        cached = store.get("k")
        assert cached is not None and cached.content == "hi"
        assert cached.usage is not None and cached.usage.prompt_tokens == 3
        assert store.request("k") == {"messages": [{"role": "user", "content": "x"}]}
        assert store.get("missing") is None


def test_resume_state_keeps_finished_work_only(tmp_path: Path) -> None:
    with RunStore(tmp_path / "m.db") as store:
        run_id = new_run(store)
        sink = store.sink(run_id)
        for record in (turn(0), turn(1, "error"), turn(2, "not_run")):
            sink.turn_finished(record)
        sink.judgment_finished(judgment(0))
        sink.judgment_finished(judgment(1, "error", attempts=3))
        store.flush()
        state = ResumeState.from_records(store.turns(run_id), store.judgments(run_id))
    assert list(state.turns) == [("refinement_multi", "d", 0)]
    assert list(state.judgments) == [("refinement_multi", "d", 0)]
    assert state.judge_attempts == {("refinement_multi", "d", 1): 3}


def test_runs_are_found_by_fingerprint_and_listed(tmp_path: Path) -> None:
    with RunStore(tmp_path / "m.db") as store:
        first = new_run(store, "a")
        second = new_run(store, "b")
        assert store.find_run("a").run_id == first  # type: ignore[union-attr]
        assert store.find_run("zzz") is None
        assert {r.run_id for r in store.list_runs()} == {first, second}
        with pytest.raises(StoreError, match="no run 'nope'"):
            store.get_run("nope")


def test_a_live_owner_blocks_a_second_claim(tmp_path: Path) -> None:
    with RunStore(tmp_path / "m.db") as store:
        run_id = new_run(store)
        store.claim_run(run_id)
        store.claim_run(run_id)  # the same process may claim again
        store._db.execute("UPDATE runs SET owner_pid = 1 WHERE run_id = ?", (run_id,))
        with pytest.raises(StoreError, match="being run by another process"):
            store.claim_run(run_id)
        # A dead owner's claim is taken over.
        store._db.execute("UPDATE runs SET owner_pid = 999999999 WHERE run_id = ?", (run_id,))
        store.claim_run(run_id)
        store.finish_run(run_id, status="finished", summary={"usage": {}})
        assert store.get_run(run_id).status == "finished"


def test_a_non_database_file_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not sqlite at all " * 100)
    with pytest.raises(StoreError, match="not a usable mteval database"):
        RunStore(path)


def _writer(path: str, worker: int) -> None:
    with RunStore(path) as store:
        run_id = new_run(store, f"fp{worker}")
        sink = store.sink(run_id)
        for i in range(300):
            sink.turn_finished(turn(i))
            store.put(f"k{worker}-{i}", "{}", ModelOutput(content=str(i)))
            if i % 50 == 0:
                store.flush()


def test_two_processes_write_one_database_safely(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    RunStore(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), w)) for w in range(2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    with RunStore(path) as store:
        assert store.integrity_check() == "ok"
        assert store.completion_count() == 600
        assert all(len(store.turns(r.run_id)) == 300 for r in store.list_runs())
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()
