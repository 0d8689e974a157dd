from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mteval.benchmarks.mt_bench import CATEGORIES, NEED_REF_CATEGORIES, load_data
from mteval.benchmarks.mt_bench.source import (
    COMMIT,
    FILES,
    JUDGE_PROMPTS,
    QUESTIONS,
    REFERENCES,
    REMOTE_PATHS,
    SOURCE,
)
from mteval.data import file_sha256
from mteval.errors import DataFileError, DataNotFoundError


def copy_of(src: Path, dest: Path) -> Path:
    for rel in FILES:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, dest / rel)
    return dest


def test_pins_match_the_shared_copy(mtbench_dir: Path) -> None:
    assert COMMIT == "0e6d3e4beaab66f4d3f93db72541a4abab8af28d"
    for rel, (sha, size) in FILES.items():
        assert file_sha256(mtbench_dir / rel) == sha
        assert (mtbench_dir / rel).stat().st_size == size
        assert REMOTE_PATHS[rel].startswith("fastchat/llm_judge/data/")


def test_loads_80_questions_30_references_and_8_prompts(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    questions = mtbench_data.questions
    assert len(questions) == 80
    assert [q.question_id for q in questions] == list(range(81, 161))
    assert {q.category for q in questions} == set(CATEGORIES)
    assert all(sum(q.category == c for q in questions) == 10 for c in CATEGORIES)
    assert all(len(q.turns) == 2 for q in questions)
    needing = [q.question_id for q in questions if q.category in NEED_REF_CATEGORIES]
    assert len(needing) == 30
    assert sorted(mtbench_data.references) == sorted(needing)
    assert len(mtbench_data.prompts) == 8
    assert mtbench_data.prompts["single-v1"].system_prompt == "You are a helpful assistant."


def test_reference_is_given_only_for_math_reasoning_coding(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    for question in mtbench_data.questions:
        ref = mtbench_data.reference_for(question)
        assert (ref is not None) == (question.category in ("math", "reasoning", "coding"))


def test_env_variable_locates_the_folder(
    mtbench_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert SOURCE.resolve() == mtbench_dir
    assert SOURCE.resolve(mtbench_dir, environ={}) == mtbench_dir


def test_incomplete_folder_names_the_missing_file(tmp_path: Path) -> None:
    (tmp_path / QUESTIONS).write_text("{}\n", encoding="utf-8")
    with pytest.raises(
        DataNotFoundError, match=r"reference_answer/gpt-4\.jsonl not found.*MTBENCH_DATA_DIR"
    ):
        SOURCE.resolve(tmp_path)


def test_no_copy_and_no_download_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataNotFoundError, match="MTBENCH_DATA_DIR"):
        SOURCE.resolve(download=False, environ={})


def test_download_from_a_mirror_is_verified_and_installed(
    mtbench_dir: Path, tmp_path: Path
) -> None:
    mirror = copy_of(mtbench_dir, tmp_path / "mirror")
    dest = SOURCE.fetch(tmp_path / "cache", url=mirror.as_uri())
    for rel, (sha, _size) in FILES.items():
        assert file_sha256(dest / rel) == sha
    assert load_data(dest).questions
    assert "Apache-2.0" in (dest / "SOURCE.txt").read_text(encoding="utf-8")


def test_download_urls_are_fastchats_raw_files_at_the_commit() -> None:
    assert SOURCE.raw_url is not None
    url = SOURCE.raw_url.format(
        repository=SOURCE.repository, commit=SOURCE.commit, path=REMOTE_PATHS[REFERENCES]
    )
    assert url == (
        "https://raw.githubusercontent.com/lm-sys/FastChat/"
        "0e6d3e4beaab66f4d3f93db72541a4abab8af28d/"
        "fastchat/llm_judge/data/mt_bench/reference_answer/gpt-4.jsonl"
    )


def test_download_of_a_different_file_is_refused(mtbench_dir: Path, tmp_path: Path) -> None:
    from mteval.errors import DownloadError

    mirror = copy_of(mtbench_dir, tmp_path / "mirror")
    (mirror / JUDGE_PROMPTS).write_text("edited\n", encoding="utf-8")
    with pytest.raises(DownloadError, match="judge_prompts.jsonl.*does not match the pinned"):
        SOURCE.fetch(tmp_path / "cache", url=mirror.as_uri())
    assert not (tmp_path / "cache").exists()


def test_truncated_question_file_names_file_and_line(mtbench_dir: Path, tmp_path: Path) -> None:
    root = copy_of(mtbench_dir, tmp_path)
    text = (root / QUESTIONS).read_text(encoding="utf-8")
    (root / QUESTIONS).write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        load_data(root)
    assert info.value.path == root / QUESTIONS
    assert info.value.line is not None and "not valid JSON" in str(info.value)


def test_missing_field_is_named(mtbench_dir: Path, tmp_path: Path) -> None:
    root = copy_of(mtbench_dir, tmp_path)
    lines = (root / QUESTIONS).read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[4])
    del row["category"]
    lines[4] = json.dumps(row)
    (root / QUESTIONS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"question\.jsonl, line 5, field 'category': required"):
        load_data(root)


def test_one_turn_question_is_refused(mtbench_dir: Path, tmp_path: Path) -> None:
    root = copy_of(mtbench_dir, tmp_path)
    lines = (root / QUESTIONS).read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[0])
    row["turns"] = row["turns"][:1]
    lines[0] = json.dumps(row)
    (root / QUESTIONS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"line 1, field 'turns'"):
        load_data(root)


def test_missing_reference_is_named(mtbench_dir: Path, tmp_path: Path) -> None:
    root = copy_of(mtbench_dir, tmp_path)
    lines = (root / REFERENCES).read_text(encoding="utf-8").splitlines()
    (root / REFERENCES).write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="no reference answer for question 101"):
        load_data(root)


def test_judge_prompt_without_its_placeholder_is_refused(mtbench_dir: Path, tmp_path: Path) -> None:
    root = copy_of(mtbench_dir, tmp_path)
    lines = (root / JUDGE_PROMPTS).read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        row = json.loads(line)
        if row["name"] == "single-math-v1":
            row["prompt_template"] = row["prompt_template"].replace("{ref_answer_1}", "")
            lines[n] = json.dumps(row)
            number = n + 1
    (root / JUDGE_PROMPTS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        DataFileError, match=rf"line {number}, field 'prompt_template'.*ref_answer_1"
    ):
        load_data(root)


def test_edited_file_fails_its_checksum(mtbench_dir: Path, tmp_path: Path) -> None:
    root = copy_of(mtbench_dir, tmp_path)
    lines = (root / QUESTIONS).read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[0])
    row["turns"][0] += " (edited)"
    lines[0] = json.dumps(row)
    (root / QUESTIONS).write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="differs from FastChat's"):
        load_data(root)
    assert load_data(root, verify=False).questions[0].turns[0].endswith("(edited)")
