"""Find, download, verify and read MT-Bench-101's one data file.

The data is ``data/subjective/mtbench101.jsonl`` of the benchmark's repository
(``mtbench101/mt-bench-101``) at one pinned commit: 1,388 dialogues, one JSON
object a line, ``{"task", "id", "history": [{"user", "bot"}, ...]}`` where
``bot`` is the golden reply. It is never bundled: it is looked up at an
explicit folder, in ``$MTBENCH101_DATA_DIR``, in the user cache folder, and
otherwise downloaded into the cache. The file is checked against a pinned
SHA-256 so a score always comes from the same dialogues.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from mteval.errors import DataFileError, DataNotFoundError, DownloadError

from .taxonomy import SKIP_FIRST_TASKS, TASKS

__all__ = [
    "COMMIT",
    "DATA_DIR_ENV",
    "DATA_URL_ENV",
    "FILE_NAME",
    "FILE_SHA256",
    "FILE_SIZE",
    "FILE_URL",
    "REPOSITORY",
    "Mtb101Dialogue",
    "default_cache_dir",
    "fetch_data",
    "load_dialogues",
    "resolve_data_file",
]

REPOSITORY = "mtbench101/mt-bench-101"
COMMIT = "bc18b3e2c18c99164e11528f1a79c92083db5953"
REPO_PATH = "data/subjective/mtbench101.jsonl"
FILE_NAME = "mtbench101.jsonl"
FILE_SHA256 = "1a1e433acf7e2ef013b5001b60fd8e48bc3e4202460727e25b2ea8575aae7d80"
FILE_SIZE = 1875440
FILE_URL = f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/{REPO_PATH}"
DATA_DIR_ENV = "MTBENCH101_DATA_DIR"
DATA_URL_ENV = "MTBENCH101_DATA_URL"
N_DIALOGUES = 1388

_WHAT_TO_DO = (
    f"set {DATA_DIR_ENV} (or pass --data-dir) to a folder holding {FILE_NAME} from "
    f"{REPOSITORY} at commit {COMMIT[:12]} ({REPO_PATH}), or run once with internet access"
)
_REFETCH = (
    f"Restore the file ({REPO_PATH} of {REPOSITORY} at commit {COMMIT[:12]}), or delete it "
    "from the cache folder so that mteval downloads it again"
)


@dataclass(frozen=True)
class Mtb101Dialogue:
    """One dialogue of the data file, as read.

    Attributes:
        task: The task abbreviation (``CM``, ``SI``, ...).
        id: The dialogue id (unique across the file).
        turns: ``(user, golden bot reply)`` pairs, in order.
        line: The 1-based line of the data file it came from.
    """

    task: str
    id: int
    turns: tuple[tuple[str, str], ...]
    line: int = 0


def default_cache_dir() -> Path:
    """Return the user cache folder where the downloaded file lives."""
    return Path(platformdirs.user_cache_dir("mteval")) / f"mt-bench-101-{COMMIT[:12]}"


def resolve_data_file(
    path: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Locate ``mtbench101.jsonl``, downloading it into the cache if allowed.

    Lookup order: the folder ``path``; ``$MTBENCH101_DATA_DIR``; the user cache
    folder; a download into the cache (when ``download`` is true).

    Args:
        path: An explicit folder holding the file.
        download: Whether to download the file when no copy is found.
        environ: The environment to read (defaults to ``os.environ``).

    Returns:
        The path of the data file.

    Raises:
        DataNotFoundError: An explicit folder lacks the file, or no copy exists and
            downloading is off or failed.
    """
    env = os.environ if environ is None else environ
    for origin, candidate in (("the given path", path), (DATA_DIR_ENV, env.get(DATA_DIR_ENV))):
        if candidate:
            root = Path(candidate).expanduser()
            if not (root / FILE_NAME).is_file():
                raise DataNotFoundError(
                    f"{root / FILE_NAME} not found ({origin} points at {root}): " + _WHAT_TO_DO
                )
            return root / FILE_NAME
    cached = default_cache_dir() / FILE_NAME
    if cached.is_file():
        return cached
    if not download:
        raise DataNotFoundError("the MT-Bench-101 data was not found: " + _WHAT_TO_DO)
    try:
        return fetch_data(url=env.get(DATA_URL_ENV))
    except DownloadError as exc:
        raise DataNotFoundError(f"the MT-Bench-101 data was not found and {exc}") from exc


