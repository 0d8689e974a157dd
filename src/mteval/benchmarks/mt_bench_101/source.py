"""Where MT-Bench-101's data comes from, and reading it.

The data is ``data/subjective/mtbench101.jsonl`` of the benchmark's repository
(``mtbench101/mt-bench-101``) at one pinned commit: 1,388 dialogues, one JSON
object a line, ``{"task", "id", "history": [{"user", "bot"}, ...]}`` where
``bot`` is the golden reply. It is never bundled. Lookup order
(:class:`~mteval.data.PinnedSource`): an explicit folder (``--data-dir``),
``$MTBENCH101_DATA_DIR``, the user cache folder, and otherwise a download of
the file at the pinned commit into the cache; the file is checked against its
pinned SHA-256, so a score always comes from the same dialogues.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mteval.data import PinnedSource, jsonl_rows
from mteval.errors import DataFileError

from .taxonomy import SKIP_FIRST_TASKS, TASKS

__all__ = [
    "COMMIT",
    "DATA_DIR_ENV",
    "DATA_URL_ENV",
    "FILE_NAME",
    "FILE_SHA256",
    "FILE_SIZE",
    "REPOSITORY",
    "REPO_PATH",
    "SOURCE",
    "Mtb101Dialogue",
    "data_file",
    "load_dialogues",
]

REPOSITORY = "mtbench101/mt-bench-101"
COMMIT = "bc18b3e2c18c99164e11528f1a79c92083db5953"
REPO_PATH = "data/subjective/mtbench101.jsonl"
FILE_NAME = "mtbench101.jsonl"
FILE_SHA256 = "1a1e433acf7e2ef013b5001b60fd8e48bc3e4202460727e25b2ea8575aae7d80"
FILE_SIZE = 1875440
DATA_DIR_ENV = "MTBENCH101_DATA_DIR"
DATA_URL_ENV = "MTBENCH101_DATA_URL"
"""A mirror to download from instead of GitHub: the file is fetched as ``URL/mtbench101.jsonl``."""
N_DIALOGUES = 1388

SOURCE = PinnedSource(
    title="MT-Bench-101 data",
    label="MT-Bench-101",
    repository=REPOSITORY,
    commit=COMMIT,
    files={FILE_NAME: (FILE_SHA256, FILE_SIZE)},
    env_var=DATA_DIR_ENV,
    url_env_var=DATA_URL_ENV,
    cache_name=f"mt-bench-101-{COMMIT[:12]}",
    raw_url="https://raw.githubusercontent.com/{repository}/{commit}/{path}",
    remote_paths={FILE_NAME: REPO_PATH},
    notice="The data is licensed Apache-2.0 by its authors.\n",
    fetch_command="mteval data fetch --benchmark mt-bench-101",
)
"""The data file, pinned (the engine's generic lookup, download and verification)."""

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


def data_file(
    path: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    environ: Any = None,
) -> Path:
    """Locate ``mtbench101.jsonl`` (see :class:`~mteval.data.PinnedSource`).

    Args:
        path: An explicit folder holding the file.
        download: Whether to download it when no copy is found.
        environ: The environment to read (defaults to ``os.environ``).

    Raises:
        DataNotFoundError: The folder lacks the file, or no copy exists and
            downloading is off or failed.
    """
    return SOURCE.resolve(path, download=download, environ=environ) / FILE_NAME


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
        raise DataFileError(path, "data file not found", hint=SOURCE.what_to_do()) from None
    except OSError as exc:
        raise DataFileError(path, f"cannot be read ({exc.strerror})", hint=_REFETCH) from None
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 text ({exc.reason})", hint=_REFETCH) from None
    dialogues: list[Mtb101Dialogue] = []
    seen: dict[int, int] = {}
    for number, raw in jsonl_rows(text, path, hint=_REFETCH):
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
