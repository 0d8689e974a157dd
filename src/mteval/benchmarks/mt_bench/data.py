"""Read and validate MT-Bench's three files into typed, frozen records.

Every problem is one :class:`~mteval.errors.DataFileError` naming the file,
the line and the field, and what to do. Structure is checked first (so a
broken line is named precisely), then what FastChat's scripts rely on
(two turns per question, a reference for every question that needs one,
every judge prompt with the placeholders FastChat fills), then each file's
checksum against the pinned commit.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mteval.benchmarks.mt_bench.source import (
    FILES,
    JUDGE_PROMPTS,
    QUESTIONS,
    REFERENCES,
    verify_file,
)
from mteval.data import jsonl_rows
from mteval.errors import DataFileError

__all__ = [
    "CATEGORIES",
    "CATEGORY_TITLES",
    "JUDGE_PROMPT_FIELDS",
    "NEED_REF_CATEGORIES",
    "JudgePrompt",
    "MtBenchData",
    "Question",
    "Reference",
    "SCORE_TITLES",
    "load_data",
]

CATEGORIES: tuple[str, ...] = (
    "writing",
    "roleplay",
    "reasoning",
    "math",
    "coding",
    "extraction",
    "stem",
    "humanities",
)
"""The eight categories, in the order of ``question.jsonl`` (ten questions each)."""

CATEGORY_TITLES: dict[str, str] = {
    "writing": "Writing",
    "roleplay": "Roleplay",
    "reasoning": "Reasoning",
    "math": "Math",
    "coding": "Coding",
    "extraction": "Extraction",
    "stem": "STEM",
    "humanities": "Humanities",
}
"""Display names of the categories (the paper's radar chart labels)."""

SCORE_TITLES: dict[str, str] = {
    "turn_1": "Turn 1",
    "turn_2": "Turn 2",
    "average": "Average",
    **CATEGORY_TITLES,
}
"""Display names of the score table's columns."""

NEED_REF_CATEGORIES: frozenset[str] = frozenset({"math", "reasoning", "coding"})
"""FastChat's ``NEED_REF_CATS``: graded against GPT-4's reference answers."""

JUDGE_PROMPT_FIELDS: Mapping[str, frozenset[str]] = {
    "single-v1": frozenset({"question", "answer"}),
    "single-math-v1": frozenset({"question", "answer", "ref_answer_1"}),
    "single-v1-multi-turn": frozenset({"question_1", "question_2", "answer_1", "answer_2"}),
    "single-math-v1-multi-turn": frozenset(
        {"question_1", "question_2", "answer_1", "answer_2", "ref_answer_1", "ref_answer_2"}
    ),
    "pair-v2": frozenset({"question", "answer_a", "answer_b"}),
    "pair-math-v1": frozenset({"question", "answer_a", "answer_b", "ref_answer_1"}),
    "pair-v2-multi-turn": frozenset(
        {"question_1", "question_2", "answer_a_1", "answer_a_2", "answer_b_1", "answer_b_2"}
    ),
    "pair-math-v1-multi-turn": frozenset(
        {
            "question_1",
            "question_2",
            "answer_a_1",
            "answer_a_2",
            "answer_b_1",
            "answer_b_2",
            "ref_answer_1",
            "ref_answer_2",
        }
    ),
}
"""The judge prompts mteval uses and the placeholders FastChat fills in each."""

_HINT = (
    "Use an unedited copy of FastChat's MT-Bench files (set MTBENCH_DATA_DIR, or delete the "
    "cached copy to download it again)"
)
_N_QUESTIONS = 80
_N_TURNS = 2


@dataclass(frozen=True)
class Question:
    """One MT-Bench question: two user turns in one category.

    Attributes:
        question_id: FastChat's id (81-160).
        category: One of :data:`CATEGORIES`.
        turns: The two user messages, in order.
    """

    question_id: int
    category: str
    turns: tuple[str, ...]

    @property
    def needs_reference(self) -> bool:
        """Whether FastChat grades this question against a reference answer."""
        return self.category in NEED_REF_CATEGORIES


@dataclass(frozen=True)
class Reference:
    """GPT-4's reference answer to a question (``choices[0].turns``).

    Attributes:
        question_id: The question.
        turns: The reference answers to its two turns.
    """

    question_id: int
    turns: tuple[str, ...]


@dataclass(frozen=True)
class JudgePrompt:
    """One row of ``judge_prompts.jsonl``.

    Attributes:
        name: The prompt's name (``single-v1``, ``pair-math-v1-multi-turn``, ...).
        type: ``single`` or ``pairwise``.
        system_prompt: The judge request's system message.
        prompt_template: The user message, a ``str.format`` template.
        output_format: ``[[rating]]`` or ``[[A]]``.
    """

    name: str
    type: str
    system_prompt: str
    prompt_template: str
    output_format: str


@dataclass(frozen=True)
class MtBenchData:
    """The validated contents of the three files.

    Attributes:
        root: The folder they were read from.
        questions: The 80 questions, in file order.
        references: Reference answers by question id.
        prompts: Judge prompts by name.
    """

    root: Path
    questions: tuple[Question, ...]
    references: Mapping[int, Reference]
    prompts: Mapping[str, JudgePrompt]

    def question(self, question_id: int) -> Question:
        """Return a question by id.

        Raises:
            KeyError: No such question.
        """
        for item in self.questions:
            if item.question_id == question_id:
                return item
        raise KeyError(question_id)

    def reference_for(self, question: Question) -> Reference | None:
        """The reference FastChat passes for ``question`` (None if its category needs none)."""
        return self.references[question.question_id] if question.needs_reference else None


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class _QuestionRow(_Row):
    question_id: int
    category: str
    turns: list[str] = Field(min_length=_N_TURNS, max_length=_N_TURNS)

    @field_validator("category")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in CATEGORIES:
            expected = ", ".join(CATEGORIES)
            raise ValueError(f"unknown category {value!r} (expected one of {expected})")
        return value


class _Choice(_Row):
    turns: list[str] = Field(min_length=_N_TURNS)


class _ReferenceRow(_Row):
    question_id: int
    choices: list[_Choice] = Field(min_length=1)


class _PromptRow(_Row):
    name: str
    type: str
    system_prompt: str
    prompt_template: str
    output_format: str


def _field_of(exc: ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid value"))
    if error.get("type") == "missing":
        message = "required field is missing"
    return field, message


def _rows(path: Path) -> list[tuple[int, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(path, "file not found", hint=_HINT) from None
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 text ({exc.reason})", hint=_HINT) from None
    except OSError as exc:
        raise DataFileError(
            path, f"cannot be read ({exc.strerror or type(exc).__name__})", hint=_HINT
        ) from None
    return list(jsonl_rows(text, path, hint=_HINT))


def _parse(path: Path, model: type[_Row]) -> list[tuple[int, Any]]:
    parsed = []
    for number, raw in _rows(path):
        try:
            parsed.append((number, model.model_validate(raw)))
        except ValidationError as exc:
            field, message = _field_of(exc)
            raise DataFileError(
                path, message, line=number, field=field or None, hint=_HINT
            ) from None
    return parsed


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _questions(root: Path) -> tuple[Question, ...]:
    path = root / QUESTIONS
    out: list[Question] = []
    seen: set[int] = set()
    for number, row in _parse(path, _QuestionRow):
        if row.question_id in seen:
            raise DataFileError(
                path,
                f"duplicate question_id {row.question_id}",
                line=number,
                field="question_id",
                hint=_HINT,
            )
        seen.add(row.question_id)
        for index, text in enumerate(row.turns):
            if not text.strip():
                raise DataFileError(
                    path, "empty question turn", line=number, field=f"turns.{index}", hint=_HINT
                )
        out.append(
            Question(question_id=row.question_id, category=row.category, turns=tuple(row.turns))
        )
    if len(out) != _N_QUESTIONS:
        raise DataFileError(
            path,
            f"expected {_N_QUESTIONS} questions, found {len(out)}; the file may be truncated",
            hint=_HINT,
        )
    return tuple(out)


def _references(root: Path, questions: tuple[Question, ...]) -> dict[int, Reference]:
    path = root / REFERENCES
    out: dict[int, Reference] = {}
    for _number, row in _parse(path, _ReferenceRow):
        out[row.question_id] = Reference(
            question_id=row.question_id, turns=tuple(row.choices[0].turns)
        )
    for question in questions:
        if question.needs_reference and question.question_id not in out:
            raise DataFileError(
                path,
                f"no reference answer for question {question.question_id} ({question.category}), "
                "which FastChat grades against one",
                hint=_HINT,
            )
    return out


def _prompts(root: Path) -> dict[str, JudgePrompt]:
    path = root / JUDGE_PROMPTS
    out: dict[str, JudgePrompt] = {}
    lines: dict[str, int] = {}
    for number, row in _parse(path, _PromptRow):
        out[row.name] = JudgePrompt(
            name=row.name,
            type=row.type,
            system_prompt=row.system_prompt,
            prompt_template=row.prompt_template,
            output_format=row.output_format,
        )
        lines[row.name] = number
    for name, fields in JUDGE_PROMPT_FIELDS.items():
        prompt = out.get(name)
        if prompt is None:
            raise DataFileError(path, f"judge prompt {name!r} is missing", hint=_HINT)
        try:
            found = _placeholders(prompt.prompt_template)
        except ValueError as exc:
            raise DataFileError(
                path,
                f"not a valid format template ({exc})",
                line=lines[name],
                field="prompt_template",
                hint=_HINT,
            ) from None
        if found != fields:
            raise DataFileError(
                path,
                f"judge prompt {name!r} has placeholders {sorted(found)}, expected "
                f"{sorted(fields)}",
                line=lines[name],
                field="prompt_template",
                hint=_HINT,
            )
        expected_format = "[[rating]]" if name.startswith("single") else "[[A]]"
        if prompt.output_format != expected_format:
            raise DataFileError(
                path,
                f"judge prompt {name!r} has output_format {prompt.output_format!r}, expected "
                f"{expected_format!r}",
                line=lines[name],
                field="output_format",
                hint=_HINT,
            )
    return out


def load_data(root: Path, *, verify: bool = True) -> MtBenchData:
    """Read, validate and (by default) checksum-verify the three files under ``root``.

    Args:
        root: The folder (see :data:`~mteval.benchmarks.mt_bench.source.SOURCE`).
        verify: Check each file against its pinned SHA-256.

    Returns:
        The questions, references and judge prompts.

    Raises:
        DataFileError: A file is missing, malformed, incomplete or edited.
    """
    root = Path(root)
    questions = _questions(root)
    references = _references(root, questions)
    prompts = _prompts(root)
    if verify:
        for rel in FILES:
            verify_file(root, rel)
    return MtBenchData(root=root, questions=questions, references=references, prompts=prompts)
