"""Finding, downloading and verifying the MT-Eval sources."""

from __future__ import annotations

import http.server
import io
import shutil
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from mteval.benchmarks.mt_eval import sources as src
from mteval.errors import DataNotFoundError, DownloadError

from mteval_test_support import DATA_DIR

TOP = f"MT-Eval-{src.COMMIT}"


def build_archive(*, drop: str | None = None, corrupt: str | None = None) -> bytes:
    """A zip shaped like GitHub's archive of the pinned commit, from the shared files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{TOP}/README.md", "MT-Eval")
        for rel in src.SOURCE_FILES:
            if rel == drop:
                continue
            content = (DATA_DIR / rel).read_bytes()
            if rel == corrupt:
                content = content[:-10] + b"0123456789"
            archive.writestr(f"{TOP}/{rel}", content)
    return buffer.getvalue()


class _Server:
    def __init__(self, payloads: dict[str, tuple[int, bytes]]) -> None:
        self.payloads = payloads
        self.hits: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.hits.append(self.path)
                status, body = outer.payloads.get(self.path, (404, b"not found"))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def archive_server() -> Iterator[_Server]:
    server = _Server(
        {
            "/good.zip": (200, build_archive()),
            "/missing.zip": (200, build_archive(drop="raw_data/documents.jsonl")),
            "/corrupt.zip": (200, build_archive(corrupt="prompts/expansion_evaluation.txt")),
            "/notzip.zip": (200, b"<html>rate limited</html>"),
        }
    )
    yield server
    server.close()


def test_pinned_manifest_matches_the_shared_copy() -> None:
    for rel, (sha, size) in src.SOURCE_FILES.items():
        path = DATA_DIR / rel
        assert path.stat().st_size == size, rel
        assert src.file_sha256(path) == sha, rel


def test_explicit_path_wins_over_environment(tmp_path: Path) -> None:
    env = {src.DATA_DIR_ENV: str(tmp_path / "elsewhere")}
    assert src.resolve_data_dir(DATA_DIR, environ=env, download=False) == DATA_DIR


def test_environment_variable_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert src.resolve_data_dir(environ={src.DATA_DIR_ENV: str(DATA_DIR)}) == DATA_DIR


def test_incomplete_folder_names_the_missing_file_and_what_to_do(tmp_path: Path) -> None:
    shutil.copytree(DATA_DIR / "prompts", tmp_path / "prompts")
    with pytest.raises(DataNotFoundError) as info:
        src.resolve_data_dir(tmp_path, environ={}, download=False)
    message = str(info.value)
    assert "raw_data/documents.jsonl" in message
    assert "MTEVAL_DATA_DIR" in message and "mteval data fetch" in message


def test_cache_folder_is_used_when_complete(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(DATA_DIR, cache)
    monkeypatch.setattr(src, "default_cache_dir", lambda: cache)
    assert src.resolve_data_dir(environ={}, download=False) == cache


def test_missing_everywhere_without_download_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(src, "default_cache_dir", lambda: tmp_path / "empty")
    with pytest.raises(DataNotFoundError, match="mteval data fetch"):
        src.resolve_data_dir(environ={}, download=False)


def test_fetch_downloads_and_verifies_into_the_folder(
    archive_server: _Server, tmp_path: Path
) -> None:
    dest = tmp_path / "sources"
    path = src.fetch_sources(dest, url=archive_server.url("/good.zip"))
    assert path == dest
    assert src.missing_files(dest) == []
    for rel, (sha, _size) in src.SOURCE_FILES.items():
        assert src.file_sha256(dest / rel) == sha
    # A second fetch finds everything in place and sends nothing.
    hits = len(archive_server.hits)
    src.fetch_sources(dest, url=archive_server.url("/good.zip"))
    assert len(archive_server.hits) == hits


def test_missing_sources_are_downloaded_into_the_cache(
    archive_server: _Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = tmp_path / "cache" / "mt-eval"
    monkeypatch.setattr(src, "default_cache_dir", lambda: cache)
    env = {src.DATA_URL_ENV: archive_server.url("/good.zip")}
    assert src.resolve_data_dir(environ=env) == cache
    assert src.missing_files(cache) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/corrupt.zip", "does not match the pinned checksum"),
        ("/missing.zip", "lacks raw_data/documents.jsonl"),
        ("/notzip.zip", "did not return a zip archive"),
        ("/absent.zip", "HTTP 404"),
    ],
)
def test_bad_downloads_fail_clearly_and_leave_nothing(
    archive_server: _Server, tmp_path: Path, path: str, expected: str
) -> None:
    dest = tmp_path / "sources"
    with pytest.raises(DownloadError, match=expected):
        src.fetch_sources(dest, url=archive_server.url(path))
    assert not dest.exists()
    assert not any(p.name.startswith(".mteval-fetch-") for p in tmp_path.iterdir())


def test_unreachable_host_is_a_download_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="failed"):
        src.fetch_sources(tmp_path / "x", url="http://127.0.0.1:9/none.zip", timeout_s=2)


def test_a_missing_given_folder_advises_fixing_the_given_path(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError) as given:
        src.resolve_data_dir(tmp_path / "nonexistent", environ={}, download=False)
    assert "pass --data-dir" in str(given.value).split("):", 1)[1]
    with pytest.raises(DataNotFoundError) as from_env:
        src.resolve_data_dir(
            None, environ={"MTEVAL_DATA_DIR": str(tmp_path / "nonexistent")}, download=False
        )
    advice = str(from_env.value).split("):", 1)[1]
    assert advice.strip().startswith("set MTEVAL_DATA_DIR") and "--data-dir" not in advice


def test_a_failed_download_does_not_advise_running_the_download_again(tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as caught:
        src.fetch_sources(tmp_path / "x", url="http://127.0.0.1:9/none.zip", timeout_s=2)
    message = str(caught.value)
    assert "mteval data fetch" not in message
    assert "MTEVAL_DATA_DIR" in message and "check the connection" in message
