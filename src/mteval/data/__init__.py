"""Generic handling of benchmark data: pinned, checksummed sources found locally or downloaded.

A benchmark declares its files as a :class:`PinnedSource`; lookup order,
download, verification and error messages come from here.
"""

from mteval.data.pinned import PinnedSource, file_sha256

__all__ = ["PinnedSource", "file_sha256"]
