"""Generic handling of benchmark data: pinned, checksummed sources found locally or downloaded.

A benchmark declares its files as a :class:`PinnedSource`; lookup order,
download, verification and error messages come from here.
"""

from mteval.data.jsonl import jsonl_rows
from mteval.data.pinned import LazySources, PinnedSource, file_sha256

__all__ = ["LazySources", "PinnedSource", "file_sha256", "jsonl_rows"]
