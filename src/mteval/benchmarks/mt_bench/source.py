"""Where MT-Bench's data comes from: three files of FastChat at one pinned commit.

The files are FastChat's own (``fastchat/llm_judge/data/``): the 80 questions,
GPT-4's reference answers for the 30 math, reasoning and coding questions, and
the judge prompts. They are never bundled with mteval. A local copy keeps
FastChat's layout below ``mt_bench/`` (``question.jsonl``,
``reference_answer/gpt-4.jsonl``) with ``judge_prompts.jsonl`` beside them,
flattened into one folder::

    question.jsonl
    reference_answer/gpt-4.jsonl
    judge_prompts.jsonl

Lookup order: an explicit folder (``--data-dir``), ``$MTBENCH_DATA_DIR``, the
user cache folder, and otherwise a download of the three files at the pinned
commit into the cache. Every file is checked against its pinned SHA-256
before it is used, so a score always comes from FastChat's published inputs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from mteval.data import file_sha256
from mteval.errors import DataFileError, DataNotFoundError, DownloadError

__all__ = [
    "COMMIT",
    "DATA_DIR_ENV",
    "DATA_URL_ENV",
    "FILES",
    "QUESTIONS",
    "REFERENCES",
    "JUDGE_PROMPTS",
    "REPOSITORY",
    "SourceFile",
    "default_cache_dir",
    "fetch_files",
    "missing_files",
    "resolve_data_dir",
    "verify_file",
]

REPOSITORY = "lm-sys/FastChat"
COMMIT = "0e6d3e4beaab66f4d3f93db72541a4abab8af28d"
DATA_DIR_ENV = "MTBENCH_DATA_DIR"
DATA_URL_ENV = "MTBENCH_DATA_URL"
"""Base URL to download the files from instead of GitHub (a mirror): ``BASE/<repo path>``."""

_RAW_BASE = f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}"


@dataclass(frozen=True)
class SourceFile:
    """One pinned file.

    Attributes:
        local: Path in the local folder.
        repo_path: Path in FastChat's repository at :data:`COMMIT`.
        sha256: The file's SHA-256 at that commit.
        size: Its size in bytes.
    """

    local: str
    repo_path: str
    sha256: str
    size: int


QUESTIONS = "question.jsonl"
REFERENCES = "reference_answer/gpt-4.jsonl"
JUDGE_PROMPTS = "judge_prompts.jsonl"

FILES: Mapping[str, SourceFile] = {
    QUESTIONS: SourceFile(
        local=QUESTIONS,
        repo_path="fastchat/llm_judge/data/mt_bench/question.jsonl",
        sha256="119565adbab82227089cefdb44c8d7e2cf04dc0a0ec233634c82e7d4e2a944f7",
        size=48929,
    ),
    REFERENCES: SourceFile(
        local=REFERENCES,
        repo_path="fastchat/llm_judge/data/mt_bench/reference_answer/gpt-4.jsonl",
        sha256="f957a5bc977badb66885ec970e6cd08527845780313f0995764260e5777b9b3f",
        size=51109,
    ),
    JUDGE_PROMPTS: SourceFile(
        local=JUDGE_PROMPTS,
        repo_path="fastchat/llm_judge/data/judge_prompts.jsonl",
        sha256="fd283293406d024f44c174b094ef48031d0687a4682fd3a56b29b138f80281b6",
        size=10449,
    ),
}

_WHAT_TO_DO = (
    f"set {DATA_DIR_ENV} (or pass --data-dir) to a folder holding FastChat's MT-Bench files "
    f"({', '.join(FILES)}) from {REPOSITORY} at commit {COMMIT[:12]}, or run mteval once on "
    "a machine with internet to download them into the cache"
)


def default_cache_dir() -> Path:
    """Return the user cache folder where downloaded files live."""
    return Path(platformdirs.user_cache_dir("mteval")) / f"mt-bench-{COMMIT[:12]}"


def missing_files(root: Path) -> list[str]:
    """Return the files (local paths) that are absent under ``root``."""
    return [rel for rel in FILES if not (root / rel).is_file()]


def verify_file(root: Path, rel: str) -> None:
    """Check one local file against its pinned checksum.

    Raises:
        DataFileError: The file differs from FastChat's at the pinned commit.
    """
    pinned = FILES[rel]
    path = root / rel
    got = file_sha256(path)
    if got != pinned.sha256:
        raise DataFileError(
            path,
            f"content differs from FastChat's {pinned.repo_path} at commit {COMMIT[:12]} "
            f"(sha256 {got[:12]}..., expected {pinned.sha256[:12]}...)",
            hint="Replace it with an unedited copy, or delete it from the cache to download "
            "it again",
        )


def resolve_data_dir(
    path: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Locate the MT-Bench files, downloading them into the cache if allowed.

    Lookup order: ``path``; ``$MTBENCH_DATA_DIR``; the user cache folder; a
    download into the cache (when ``download`` is true).

    Args:
        path: An explicit folder holding the files.
        download: Whether to download the files when no copy is found.
        environ: The environment to read (defaults to ``os.environ``).

    Returns:
        The folder holding every file (not yet checksum-verified: loading does that).

    Raises:
        DataNotFoundError: An explicit folder is incomplete, or no copy exists
            and downloading is off or failed.
    """
    env = os.environ if environ is None else environ
    for origin, candidate in (("the given path", path), (DATA_DIR_ENV, env.get(DATA_DIR_ENV))):
        if candidate:
            root = Path(candidate).expanduser()
            absent = missing_files(root)
            if absent:
                raise DataNotFoundError(
                    f"{root / absent[0]} not found ({origin} points at {root}, which lacks "
                    f"{len(absent)} of the {len(FILES)} MT-Bench files): " + _WHAT_TO_DO
                )
            return root
    cache = default_cache_dir()
    if not missing_files(cache):
        return cache
    if not download:
        raise DataNotFoundError("the MT-Bench files were not found: " + _WHAT_TO_DO)
    try:
        return fetch_files(cache, base_url=env.get(DATA_URL_ENV))
    except DownloadError as exc:
        raise DataNotFoundError(f"the MT-Bench files were not found and {exc}") from exc


