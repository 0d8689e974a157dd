"""Answer settings and judge prompts, exactly as FastChat's ``llm_judge`` makes them.

Answers (``gen_api_answer.py``): each question's turns in order, the model's
own first answer in the history of the second; the sampling temperature from
``common.temperature_config`` by category (0.7 for a category it does not
list); ``max_tokens`` 1024; the system message of FastChat's ``chatgpt``
conversation template, which its OpenAI path sends.

Judge prompts (``common.run_judge_single`` / ``run_judge_pair``): the prompt
named by :func:`single_prompt_name` / :func:`pair_prompt_name` (``gen_judgment``'s
choice by category and turn), its ``prompt_template`` filled with
``str.format`` and the same keyword arguments FastChat passes (the reference
answers only for the categories that need them), sent as the user message
after the prompt's ``system_prompt`` as the system message, at temperature 0
with 2048 tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mteval.benchmarks.mt_bench.data import NEED_REF_CATEGORIES, JudgePrompt, Question, Reference
from mteval.errors import TemplateError

__all__ = [
    "ANSWER_MAX_TOKENS",
    "ANSWER_SYSTEM_MESSAGE",
    "DEFAULT_TEMPERATURE",
    "JUDGE_MAX_TOKENS",
    "JUDGE_TEMPERATURE",
    "TEMPERATURE_CONFIG",
    "JudgeMessages",
    "answer_temperature",
    "fill_pair",
    "fill_single",
    "pair_prompt_name",
    "single_prompt_name",
]

TEMPERATURE_CONFIG: dict[str, float] = {
    "writing": 0.7,
    "roleplay": 0.7,
    "extraction": 0.0,
    "math": 0.0,
    "coding": 0.0,
    "reasoning": 0.0,
    "stem": 0.1,
    "humanities": 0.1,
}
"""FastChat's ``common.temperature_config``: answer temperature by category."""

DEFAULT_TEMPERATURE = 0.7
"""``gen_api_answer.get_answer``'s temperature for a category not in the config."""

ANSWER_MAX_TOKENS = 1024
"""``gen_api_answer.py --max-tokens`` default."""

ANSWER_SYSTEM_MESSAGE = "You are a helpful assistant."
"""The ``system_message`` of FastChat's ``chatgpt`` conversation template."""

JUDGE_TEMPERATURE = 0.0
JUDGE_MAX_TOKENS = 2048
"""``run_judge_single`` / ``run_judge_pair`` call OpenAI judges with these."""

Turn = Literal[1, 2]


def answer_temperature(category: str) -> float:
    """The temperature ``gen_api_answer`` samples a question's answers at."""
    return TEMPERATURE_CONFIG.get(category, DEFAULT_TEMPERATURE)


def single_prompt_name(category: str, turn: int) -> str:
    """The judge prompt ``gen_judgment --mode single`` grades (category, turn) with."""
    base = "single-math-v1" if category in NEED_REF_CATEGORIES else "single-v1"
    return base + _suffix(turn)


def pair_prompt_name(category: str, turn: int) -> str:
    """The judge prompt ``gen_judgment --mode pairwise-*`` compares (category, turn) with."""
    base = "pair-math-v1" if category in NEED_REF_CATEGORIES else "pair-v2"
    return base + _suffix(turn)


def _suffix(turn: int) -> str:
    if turn not in (1, 2):
        raise ValueError(f"MT-Bench has turns 1 and 2, not {turn}")
    return "" if turn == 1 else "-multi-turn"


@dataclass(frozen=True)
class JudgeMessages:
    """A filled judge request.

    Attributes:
        prompt_name: The judge prompt used.
        system: The system message (the prompt's ``system_prompt``).
        user: The user message (the filled ``prompt_template``).
    """

    prompt_name: str
    system: str
    user: str

    def as_openai(self) -> list[dict[str, str]]:
        """The chat messages, as FastChat's ``Conversation.to_openai_api_messages`` builds them.

        An empty system message is left out, as that method leaves it out.
        """
        messages = [] if self.system == "" else [{"role": "system", "content": self.system}]
        messages.append({"role": "user", "content": self.user})
        return messages


def _reference_fields(prompt: JudgePrompt, reference: Reference | None) -> dict[str, str]:
    if reference is None:
        return {}
    if len(reference.turns) < 2:
        raise TemplateError(
            f"the reference answer to question {reference.question_id} has "
            f"{len(reference.turns)} turn(s); {prompt.name} needs two"
        )
    return {"ref_answer_1": reference.turns[0], "ref_answer_2": reference.turns[1]}


def _format(prompt: JudgePrompt, fields: dict[str, str]) -> str:
    try:
        return prompt.prompt_template.format(**fields)
    except KeyError as exc:
        raise TemplateError(
            f"judge prompt {prompt.name} needs {{{exc.args[0]}}}, which was not given "
            "(a reference-graded prompt needs the question's reference answer)"
        ) from None


def _check_answers(answers: Sequence[str], turn: int, what: str) -> None:
    if len(answers) < turn:
        raise ValueError(f"{what} has {len(answers)} answer(s); judging turn {turn} needs {turn}")


def fill_single(
    prompt: JudgePrompt,
    question: Question,
    answers: Sequence[str],
    reference: Reference | None,
    *,
    turn: int,
) -> JudgeMessages:
    """Fill a single-answer grading prompt as ``run_judge_single`` does.

    Args:
        prompt: The judge prompt (see :func:`single_prompt_name`).
        question: The question.
        answers: The model's answers to the question's turns, in order.
        reference: The reference answer (given only for reference-graded categories).
        turn: 1 grades the first answer; 2 grades the whole conversation's second answer.

    Raises:
        TemplateError: The prompt needs a reference that was not given.
    """
    _check_answers(answers, turn, "the model")
    fields = _reference_fields(prompt, reference)
    if turn == 2:
        fields.update(
            question_1=question.turns[0],
            question_2=question.turns[1],
            answer_1=answers[0],
            answer_2=answers[1],
        )
    else:
        fields.update(question=question.turns[0], answer=answers[0])
    return JudgeMessages(
        prompt_name=prompt.name, system=prompt.system_prompt, user=_format(prompt, fields)
    )


def fill_pair(
    prompt: JudgePrompt,
    question: Question,
    answers_a: Sequence[str],
    answers_b: Sequence[str],
    reference: Reference | None,
    *,
    turn: int,
) -> JudgeMessages:
    """Fill a pairwise prompt as ``run_judge_pair`` does (OpenAI judges' path).

    Args:
        prompt: The judge prompt (see :func:`pair_prompt_name`).
        question: The question.
        answers_a: Assistant A's answers, in order.
        answers_b: Assistant B's answers, in order.
        reference: The reference answer (given only for reference-graded categories).
        turn: The turn compared.

    Raises:
        TemplateError: The prompt needs a reference that was not given.
    """
    _check_answers(answers_a, turn, "assistant A")
    _check_answers(answers_b, turn, "assistant B")
    fields = _reference_fields(prompt, reference)
    if turn == 2:
        fields.update(
            question_1=question.turns[0],
            question_2=question.turns[1],
            answer_a_1=answers_a[0],
            answer_b_1=answers_b[0],
            answer_a_2=answers_a[1],
            answer_b_2=answers_b[1],
        )
    else:
        fields.update(question=question.turns[0], answer_a=answers_a[0], answer_b=answers_b[0])
    return JudgeMessages(
        prompt_name=prompt.name, system=prompt.system_prompt, user=_format(prompt, fields)
    )
