"""Where MT-Bench's data comes from: three files of FastChat at one pinned commit.

The files are FastChat's own (``fastchat/llm_judge/data/``): the 80 questions,
GPT-4's reference answers for the 30 math, reasoning and coding questions, and
the judge prompts. They are never bundled with mteval. A local copy keeps
this layout (FastChat's ``mt_bench/`` folder with ``judge_prompts.jsonl``
beside its files)::

    question.jsonl
    reference_answer/gpt-4.jsonl
    judge_prompts.jsonl

Lookup order (:class:`~mteval.data.PinnedSource`): an explicit folder
(``--data-dir``), ``$MTBENCH_DATA_DIR``, the user cache folder, and
otherwise a download of the three files at the pinned commit into the
cache. Every file is checked against its pinned SHA-256 before it is used,
so a score always comes from FastChat's published inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mteval.data import PinnedSource, file_sha256
from mteval.errors import DataFileError

__all__ = [
    "COMMIT",
    "DATA_DIR_ENV",
    "DATA_URL_ENV",
    "FILES",
    "JUDGE_PROMPTS",
    "QUESTIONS",
    "REFERENCES",
    "REMOTE_PATHS",
    "REPOSITORY",
    "SOURCE",
    "verify_file",
]

REPOSITORY = "lm-sys/FastChat"
COMMIT = "0e6d3e4beaab66f4d3f93db72541a4abab8af28d"
DATA_DIR_ENV = "MTBENCH_DATA_DIR"
DATA_URL_ENV = "MTBENCH_DATA_URL"
"""A mirror to download from instead of GitHub: each file is fetched as ``URL/<local path>``."""

QUESTIONS = "question.jsonl"
REFERENCES = "reference_answer/gpt-4.jsonl"
JUDGE_PROMPTS = "judge_prompts.jsonl"

FILES: Mapping[str, tuple[str, int]] = {
    QUESTIONS: ("119565adbab82227089cefdb44c8d7e2cf04dc0a0ec233634c82e7d4e2a944f7", 48929),
    REFERENCES: ("f957a5bc977badb66885ec970e6cd08527845780313f0995764260e5777b9b3f", 51109),
    JUDGE_PROMPTS: ("fd283293406d024f44c174b094ef48031d0687a4682fd3a56b29b138f80281b6", 10449),
}
"""Local path -> (sha256, size in bytes) at :data:`COMMIT`."""

REMOTE_PATHS: Mapping[str, str] = {
    QUESTIONS: "fastchat/llm_judge/data/mt_bench/question.jsonl",
    REFERENCES: "fastchat/llm_judge/data/mt_bench/reference_answer/gpt-4.jsonl",
    JUDGE_PROMPTS: "fastchat/llm_judge/data/judge_prompts.jsonl",
}
"""Local path -> path in FastChat's repository."""

SOURCE = PinnedSource(
    title="MT-Bench files",
    label="MT-Bench",
    repository=REPOSITORY,
    commit=COMMIT,
    files=FILES,
    env_var=DATA_DIR_ENV,
    url_env_var=DATA_URL_ENV,
    cache_name=f"mt-bench-{COMMIT[:12]}",
    raw_url="https://raw.githubusercontent.com/{repository}/{commit}/{path}",
    remote_paths=REMOTE_PATHS,
    notice="The data is licensed Apache-2.0 by FastChat's authors.\n",
    fetch_command="mteval data fetch --benchmark mt-bench",
)
"""FastChat's MT-Bench files as a pinned source (lookup, download and verification)."""


def verify_file(root: Path, rel: str) -> None:
    """Check one local file against its pinned checksum.

    Raises:
        DataFileError: The file differs from FastChat's at the pinned commit.
    """
    expected, _size = FILES[rel]
    path = root / rel
    got = file_sha256(path)
    if got != expected:
        raise DataFileError(
            path,
            f"content differs from FastChat's {REMOTE_PATHS[rel]} at commit {COMMIT[:12]} "
            f"(sha256 {got[:12]}..., expected {expected[:12]}...)",
            hint="Replace it with an unedited copy, or delete it from the cache to download "
            "it again",
        )
