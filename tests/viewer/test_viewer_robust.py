"""Odd stores render: an older mteval's run, another benchmark's run; no URL reaches a file."""

from __future__ import annotations

import hashlib

import pytest

from mteval.runner import JudgmentRecord, TurnRecord
from mteval.store import RunStore


def add(store, *, tasks, config, version, status, dialogue="d1", n=3):
    run_id = store.create_run(
        fingerprint=f"fp-{version}-{tasks[0]}",
        model="openai/m",
        judge="openai/j",
        tasks=tasks,
        config=config,
        mteval_version=version,
        data_commit=None,
    ).run_id
    sink = store.sink(run_id)
    for position in range(n):
        sink.turn_finished(
            TurnRecord(
                task=tasks[0],
                dialogue_id=dialogue,
                position=position,
                turn_id=str(position),
                turn_index=position + 1,
                status="answered",
                response=f"reply {position} <script>x()</script>",
            )
        )
        sink.judgment_finished(
            JudgmentRecord(
                task=tasks[0],
                dialogue_id=dialogue,
                position=position,
                turn_index=position + 1,
                method="judge",
                status="scored",
                score=float(position + 5),
                rationale="fine",
            )
        )
    store.flush()
    store.finish_run(run_id, status=status, summary=None)
    return run_id


@pytest.fixture
def odd_store(tmp_path):
    path = tmp_path / "odd.db"
    store = RunStore(path)
    old = add(store, tasks=["refinement_multi"], config={}, version="0.0.1", status="interrupted")
    other = add(
        store,
        tasks=["writing"],
        config={"benchmark": "mt_bench", "n_turns": {"writing": 20}},
        version="9.9.9",
        status="finished",
    )
    store.close()
    return path, old, other


