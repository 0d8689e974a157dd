"""Find, fetch and validate the MT-Eval sources, and export task sets."""

from mteval.data.export import export_task_set, write_published_jsonl
from mteval.data.loaders import JUDGE_TEMPLATES, TOPICS, SourceFiles
from mteval.data.sources import (
    ARCHIVE_URL,
    COMMIT,
    SOURCE_FILES,
    default_cache_dir,
    fetch_sources,
    resolve_data_dir,
)

__all__ = [
    "ARCHIVE_URL",
    "COMMIT",
    "JUDGE_TEMPLATES",
    "SOURCE_FILES",
    "TOPICS",
    "SourceFiles",
    "default_cache_dir",
    "export_task_set",
    "fetch_sources",
    "resolve_data_dir",
    "write_published_jsonl",
]