def fetch_files(
    dest: Path | None = None,
    *,
    base_url: str | None = None,
    force: bool = False,
    timeout_s: float = 60.0,
) -> Path:
    """Download the three pinned files and install them, verified, into ``dest``.

    Each file must match its pinned SHA-256 before anything is written; the
    folder is filled atomically (a failed download leaves no partial copy).

    Args:
        dest: Target folder (default: the user cache folder).
        base_url: Where the repository's files are (default: GitHub's raw files
            at the pinned commit); a file's URL is ``base_url/<repo path>``.
        force: Download even if ``dest`` already holds every file.
        timeout_s: Network timeout per read, in seconds.

    Returns:
        The folder holding the verified files.

    Raises:
        DownloadError: A download failed or a file does not match its pin.
    """
    target = default_cache_dir() if dest is None else Path(dest).expanduser()
    if not force and not missing_files(target):
        return target
    base = (base_url or _RAW_BASE).rstrip("/")
    contents: dict[str, bytes] = {}
    for rel, pinned in FILES.items():
        url = f"{base}/{pinned.repo_path}"
        content = _download(url, timeout_s=timeout_s)
        got = hashlib.sha256(content).hexdigest()
        if got != pinned.sha256 or len(content) != pinned.size:
            raise DownloadError(
                f"{url} does not match the pinned checksum (sha256 {got[:12]}..., expected "
                f"{pinned.sha256[:12]}...): the download is corrupt or not the pinned commit; "
                "retry, or " + _WHAT_TO_DO
            )
        contents[rel] = content
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".mteval-fetch-", dir=target.parent))
    try:
        for rel, content in contents.items():
            out = staging / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(content)
        (staging / "SOURCE.txt").write_text(
            f"MT-Bench files from {REPOSITORY} at commit {COMMIT} (fastchat/llm_judge/data/), "
            f"downloaded by mteval from {base}.\nThe data is licensed Apache-2.0 by its "
            "authors.\n",
            encoding="utf-8",
        )
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _download(url: str, *, timeout_s: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "mteval"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        raise DownloadError(
            f"downloading {url} failed with HTTP {exc.code}: " + _WHAT_TO_DO
        ) from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"downloading {url} failed ({reason}): " + _WHAT_TO_DO) from exc
