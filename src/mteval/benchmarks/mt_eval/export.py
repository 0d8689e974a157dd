"""Write task sets in the benchmark's published JSONL format."""

from __future__ import annotations

import json
import os
from pathlib import Path

from mteval.types import TaskSet

__all__ = ["export_task_set", "write_published_jsonl"]


def write_published_jsonl(task_set: TaskSet, path: str | os.PathLike[str]) -> Path:
    """Write ``task_set`` to ``path`` exactly as the benchmark writes its task files.

    One JSON object per line, ``ensure_ascii=False``, the benchmark's key order,
    lines joined by newlines with no trailing newline (as ``create_data.py``
    writes them), so the file can be compared byte for byte with the
    published dataset.

    Returns:
        The path written.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(d.to_published_row(), ensure_ascii=False) for d in task_set.dialogues]
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, target)
    return target


def export_task_set(task_set: TaskSet, directory: str | os.PathLike[str]) -> Path:
    """Write ``task_set`` as ``<directory>/<task name>.jsonl``."""
    return write_published_jsonl(task_set, Path(directory) / f"{task_set.name}.jsonl")
