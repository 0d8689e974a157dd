"""The MT-Eval source files: which, at what commit, with which checksums.

The sources are the public files of the benchmark's repository
(``KwanWaiChung/MT-Eval``) at one pinned commit. They are never bundled with
mteval: they are looked up, in order, at an explicit path, in
``$MTEVAL_DATA_DIR``, in the user cache folder, and otherwise downloaded
from the repository's archive into the cache. Every file is checked against
a pinned SHA-256, so a score always comes from the same inputs. The policy
itself is the generic :class:`mteval.data.PinnedSource`; this module declares
the files and keeps the functions the rest of the package calls.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from mteval.data.pinned import PinnedSource, file_sha256

__all__ = [
    "ARCHIVE_URL",
    "COMMIT",
    "DATA_DIR_ENV",
    "DATA_URL_ENV",
    "REPOSITORY",
    "SOURCE",
    "SOURCE_FILES",
    "default_cache_dir",
    "fetch_sources",
    "file_sha256",
    "missing_files",
    "resolve_data_dir",
]

REPOSITORY = "KwanWaiChung/MT-Eval"
COMMIT = "bfe3a46e41c9837a8ca2a9957c1b1699e5fffef1"
ARCHIVE_URL = f"https://github.com/{REPOSITORY}/archive/{COMMIT}.zip"
DATA_DIR_ENV = "MTEVAL_DATA_DIR"
DATA_URL_ENV = "MTEVAL_DATA_URL"

# Path inside the repository -> (sha256, size in bytes) at COMMIT. Checking
# files one by one (rather than the archive's checksum) keeps the pin valid
# even if the hosting service re-compresses its archives.
SOURCE_FILES: Mapping[str, tuple[str, int]] = {
    "raw_data/documents.jsonl": (
        "229204aa4c31d84c9ef2e53b1aeb1bb991ea54e0a8f485fc9219d8125c87117f",
        328255,
    ),
    "raw_data/global_inst.jsonl": (
        "e88b55839dfba03938d988976cdafcf507b9ac40f6e85fcba5173751b8235da1",
        103487,
    ),
    "raw_data/mt-bench_extended.jsonl": (
        "ef03bc2e109778be630401e072d255748dadcd9e0e895d0e86289f114ac5cbe5",
        578541,
    ),
    "raw_data/refinement_multi_inst.jsonl": (
        "14b6127f534944ffc4a99956d30c70e6020848c7aff4745411e54bf4201bf1cf",
        367031,
    ),
    "raw_data/refinement_single_inst.jsonl": (
        "7ffdd6eb1909910d82ae608093082c5da544b0734f1c491ce0edddc17180965b",
        52332,
    ),
    "data/cls_ablation_dgc.jsonl": (
        "0f82f34aaf2da7f22b26bbafbc2d715b89a705260fd310b7a98d9be7f730bfbc",
        1102507,
    ),
    "data/cls_ablation_gold.jsonl": (
        "8ab863e693b6ed4e1e573194df755ed5620500aff193d69a8fbd2fe333f17c2f",
        1080585,
    ),
    "data/cls_ablation_rc.jsonl": (
        "6b6b0a7e27ce90dd0e00d7961c4cb953bd4d8c93f25474b4b8f9cd6d39754527",
        1080745,
    ),
    "data/cls_ablation_sgc.jsonl": (
        "9b747b95a10569124ba00c2782fe3010001e5a2f874ff7bd145f2549bf7672b9",
        1123649,
    ),
    "data/refinement_ablation_irrelevant-front.jsonl": (
        "b938b94d70dbcb90bd8309799d70c4a79621a2b37d45aa040a15f64ccf1b747a",
        1054102,
    ),
    "prompts/expansion_evaluation.txt": (
        "8168474867af2134fe968b1df800390bd4fa1b97ef52202b328de699780e293d",
        584,
    ),
    "prompts/mt-bench_evaluation.txt": (
        "bde1551acb09d7a411f183098715be7b5de376a2a182c531ed482f4341ee59dd",
        858,
    ),
    "prompts/refinement_multi_evaluation.txt": (
        "a8831d27d6c94b00cdaa821aef0232317b278810610530ed3eff519571322683",
        958,
    ),
    "prompts/refinement_single_evaluation.txt": (
        "36a15a0957a76ca56e116914f61029541b959d8c58ce0da90fb367173123f372",
        873,
    ),
}

SOURCE = PinnedSource(
    title="MT-Eval sources",
    label="MT-Eval",
    repository=REPOSITORY,
    commit=COMMIT,
    files=SOURCE_FILES,
    env_var=DATA_DIR_ENV,
    url_env_var=DATA_URL_ENV,
    cache_name=f"mt-eval-{COMMIT[:12]}",
    archive_url=ARCHIVE_URL,
    notice="The data is licensed MIT by its authors.\n",
)
"""The MT-Eval sources as a pinned source (lookup, download and verification)."""


def default_cache_dir() -> Path:
    """Return the user cache folder where downloaded sources live."""
    return SOURCE.default_cache_dir()


def missing_files(root: Path) -> list[str]:
    """Return the source files (relative paths) that are absent under ``root``."""
    return SOURCE.missing_files(root)


def resolve_data_dir(
    path: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Locate the MT-Eval sources, downloading them into the cache if allowed.

    Lookup order: ``path``; ``$MTEVAL_DATA_DIR``; the user cache folder; a
    download into the cache (when ``download`` is true).

    Args:
        path: An explicit folder holding the sources.
        download: Whether to download the sources when no copy is found.
        environ: The environment to read (defaults to ``os.environ``).

    Returns:
        The folder holding every source file.

    Raises:
        DataNotFoundError: An explicit folder is incomplete, or no copy exists
            and downloading is off or failed.
    """
    return SOURCE.resolve(path, download=download, environ=environ, cache_dir=default_cache_dir())


def fetch_sources(
    dest: Path | None = None,
    *,
    url: str | None = None,
    force: bool = False,
    timeout_s: float = 60.0,
) -> Path:
    """Download the pinned repository archive and install the verified sources.

    Args:
        dest: Target folder (default: the user cache folder).
        url: Archive URL (default: ``$MTEVAL_DATA_URL`` or the GitHub archive).
        force: Download even if ``dest`` already holds every file.
        timeout_s: Network timeout per read, in seconds.

    Returns:
        The folder holding the verified sources.

    Raises:
        DownloadError: The download failed, or the archive is not a zip, lacks
            a file, or holds a file whose checksum differs from the pin.
    """
    target = default_cache_dir() if dest is None else dest
    return SOURCE.fetch(target, url=url, force=force, timeout_s=timeout_s)
