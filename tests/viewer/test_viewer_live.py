"""The viewer follows a run in progress, and renders a run killed half-way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _viewer_helpers import ViewerProcess
from test_viewer_browser import ARGS, CHROMIUM

from mteval_test_support import EndpointProcess, subprocess_env


def start_run(db: Path, endpoint: EndpointProcess, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mteval.cli",
            "run",
            "--model",
            "openai/echo",
            "--model-base-url",
            endpoint.base_url,
            "--judge",
            "openai/judge",
            "--judge-base-url",
            endpoint.base_url,
            "--tasks",
            "refinement_multi,expansion_multi",
            "--limit",
            "4",
            "--db",
            str(db),
            "--output-dir",
            str(cwd / "out"),
            "--max-connections",
            "2",
            "--no-progress",
        ],
        cwd=cwd,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def slow_endpoint(tmp_path):
    endpoint = EndpointProcess(
        {"models": {"judge": {"kind": "judge"}}, "latency_s": 0.25, "max_concurrency": 2},
        tmp_path / "endpoint",
    )
    yield endpoint
    endpoint.stop()


@pytest.fixture
def empty_store(tmp_path):
    from mteval.store import RunStore

    db = tmp_path / "live.db"
    RunStore(db).close()
    return db


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium")
def test_the_runs_page_follows_a_run_in_progress(tmp_path, slow_endpoint, empty_store):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    viewer = ViewerProcess(empty_store, cwd=tmp_path)
    run = None
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = browser.new_page()
                page.goto(viewer.url + "/")
                assert page.locator("table.runs tbody tr[data-run]").count() == 0
                run = start_run(empty_store, slow_endpoint, tmp_path)
                # The page notices the new run by itself (it polls /api/runs).
                row = page.locator("table.runs tbody tr[data-run]")
                row.wait_for(timeout=60_000)
                done = row.locator('[data-field="done"]')
                status = row.locator('[data-field="status"]')
                seen = [(int(done.inner_text()), status.inner_text())]
                deadline = time.monotonic() + 120
                while len({n for n, _ in seen}) < 3 and time.monotonic() < deadline:
                    page.wait_for_timeout(500)
                    seen.append((int(done.inner_text()), status.inner_text()))
                counts = [n for n, _ in seen]
                assert len(set(counts)) >= 3, seen
                assert counts == sorted(counts)  # counts only grow
                assert seen[-1][1] == "running", seen
                page.screenshot(path=str(tmp_path / "live.png"))
                assert run.wait(timeout=300) == 0, run.stderr.read() if run.stderr else ""
                page.wait_for_function(
                    "() => document.querySelector('[data-field=status]').textContent"
                    " === 'finished'",
                    timeout=30_000,
                )
            finally:
                browser.close()
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.wait()
        viewer.stop()


def test_a_run_killed_half_way_renders(tmp_path, slow_endpoint, empty_store):
    run = start_run(empty_store, slow_endpoint, tmp_path)
    viewer = ViewerProcess(empty_store, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = viewer.json("/api/runs")
            if runs and next(iter(runs.values()))["done"] >= 5:
                break
            time.sleep(0.2)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        ((run_id, state),) = viewer.json("/api/runs").items()
        assert state["status"] == "running" and 5 <= state["done"] < state["expected"]
        status, page = viewer.get(f"/run/{run_id}")
        assert status == 200 and "Turns done" in page
        status, page = viewer.get(f"/run/{run_id}/turns")
        assert status == 200 and "turns match" in page
        status, page = viewer.get("/")
        assert status == 200 and run_id in page
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        viewer.stop()
