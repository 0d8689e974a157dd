"""Find, download and verify the MT-Eval source files.

The sources are the public files of the benchmark's repository
(``KwanWaiChung/MT-Eval``) at one pinned commit. They are never bundled with
mteval: they are looked up, in order, at an explicit path, in
``$MTEVAL_DATA_DIR``, in the user cache folder, and otherwise downloaded
from the repository's archive into the cache. Every file is checked against
a pinned SHA-256, so a score always comes from the same inputs.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from mteval.errors import DataNotFoundError, DownloadError

__all__ = [
    "ARCHIVE_URL",
    "COMMIT",
    "DATA_DIR_ENV",
    "DATA_URL_ENV",
    "REPOSITORY",
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

_WHAT_TO_DO = (
    f"set {DATA_DIR_ENV} to a copy of the MT-Eval sources (the repository {REPOSITORY} "
    f"at commit {COMMIT[:12]}), or run `mteval data fetch` on a machine with internet"
)

_FIX_GIVEN_PATH = (
    f"pass --data-dir (data_dir=) a folder holding the MT-Eval sources (the repository "
    f"{REPOSITORY} at commit {COMMIT[:12]}), or leave it out to use {DATA_DIR_ENV} or the "
    "cache that `mteval data fetch` fills (on a machine with internet)"
)


def default_cache_dir() -> Path:
    """Return the user cache folder where downloaded sources live."""
    return Path(platformdirs.user_cache_dir("mteval")) / f"mt-eval-{COMMIT[:12]}"


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def missing_files(root: Path) -> list[str]:
    """Return the source files (relative paths) that are absent under ``root``."""
    return [rel for rel in SOURCE_FILES if not (root / rel).is_file()]


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
    env = os.environ if environ is None else environ
    for origin, candidate in (("the given path", path), (DATA_DIR_ENV, env.get(DATA_DIR_ENV))):
        if candidate:
            root = Path(candidate).expanduser().absolute()
            absent = missing_files(root)
            if absent:
                # Advise fixing what was actually given: the path, or the variable.
                fix = _WHAT_TO_DO if origin == DATA_DIR_ENV else _FIX_GIVEN_PATH
                raise DataNotFoundError(
                    f"{root / absent[0]} not found ({origin} points at {root}, which lacks "
                    f"{len(absent)} of the {len(SOURCE_FILES)} MT-Eval source files): " + fix
                )
            return root
    cache = default_cache_dir()
    if not missing_files(cache):
        return cache
    if not download:
        raise DataNotFoundError("the MT-Eval sources were not found: " + _WHAT_TO_DO)
    try:
        return fetch_sources(cache, url=env.get(DATA_URL_ENV))
    except DownloadError as exc:
        raise DataNotFoundError(f"the MT-Eval sources were not found and {exc}") from exc


def fetch_sources(
    dest: Path | None = None,
    *,
    url: str | None = None,
    force: bool = False,
    timeout_s: float = 60.0,
) -> Path:
    """Download the pinned repository archive and install the verified sources.

    Only the files listed in :data:`SOURCE_FILES` are extracted, and each must
    match its pinned SHA-256 before anything is written to ``dest``; the
    folder is filled atomically (a failed download leaves no partial copy).

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
    target = default_cache_dir() if dest is None else Path(dest).expanduser()
    if not force and not missing_files(target):
        return target
    source_url = url or os.environ.get(DATA_URL_ENV) or ARCHIVE_URL
    payload = _download(source_url, timeout_s=timeout_s)
    files = _extract_verified(payload, source_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mteval-fetch-", dir=target.parent))
    try:
        for rel, content in files.items():
            out = staging / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(content)
        (staging / "SOURCE.txt").write_text(
            f"MT-Eval sources from {REPOSITORY} at commit {COMMIT}, downloaded by mteval "
            f"from {source_url}.\nThe data is licensed MIT by its authors.\n",
            encoding="utf-8",
        )
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


# Said when the download itself failed: running `mteval data fetch` again is no advice.
_OFFLINE_ADVICE = (
    f"check the connection (or pass a mirror with --url / {DATA_URL_ENV}); without internet, "
    f"copy the MT-Eval sources (the repository {REPOSITORY} at commit {COMMIT[:12]}) from a "
    f"machine that has them and set {DATA_DIR_ENV} to that folder"
)


def _download(url: str, *, timeout_s: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "mteval"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        raise DownloadError(
            f"downloading {url} failed with HTTP {exc.code}: " + _OFFLINE_ADVICE
        ) from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"downloading {url} failed ({reason}): " + _OFFLINE_ADVICE) from exc


def _extract_verified(payload: bytes, url: str) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"{url} did not return a zip archive: " + _WHAT_TO_DO) from exc
    # GitHub archives hold one top-level folder (MT-Eval-<commit>/); accept any.
    by_rel: dict[str, str] = {}
    for name in archive.namelist():
        parts = name.split("/", 1)
        if len(parts) == 2 and parts[1] in SOURCE_FILES:
            by_rel[parts[1]] = name
    files: dict[str, bytes] = {}
    for rel, (sha, size) in SOURCE_FILES.items():
        member = by_rel.get(rel)
        if member is None:
            raise DownloadError(f"the archive from {url} lacks {rel}: " + _WHAT_TO_DO)
        content = archive.read(member)
        got = hashlib.sha256(content).hexdigest()
        if got != sha or len(content) != size:
            raise DownloadError(
                f"{rel} in the archive from {url} does not match the pinned checksum "
                f"(sha256 {got[:12]}..., expected {sha[:12]}...): the download is corrupt "
                "or not the pinned commit; retry, or " + _WHAT_TO_DO
            )
        files[rel] = content
    return files