def fetch_data(
    dest: Path | None = None, *, url: str | None = None, timeout_s: float = 60.0
) -> Path:
    """Download the pinned data file into ``dest`` after checking its SHA-256.

    Nothing is written unless the download verifies, and the file appears
    atomically (a failed download leaves no partial copy).

    Args:
        dest: Target folder (default: the user cache folder).
        url: File URL (default: ``$MTBENCH101_DATA_URL`` or the pinned GitHub URL).
        timeout_s: Network timeout per read, in seconds.

    Returns:
        The path of the verified file.

    Raises:
        DownloadError: The download failed or its content differs from the pin.
    """
    folder = default_cache_dir() if dest is None else Path(dest).expanduser()
    source = url or os.environ.get(DATA_URL_ENV) or FILE_URL
    request = urllib.request.Request(source, headers={"User-Agent": "mteval"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            payload = bytes(response.read())
    except urllib.error.HTTPError as exc:
        raise DownloadError(
            f"downloading {source} failed with HTTP {exc.code}: " + _WHAT_TO_DO
        ) from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"downloading {source} failed ({reason}): " + _WHAT_TO_DO) from exc
    got = hashlib.sha256(payload).hexdigest()
    if got != FILE_SHA256:
        raise DownloadError(
            f"{source} does not match the pinned checksum (sha256 {got[:12]}..., expected "
            f"{FILE_SHA256[:12]}...): the download is corrupt or not the pinned commit; "
            "retry, or " + _WHAT_TO_DO
        )
    folder.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=".mteval-fetch-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
        os.replace(staging, folder / FILE_NAME)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
    return folder / FILE_NAME


def _field_error(path: Path, line: int, field: str, message: str) -> DataFileError:
    return DataFileError(path, message, line=line, field=field, hint=_REFETCH)


def _parse_row(path: Path, line: int, raw: Any) -> Mtb101Dialogue:
    if not isinstance(raw, dict):
        raise _field_error(path, line, "", f"expected a JSON object, found {type(raw).__name__}")
    for key in ("task", "id", "history"):
        if key not in raw:
            raise _field_error(path, line, key, "required field is missing")
    task = raw["task"]
    if task not in TASKS:
        raise _field_error(
            path, line, "task", f"unknown task {task!r}; expected one of {', '.join(TASKS)}"
        )
    ident = raw["id"]
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise _field_error(path, line, "id", f"expected an integer, found {ident!r}")
    history = raw["history"]
    if not isinstance(history, list) or not history:
        raise _field_error(path, line, "history", "expected a non-empty list of turns")
    turns: list[tuple[str, str]] = []
    for index, turn in enumerate(history):
        if not isinstance(turn, dict):
            raise _field_error(path, line, f"history.{index}", "expected a {user, bot} object")
        texts = []
        for key in ("user", "bot"):
            value = turn.get(key)
            if not isinstance(value, str):
                problem = "required field is missing" if value is None else "expected a string"
                raise _field_error(path, line, f"history.{index}.{key}", problem)
            texts.append(value)
        turns.append((texts[0], texts[1]))
    if task in SKIP_FIRST_TASKS and len(turns) < 2:
        raise _field_error(
            path, line, "history", f"task {task} evaluates from turn 2 on: expected 2+ turns"
        )
    return Mtb101Dialogue(task=task, id=ident, turns=tuple(turns), line=line)


def load_dialogues(path: Path, *, verify: bool = True) -> tuple[Mtb101Dialogue, ...]:
    """Read and validate the data file, in file order.

    Structure is checked first, so a broken line is named precisely, and then
    the whole file against the pinned SHA-256.

    Args:
        path: The data file.
        verify: Check the pinned checksum (off only to use edited data on purpose).

    Raises:
        DataFileError: The file is unreadable, malformed (naming the line and
            field), repeats a dialogue id, or differs from the pinned file.
    """
    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(path, "data file not found", hint=_WHAT_TO_DO) from None
    except OSError as exc:
        raise DataFileError(path, f"cannot be read ({exc.strerror})", hint=_REFETCH) from None
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 text ({exc.reason})", hint=_REFETCH) from None
    dialogues: list[Mtb101Dialogue] = []
    seen: dict[int, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileError(
                path,
                f"not valid JSON ({exc.msg} at column {exc.colno}); the file may be truncated",
                line=number,
                hint=_REFETCH,
            ) from None
        dialogue = _parse_row(path, number, raw)
        if dialogue.id in seen:
            raise _field_error(
                path, number, "id", f"dialogue id {dialogue.id} repeats line {seen[dialogue.id]}"
            )
        seen[dialogue.id] = number
        dialogues.append(dialogue)
    if verify:
        got = hashlib.sha256(payload).hexdigest()
        if got != FILE_SHA256:
            raise DataFileError(
                path,
                f"content differs from the pinned MT-Bench-101 data (sha256 {got[:12]}..., "
                f"expected {FILE_SHA256[:12]}...; {len(dialogues)} dialogues, expected "
                f"{N_DIALOGUES})",
                hint=_REFETCH,
            )
    return tuple(dialogues)
