"""Validating source files: one clear error naming the file, line and field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mteval.benchmarks.mt_eval import SourceFiles
from mteval.errors import DataFileError, DataNotFoundError, TemplateError

from mteval_test_support import DATA_DIR


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    root = tmp_path / "mt-eval"
    shutil.copytree(DATA_DIR, root)
    return root


def _rewrite_line(path: Path, number: int, new: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[number - 1] = new
    path.write_text("\n".join(lines), encoding="utf-8")


def test_documents_load_with_their_text_trimmed(sources: SourceFiles) -> None:
    documents = sources.documents
    assert len(documents) == 100
    assert documents[0].gen_resp.startswith("Topic:")
    assert not documents[0].text.startswith("Topic:")
    assert documents[0].text == documents[0].gen_resp.split("\n\n", 1)[1]


def test_invalid_json_line_is_named(copy: Path) -> None:
    _rewrite_line(copy / "raw_data/documents.jsonl", 7, '{"gen_resp": "Topic: x\\n\\ny", ')
    with pytest.raises(DataFileError) as info:
        _ = SourceFiles(copy).documents
    error = info.value
    assert error.line == 7
    assert "documents.jsonl, line 7" in str(error)
    assert "not valid JSON" in str(error)
    assert "mteval data fetch --force" in str(error)


def test_missing_field_is_named_with_line_and_field(copy: Path) -> None:
    path = copy / "raw_data/mt-bench_extended.jsonl"
    row = json.loads(path.read_text(encoding="utf-8").split("\n")[2])
    del row["conversation"][3]["user"]
    _rewrite_line(path, 3, json.dumps(row))
    with pytest.raises(DataFileError) as info:
        _ = SourceFiles(copy).mt_bench_extended
    assert info.value.line == 3
    assert info.value.field == "conversation.3.user"
    assert "required field is missing" in str(info.value)


def test_session_files_name_the_turn_index(copy: Path) -> None:
    path = copy / "raw_data/refinement_multi_inst.jsonl"
    row = json.loads(path.read_text(encoding="utf-8").split("\n")[0])
    row[2]["sys"] = 5
    _rewrite_line(path, 1, json.dumps(row))
    with pytest.raises(DataFileError) as info:
        _ = SourceFiles(copy).refinement_multi_inst
    assert info.value.field == "2.sys"


def test_unknown_topic_is_rejected(copy: Path) -> None:
    path = copy / "raw_data/documents.jsonl"
    row = json.loads(path.read_text(encoding="utf-8").split("\n")[4])
    row["topic"] = "astrology"
    _rewrite_line(path, 5, json.dumps(row))
    with pytest.raises(DataFileError, match="unknown topic 'astrology'"):
        _ = SourceFiles(copy).documents


def test_truncated_file_reports_the_row_count(copy: Path) -> None:
    path = copy / "raw_data/global_inst.jsonl"
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(lines[:150]), encoding="utf-8")
    with pytest.raises(DataFileError, match="expected 220 rows, found 150"):
        _ = SourceFiles(copy).global_inst


def test_edited_file_fails_the_checksum_unless_verification_is_off(copy: Path) -> None:
    path = copy / "raw_data/global_inst.jsonl"
    row = json.loads(path.read_text(encoding="utf-8").split("\n")[0])
    row["query"] = "An edited question?"
    _rewrite_line(path, 1, json.dumps(row))
    with pytest.raises(DataFileError, match="differs from the pinned MT-Eval sources"):
        _ = SourceFiles(copy).global_inst
    assert SourceFiles(copy, verify=False).global_inst[0].query == "An edited question?"


def test_template_without_placeholder_is_rejected(copy: Path) -> None:
    path = copy / "prompts/refinement_multi_evaluation.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("{constraints}", ""), "utf-8")
    with pytest.raises(TemplateError) as info:
        SourceFiles(copy).template("refinement_multi_evaluation")
    assert "refinement_multi_evaluation.txt" in str(info.value)
    assert "{constraints}" in str(info.value)


def test_missing_source_file_is_named(copy: Path) -> None:
    (copy / "prompts/expansion_evaluation.txt").unlink()
    with pytest.raises(DataNotFoundError, match="expansion_evaluation.txt not found"):
        SourceFiles(copy).template("expansion_evaluation")


def test_non_utf8_file_is_named(copy: Path) -> None:
    (copy / "raw_data/documents.jsonl").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataFileError, match="not UTF-8"):
        _ = SourceFiles(copy).documents


def test_sources_do_no_io_in_the_constructor(tmp_path: Path) -> None:
    files = SourceFiles(tmp_path / "does-not-exist")
    assert files.verify is True


def test_a_json_error_names_the_column_once(tmp_path: Path) -> None:
    root = tmp_path / "sources"
    shutil.copytree(DATA_DIR, root)
    path = root / "raw_data" / "global_inst.jsonl"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[6] = '{"id": 7, "query": "What is'  # json: "Unterminated string starting at"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        _ = SourceFiles(root, verify=False).global_inst
    message = str(caught.value)
    assert "line 7" in message and "at column 20" in message
    assert "at at" not in message