@pytest.fixture
def client(odd_store):
    from starlette.testclient import TestClient

    from mteval.viewer import ViewerConfig, create_app, open_store

    path = odd_store[0]
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    store = open_store(path)
    app = create_app(ViewerConfig(store=store, n_resamples=50))
    yield TestClient(app, base_url="http://127.0.0.1")
    store.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_runs_of_an_older_mteval_and_of_another_benchmark_render(client, odd_store):
    _, old, other = odd_store
    page = client.get("/")
    assert page.status_code == 200
    assert old in page.text and other in page.text and "mt_bench" in page.text
    assert "<script>x()" not in page.text
    for run_id in (old, other):
        for url in (
            f"/run/{run_id}",
            f"/run/{run_id}/turns",
            f"/run/{run_id}/turns?q=reply&min=5&max=9",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "<script>x()" not in response.text
    task = {old: "refinement_multi", other: "writing"}
    for run_id in (old, other):
        response = client.get(f"/run/{run_id}/dialogue?task={task[run_id]}&id=d1")
        assert response.status_code == 200
        assert "&lt;script&gt;x()&lt;/script&gt;" in response.text
    # The other benchmark's run says why it has no score table here.
    assert "No score table" in client.get(f"/run/{other}").text
    # The older run's table comes out, with its turns and no total it did not record.
    older = client.get(f"/run/{old}").text
    assert 'id="tasks"' in older and "refinement_multi" in older


@pytest.mark.parametrize(
    "url",
    [
        "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/../app.py",
        "/run/..%2F..%2Fetc%2Fpasswd",
        "/run/x/dialogue?task=../../../../etc/passwd&id=../../etc/passwd",
        "/run/x/turns?task=/etc/passwd",
        "/compare?run=/etc/passwd&run=../../etc/shadow",
        "/%2e%2e/%2e%2e/etc/passwd",
    ],
)
def test_no_url_parameter_reaches_a_file(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert "root:" not in response.text and "import" not in response.text


def test_bad_parameters_are_a_400_that_says_which(client, odd_store):
    _, old, _ = odd_store
    response = client.get(f"/run/{old}/turns?min=abc")
    assert response.status_code == 400 and "min must be a number" in response.text
    response = client.get(f"/run/{old}/turns?outcome=<b>")
    assert response.status_code == 400 and "<b>" not in response.text
    response = client.get(f"/compare?run={old}")
    assert response.status_code == 400 and "two or more runs" in response.text


def test_every_page_forbids_scripts_but_its_own(client, odd_store):
    _, old, _ = odd_store
    for url in ("/", f"/run/{old}", f"/run/{old}/turns", "/api/runs"):
        policy = client.get(url).headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy


def test_a_page_asked_for_under_another_host_name_is_refused(client):
    # A DNS-rebound name (evil.example -> 127.0.0.1) must not read the store.
    response = client.get("/api/runs", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert client.get("/api/runs", headers={"host": "localhost:8000"}).status_code == 200


def test_a_running_run_whose_process_went_silent_shows_as_stalled(tmp_path):
    import time

    from starlette.testclient import TestClient

    from mteval.viewer import ViewerConfig, create_app, open_store

    path = tmp_path / "stalled.db"
    store = RunStore(path)
    quiet = add(store, tasks=["refinement_multi"], config={}, version="x", status="running")
    alive = add(store, tasks=["expansion_multi"], config={}, version="x", status="running")
    store._db.execute(
        "UPDATE runs SET heartbeat_at = ? WHERE run_id = ?", (time.time() - 3600, quiet)
    )
    store._db.execute("UPDATE runs SET heartbeat_at = ? WHERE run_id = ?", (time.time(), alive))
    store.close()
    reader = open_store(path)
    try:
        client = TestClient(create_app(ViewerConfig(store=reader)), base_url="http://127.0.0.1")
        states = client.get("/api/runs").json()
        assert states[quiet]["status"] == "stalled"
        assert states[alive]["status"] == "running"
        assert ">stalled</span>" in client.get(f"/run/{quiet}").text
    finally:
        reader.close()


def test_a_run_in_progress_is_served_its_last_table_while_the_new_one_is_computed(tmp_path):
    from mteval.viewer import TableCache

    path = tmp_path / "live.db"
    writer = RunStore(path)
    run_id = add(
        writer,
        tasks=["refinement_multi"],
        config={"n_turns": {"refinement_multi": 10}},
        version="x",
        status="running",
    )
    reader = RunStore(path, read_only=True)
    cache = TableCache(n_resamples=20)
    cache.warm(lambda: RunStore(path, read_only=True)).join()
    first = cache.tables(reader, run_id, stale_ok=True)
    assert not first.stale and first.results.tasks["refinement_multi"].n_scored == 3
    writer.sink(run_id).turn_finished(
        TurnRecord(
            task="refinement_multi",
            dialogue_id="d2",
            position=0,
            turn_id="0",
            turn_index=1,
            status="error",
            error="HTTP 500",
        )
    )
    writer.flush()
    stale = cache.tables(reader, run_id, stale_ok=True)
    assert stale.stale and stale.results == first.results
    fresh = cache.tables(reader, run_id)  # waits for the refresh, or computes it
    assert not fresh.stale and fresh.results.tasks["refinement_multi"].n_turn_errors == 1
    reader.close()
    writer.close()


def test_a_database_written_by_mteval_0_1_0_renders_read_only(tmp_path):
    """The upgrade fixture, as 0.1.0 left it: the viewer reads it without migrating it."""
    import json
    import shutil
    from pathlib import Path

    from starlette.testclient import TestClient

    from mteval.viewer import ViewerConfig, create_app, open_store

    fixture = Path(__file__).parents[1] / "store" / "fixtures" / "v0_1_0"
    path = tmp_path / "old.db"
    shutil.copyfile(fixture / "mteval-0.1.0.db", path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    store = open_store(path)
    try:
        client = TestClient(create_app(ViewerConfig(store=store)), base_url="http://127.0.0.1")
        listing = client.get("/")
        assert listing.status_code == 200
        for run_id in (fixture / "runs.txt").read_text(encoding="utf-8").split():
            shown = json.loads((fixture / f"{run_id}.show.json").read_text(encoding="utf-8"))
            average = shown["scores"]["average"]
            if average is not None:
                assert f"{average:.2f}" in listing.text
            page = client.get(f"/run/{run_id}")
            assert page.status_code == 200
            for task, result in shown["tasks"].items():
                assert f'data-task="{task}"' in page.text
                assert f">{result['n_turns']}<" in page.text
            turns = client.get(f"/run/{run_id}/turns")
            assert turns.status_code == 200
            first = json.loads(
                (fixture / f"{run_id}.export.jsonl").read_text(encoding="utf-8").splitlines()[0]
            )
            dialogue = client.get(
                f"/run/{run_id}/dialogue",
                params={"task": first["task"], "id": first["dialogue_id"]},
            )
            assert dialogue.status_code == 200 and 'class="turn' in dialogue.text
    finally:
        store.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
