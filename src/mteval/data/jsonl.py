"""Reading a JSON Lines data file's rows, each bad line one clear error."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mteval.errors import DataFileError

__all__ = ["jsonl_rows"]


def _truncated(exc: json.JSONDecodeError) -> str:
    return f"not valid JSON ({exc.msg} at column {exc.colno}); the file may be truncated"


def jsonl_rows(
    text: str,
    path: Path,
    *,
    hint: str | None,
    problem: Callable[[json.JSONDecodeError], str] = _truncated,
) -> Iterator[tuple[int, Any]]:
    """Yield ``(line number, value)`` for each non-blank line of a JSONL file's text.

    Rows are yielded one at a time, so a caller that checks each row reports
    the first bad line, whichever way it is bad.

    Args:
        text: The file's text.
        path: The file, named by the error.
        hint: What to do about a bad line (the error's hint).
        problem: The error's message for a line that is not JSON.

    Raises:
        DataFileError: A line is not valid JSON (naming the file and line).
    """
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileError(path, problem(exc), line=number, hint=hint) from None
        yield number, value
