"""`mteval view` start-up: one clear error for a bad store, a warning for a public host."""

from __future__ import annotations

import subprocess
import sys

from _viewer_helpers import ViewerProcess

from mteval_test_support import small_store, subprocess_env


def view(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mteval.cli", "view", *args],
        cwd=cwd,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    return lines[0]


def test_a_missing_store_is_one_error_and_is_not_created(tmp_path):
    line = one_error(view("--db", "missing.db", cwd=tmp_path))
    assert "missing.db does not exist" in line
    assert not (tmp_path / "missing.db").exists()


def test_a_store_damaged_mid_file_is_one_error(tmp_path):
    path = tmp_path / "runs.db"
    store, _ = small_store(path)
    for i in range(300):  # enough pages that the damage lands past the header
        store._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{i}", "v" * 900))
    store.close()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8192] = b"\xff" * 8192
    path.write_bytes(bytes(data))
    line = one_error(view("--db", str(path), cwd=tmp_path))
    assert str(path) in line and ".recover" in line


def test_a_file_that_is_not_a_store_is_one_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n" * 1000)
    line = one_error(view("--db", str(path), cwd=tmp_path))
    assert "not a usable mteval database" in line


def test_another_host_than_this_machine_gets_a_warning(tmp_path):
    path = tmp_path / "runs.db"
    small_store(path)[0].close()
    local = ViewerProcess(path, cwd=tmp_path)
    local.stop()
    assert "warning" not in local.stderr()
    public = ViewerProcess(path, "--host", "0.0.0.0", cwd=tmp_path)
    public.stop()
    warned = public.stderr()
    assert "warning: listening on 0.0.0.0" in warned
    assert "readable by anyone" in warned
