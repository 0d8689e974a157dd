"""Finding, downloading, verifying and reading MT-Bench-101's data file."""

from __future__ import annotations

import collections
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mt_bench_101_opencompass import MTB101_DIR, MTB101_FILE
from mteval.benchmarks.mt_bench_101 import TASKS, evaluated_indices, load_dialogues
from mteval.benchmarks.mt_bench_101 import source as src
from mteval.errors import DataFileError, DataNotFoundError, DownloadError


def test_shared_copy_matches_the_pin() -> None:
    import hashlib

    payload = MTB101_FILE.read_bytes()
    assert len(payload) == src.FILE_SIZE
    assert hashlib.sha256(payload).hexdigest() == src.FILE_SHA256


def test_loads_the_papers_counts() -> None:
    dialogues = load_dialogues(MTB101_FILE)
    assert len(dialogues) == 1388
    assert sum(len(d.turns) for d in dialogues) == 4208
    assert sum(len(evaluated_indices(d)) for d in dialogues) == 3615
    assert set(collections.Counter(d.task for d in dialogues)) == set(TASKS)
    assert dialogues[0].line == 1 and dialogues[-1].line == 1388


def test_explicit_folder_wins_over_the_environment(tmp_path: Path) -> None:
    env = {src.DATA_DIR_ENV: str(tmp_path / "elsewhere")}
    assert src.data_file(MTB101_DIR, environ=env, download=False) == MTB101_FILE


def test_environment_variable_is_used() -> None:
    env = {src.DATA_DIR_ENV: str(MTB101_DIR)}
    assert src.data_file(environ=env, download=False) == MTB101_FILE


def test_folder_without_the_file_names_it_and_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as info:
        src.data_file(tmp_path, environ={}, download=False)
    message = str(info.value)
    assert str(tmp_path / "mtbench101.jsonl") in message
    assert "MTBENCH101_DATA_DIR" in message


def test_missing_everywhere_without_download_says_what_to_do() -> None:
    with pytest.raises(DataNotFoundError, match="MTBENCH101_DATA_DIR"):
        src.data_file(environ={}, download=False)


class _FileServer:
    def __init__(self, payloads: dict[str, bytes]) -> None:
        self.hits: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.hits.append(self.path)
                body = payloads.get(self.path)
                self.send_response(200 if body is not None else 404)
                body = body if body is not None else b"not found"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture(scope="module")
def server() -> Iterator[_FileServer]:
    good = MTB101_FILE.read_bytes()
    files = {
        "/good/mtbench101.jsonl": good,
        "/edited/mtbench101.jsonl": good.replace(b"Human", b"Humam", 1),
    }
    running = _FileServer(files)
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


def test_missing_data_is_downloaded_verified_into_the_cache(server: _FileServer) -> None:
    env = {src.DATA_URL_ENV: server.url("/good")}
    path = src.data_file(environ=env)
    assert path == src.SOURCE.default_cache_dir() / "mtbench101.jsonl"
    assert path.read_bytes() == MTB101_FILE.read_bytes()
    hits = len(server.hits)
    assert src.data_file(environ=env) == path
    assert len(server.hits) == hits  # found in the cache: nothing downloaded


@pytest.mark.parametrize(
    ("base", "expected"),
    [("/edited", "does not match the pinned checksum"), ("/absent", "HTTP 404")],
)
def test_bad_downloads_fail_clearly_and_leave_nothing(
    server: _FileServer, tmp_path: Path, base: str, expected: str
) -> None:
    dest = tmp_path / "data"
    with pytest.raises(DownloadError, match=expected):
        src.SOURCE.fetch(dest, url=server.url(base))
    assert not dest.exists()


def _write(tmp_path: Path, rows: list[object], *, raw_line: str | None = None) -> Path:
    lines = [json.dumps(row) for row in rows]
    if raw_line is not None:
        lines.append(raw_line)
    path = tmp_path / "mtbench101.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


_GOOD = {"task": "CM", "id": 1, "history": [{"user": "a", "bot": "b"}, {"user": "c", "bot": "d"}]}


@pytest.mark.parametrize(
    ("bad", "line", "field", "what"),
    [
        ({**_GOOD, "id": 1}, 2, "id", "repeats line 1"),
        ({"task": "XX", "id": 2, "history": _GOOD["history"]}, 2, "task", "unknown task"),
        ({"task": "CM", "id": "2", "history": _GOOD["history"]}, 2, "id", "expected an integer"),
        ({"task": "CM", "id": 2}, 2, "history", "required field is missing"),
        ({"task": "CM", "id": 2, "history": []}, 2, "history", "non-empty list"),
        ({"task": "CM", "id": 2, "history": [{"user": "a"}]}, 2, "history.0.bot", "missing"),
        ({"task": "SI", "id": 2, "history": [{"user": 1, "bot": "b"}]}, 2, "history.0.user", "str"),
        ({"task": "CM", "id": 2, "history": [{"user": "a", "bot": "b"}]}, 2, "history", "2+ turns"),
    ],
)
def test_malformed_rows_name_file_line_and_field(
    tmp_path: Path, bad: dict, line: int, field: str, what: str
) -> None:
    path = _write(tmp_path, [_GOOD, bad])
    with pytest.raises(DataFileError) as info:
        load_dialogues(path, verify=False)
    error = info.value
    assert (error.path, error.line, error.field) == (path, line, field)
    assert what in str(error) and "Restore the file" in str(error)


def test_truncated_line_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, [_GOOD], raw_line='{"task": "CM", "id": 2, "hist')
    with pytest.raises(DataFileError, match=r"line 2: not valid JSON.*truncated"):
        load_dialogues(path, verify=False)


def test_edited_file_fails_the_checksum(tmp_path: Path) -> None:
    path = _write(tmp_path, [_GOOD])
    with pytest.raises(DataFileError, match="differs from the pinned MT-Bench-101 data"):
        load_dialogues(path)
    assert len(load_dialogues(path, verify=False)) == 1


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="MTBENCH101_DATA_DIR"):
        load_dialogues(tmp_path / "mtbench101.jsonl")
