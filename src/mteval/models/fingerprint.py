"""Fingerprints of local weights, so a changed checkpoint never reuses stale replies.

A file's fingerprint is its SHA-256. Hashing a multi-gigabyte checkpoint takes
a while, so each digest is remembered in the user cache folder under the
file's resolved path, size and modification time (nanoseconds): the next run
reads it back at the cost of one ``stat``, and any change to the file (a copy
over it, an appended byte) changes the size or mtime and hashes it again. A
folder's fingerprint hashes its files' names and fingerprints; a model named
on the Hugging Face hub is fingerprinted by the snapshot revision in use.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from mteval.types import stable_hash

__all__ = ["file_fingerprint", "folder_fingerprint", "hub_revision", "path_fingerprint"]

_CHUNK = 1 << 20
_LOCK = threading.Lock()


def _cache_file() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mteval")) / "weights-sha256.json"


def _load_cache(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _store(path: Path, key: str, digest: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _load_cache(path)
        data[key] = digest
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=0, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs hashing again next time


def file_fingerprint(path: str | os.PathLike[str]) -> str:
    """Return ``sha256:<hex>`` of a file, computed once per (path, size, mtime).

    Raises:
        OSError: The file cannot be read.
    """
    resolved = Path(path).resolve()
    info = resolved.stat()
    key = f"{resolved}|{info.st_size}|{info.st_mtime_ns}"
    cache = _cache_file()
    with _LOCK:
        known = _load_cache(cache).get(key)
    if known:
        return known
    digest = hashlib.sha256()
    with resolved.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    value = f"sha256:{digest.hexdigest()}"
    with _LOCK:
        _store(cache, key, value)
    return value


def folder_fingerprint(path: str | os.PathLike[str]) -> str:
    """Return a hash over every file of a checkpoint folder (names and contents).

    Raises:
        OSError: A file cannot be read.
    """
    root = Path(path).resolve()
    files = sorted(p for p in root.rglob("*") if p.is_file() and ".cache" not in p.parts)
    return "files:" + stable_hash(
        {p.relative_to(root).as_posix(): file_fingerprint(p) for p in files}
    )


def path_fingerprint(path: str | os.PathLike[str]) -> str:
    """Fingerprint a weights file or a checkpoint folder.

    Raises:
        OSError: Missing or unreadable.
    """
    return folder_fingerprint(path) if Path(path).is_dir() else file_fingerprint(path)


def hub_revision(repo_id: str, revision: str | None = None) -> str:
    """Fingerprint a model named on the Hugging Face hub by its snapshot revision.

    The locally cached snapshot is used when there is one (no network);
    otherwise the hub is asked which commit ``revision`` (default: main) is.

    Raises:
        OSError: Neither the cache nor the hub can say.
    """
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(repo_id, revision=revision, local_files_only=True)
        return "hf-revision:" + Path(folder).name
    except Exception:  # not cached: ask the hub (huggingface_hub raises many types)
        pass
    try:
        from huggingface_hub import HfApi

        sha = HfApi().model_info(repo_id, revision=revision).sha
    except Exception as exc:
        raise OSError(
            f"cannot find the revision of {repo_id} on the hub or in its cache: {exc}"
        ) from None
    if not sha:
        raise OSError(f"the hub names no revision for {repo_id}")
    return "hf-revision:" + sha
