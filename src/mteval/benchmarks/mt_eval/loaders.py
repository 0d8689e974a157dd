"""Read and validate the MT-Eval source files into typed records.

Every problem is reported as one :class:`~mteval.errors.DataFileError` naming
the file, the line and the field, plus what to do. Structure is checked first
(so a broken line is named precisely) and then the file's checksum against
the pinned sources, so that scores never silently come from edited data.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from mteval.benchmarks.mt_eval.sources import SOURCE_FILES, file_sha256, resolve_data_dir
from mteval.data import jsonl_rows
from mteval.errors import DataFileError, TemplateError

__all__ = [
    "JUDGE_TEMPLATES",
    "TOPICS",
    "VERIFY_ENV",
    "DocumentRecord",
    "GlobalInstRecord",
    "MtBenchRecord",
    "PublishedDialogueRecord",
    "PublishedTurnRecord",
    "RawTurnRecord",
    "SourceFiles",
]

VERIFY_ENV = "MTEVAL_VERIFY_DATA"

TOPICS: tuple[str, ...] = (
    "ethics",
    "sports",
    "music",
    "art",
    "science",
    "literature",
    "economics",
    "medicine",
    "food",
    "technology",
    "history",
    "travel",
    "education",
)
"""The 13 document topics, in the benchmark's order (it lists them in prompts)."""

JUDGE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "refinement_single_evaluation": (
        "{response}",
        "{content}",
        "{num_words}",
        "{num_sent}",
        "{constraints}",
    ),
    "refinement_multi_evaluation": (
        "{response}",
        "{content}",
        "{num_words}",
        "{num_sent}",
        "{constraints}",
    ),
    "expansion_evaluation": ("{response}", "{content}", "{constraints}"),
    "mt-bench_evaluation": ("{conversation}", "{num_words}", "{num_sent}"),
}
"""Judge template name -> the placeholders the benchmark fills, in its fill order."""

_FETCH_HINT = "Re-fetch the sources with `mteval data fetch --force` or fix the file"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class DocumentRecord(_Record):
    """A row of ``raw_data/documents.jsonl``: a GPT-4-written document and its topic."""

    gen_resp: str
    topic: str

    @field_validator("topic")
    @classmethod
    def _known_topic(cls, value: str) -> str:
        if value not in TOPICS:
            raise ValueError(f"unknown topic {value!r}; expected one of {', '.join(TOPICS)}")
        return value

    @field_validator("gen_resp")
    @classmethod
    def _has_topic_paragraph(cls, value: str) -> str:
        if "\n\n" not in value:
            raise ValueError("expected a 'Topic: ...' paragraph followed by a blank line")
        return value

    @property
    def text(self) -> str:
        """The document without its first ("Topic: ...") paragraph, as the benchmark uses it."""
        return self.gen_resp.split("\n\n", 1)[1]


class RawTurnRecord(_Record):
    """A turn of the raw refinement/MT-Bench files: user text, reference reply, id."""

    user: str
    sys: str
    id: str


class GlobalInstRecord(_Record):
    """A row of ``raw_data/global_inst.jsonl``: an open question and usable instructions."""

    id: int
    query: str
    instructions: list[str]


class MtBenchRecord(_Record):
    """A row of ``raw_data/mt-bench_extended.jsonl``: an MT-Bench question extended to 5 turns."""

    question_id: int
    category: str
    conversation: list[RawTurnRecord]

    @field_validator("conversation")
    @classmethod
    def _five_turns(cls, value: list[RawTurnRecord]) -> list[RawTurnRecord]:
        if len(value) != 5:
            raise ValueError(f"expected 5 turns, found {len(value)}")
        return value


class PublishedTurnRecord(_Record):
    """A turn in the benchmark's published dialogue format."""

    user: str
    sys: str
    id: str
    do_inference: bool
    inst: str | None = None


class PublishedDialogueRecord(_Record):
    """A dialogue row in the benchmark's published format (the ablation files)."""

    conv: list[PublishedTurnRecord]
    id: str
    n_distracts: int | None = None


_R = TypeVar("_R")


def _json_reason(exc: json.JSONDecodeError) -> str:
    # Some of json's messages end in "at" ("Unterminated string starting at"),
    # written to be followed by a position; the message gives the column itself.
    return exc.msg.removesuffix(" at").strip()


def _not_json(exc: json.JSONDecodeError) -> str:
    return f"not valid JSON at column {exc.colno} ({_json_reason(exc)}); the file may be truncated"


def _unreadable(exc: OSError) -> str:
    return f"cannot be read ({exc.strerror or type(exc).__name__})"


def _first_error(exc: ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid value"))
    if error.get("type") == "missing":
        message = "required field is missing"
    return field, message


class SourceFiles:
    """Lazy, validated access to one copy of the MT-Eval sources.

    Args:
        root: Folder holding the sources; resolved with
            :func:`~mteval.benchmarks.mt_eval.sources.resolve_data_dir` when omitted.
        verify: Check each file against its pinned checksum (default: on,
            unless ``$MTEVAL_VERIFY_DATA`` is ``0``).
        download: Allow downloading the sources when ``root`` is omitted and
            no copy is found.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        verify: bool | None = None,
        download: bool = True,
    ) -> None:
        # A relative folder means the one seen from here, even if the working
        # folder changes before the sources are first read.
        self._root_arg = None if root is None else Path(root).expanduser().absolute()
        self.memo: dict[str, Any] = {}
        """Built task sets, keyed by name (filled by ``TaskSpec.load``)."""
        self._download = download
        if verify is None:
            verify = os.environ.get(VERIFY_ENV, "1").strip().lower() not in ("0", "false", "no")
        self.verify = verify

    @functools.cached_property
    def root(self) -> Path:
        """The folder holding the sources (located on first use, not in the constructor)."""
        return resolve_data_dir(self._root_arg, download=self._download)

    def path(self, rel: str) -> Path:
        """Return the absolute path of a source file."""
        return self.root / rel

    # -- parsing ---------------------------------------------------------------

    def _read_text(self, rel: str, *, what: str = "file") -> str:
        path = self.path(rel)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DataFileError(
                path,
                f"{what} not found",
                hint="Set MTEVAL_DATA_DIR to a complete copy of the MT-Eval sources or run "
                "`mteval data fetch`",
            ) from None
        except UnicodeDecodeError as exc:
            raise DataFileError(path, f"not UTF-8 text ({exc.reason})", hint=_FETCH_HINT) from None
        except OSError as exc:
            raise DataFileError(path, _unreadable(exc), hint=_FETCH_HINT) from None

    def _read_lines(self, rel: str) -> list[tuple[int, Any]]:
        path = self.path(rel)
        text = self._read_text(rel)
        return list(jsonl_rows(text, path, hint=_FETCH_HINT, problem=_not_json))

    def _check_count(self, rel: str, rows: list[Any], expected: int | None) -> None:
        if expected is not None and len(rows) != expected:
            raise DataFileError(
                self.path(rel),
                f"expected {expected} rows, found {len(rows)}; the file may be truncated",
                hint=_FETCH_HINT,
            )

    def _check_checksum(self, rel: str) -> None:
        if not self.verify or rel not in SOURCE_FILES:
            return
        path = self.path(rel)
        expected, _size = SOURCE_FILES[rel]
        got = file_sha256(path)
        if got != expected:
            raise DataFileError(
                path,
                f"content differs from the pinned MT-Eval sources (sha256 {got[:12]}..., "
                f"expected {expected[:12]}...)",
                hint="Re-fetch with `mteval data fetch --force`, or set MTEVAL_VERIFY_DATA=0 "
                "to use edited sources on purpose",
            )

    def _load(
        self,
        rel: str,
        parse: Callable[[Any], _R],
        *,
        expected: int | None,
    ) -> tuple[_R, ...]:
        records: list[_R] = []
        path = self.path(rel)
        for number, raw in self._read_lines(rel):
            try:
                records.append(parse(raw))
            except ValidationError as exc:
                field, message = _first_error(exc)
                if field.startswith("turns."):
                    # Session files are bare JSON lists: name the turn by its list index.
                    field = field[len("turns.") :]
                raise DataFileError(
                    path, message, line=number, field=field or None, hint=_FETCH_HINT
                ) from None
        self._check_count(rel, records, expected)
        self._check_checksum(rel)
        return tuple(records)

    # -- the files ---------------------------------------------------------------

    @functools.cached_property
    def documents(self) -> tuple[DocumentRecord, ...]:
        """The 100 documents (``raw_data/documents.jsonl``)."""
        return self._load("raw_data/documents.jsonl", DocumentRecord.model_validate, expected=100)

    @functools.cached_property
    def refinement_multi_inst(self) -> tuple[tuple[RawTurnRecord, ...], ...]:
        """The 80 six-turn refinement sessions (``raw_data/refinement_multi_inst.jsonl``)."""
        return self._load(
            "raw_data/refinement_multi_inst.jsonl", _Session.model_validate_list, expected=80
        )

    @functools.cached_property
    def refinement_single_inst(self) -> tuple[tuple[RawTurnRecord, ...], ...]:
        """The 200 single-turn refinement instructions."""
        return self._load(
            "raw_data/refinement_single_inst.jsonl", _Session.model_validate_list, expected=200
        )

    @functools.cached_property
    def global_inst(self) -> tuple[GlobalInstRecord, ...]:
        """The 220 open questions with their usable global instructions."""
        return self._load(
            "raw_data/global_inst.jsonl", GlobalInstRecord.model_validate, expected=220
        )

    @functools.cached_property
    def mt_bench_extended(self) -> tuple[MtBenchRecord, ...]:
        """The 80 MT-Bench questions extended to five turns."""
        return self._load(
            "raw_data/mt-bench_extended.jsonl", MtBenchRecord.model_validate, expected=80
        )

    def published(self, rel: str, *, expected: int | None) -> tuple[PublishedDialogueRecord, ...]:
        """Load a file in the benchmark's published dialogue format (the ablation files)."""
        return self._load(rel, PublishedDialogueRecord.model_validate, expected=expected)

    def template(self, name: str) -> str:
        """Return a judge prompt template, checked for the placeholders the benchmark fills.

        Args:
            name: Template name without extension, e.g. ``refinement_multi_evaluation``.

        Raises:
            TemplateError: The file lacks a placeholder.
            DataFileError: The file is missing or differs from the pinned sources.
        """
        rel = f"prompts/{name}.txt"
        path = self.path(rel)
        text = self._read_text(rel, what="judge template")
        for placeholder in JUDGE_TEMPLATES.get(name, ()):
            if placeholder not in text:
                raise TemplateError(
                    f"{path}: the judge template lacks the placeholder {placeholder}, which the "
                    f"benchmark fills; restore it (`mteval data fetch --force`)"
                )
        self._check_checksum(rel)
        return text


class _Session(_Record):
    turns: list[RawTurnRecord]

    @classmethod
    def model_validate_list(cls, raw: Any) -> tuple[RawTurnRecord, ...]:
        return tuple(cls.model_validate({"turns": raw}).turns)
