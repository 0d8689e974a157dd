"""Judge messages equal FastChat's, with expectations built without ``str.format``.

``run_judge_single`` / ``run_judge_pair`` fill ``prompt_template`` with
``str.format`` (each ``{name}`` replaced once by its value, values never
re-read) and send ``system_prompt`` as the system message. The expectations
here splice the values between the template's literal pieces instead, and
check FastChat's wiring by hand: which prompt for which category and turn,
which answer goes where, which reference turn goes where.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mteval.benchmarks.mt_bench import (
    ANSWER_MAX_TOKENS,
    ANSWER_SYSTEM_MESSAGE,
    JUDGE_MAX_TOKENS,
    JUDGE_TEMPERATURE,
    answer_temperature,
    fill_pair,
    fill_single,
    pair_prompt_name,
    single_prompt_name,
)
from mteval.benchmarks.mt_bench.data import Question, Reference
from mteval.errors import TemplateError

PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")


def splice(template: str, values: dict[str, str]) -> str:
    """FastChat's str.format, done by cutting the template at its placeholders."""
    assert "{{" not in template and "}}" not in template
    pieces = PLACEHOLDER.split(template)
    out = []
    for index, piece in enumerate(pieces):
        out.append(values[piece] if index % 2 else piece)
    return "".join(out)


TRICKY = st.lists(
    st.sampled_from(list("ab {}[]\n\\%$é") + ["{question}", "{answer_a}", "{0}", "{{"]),
    max_size=20,
).map("".join)


def test_answer_settings_are_gen_api_answers() -> None:
    expected = {
        "writing": 0.7,
        "roleplay": 0.7,
        "extraction": 0.0,
        "math": 0.0,
        "coding": 0.0,
        "reasoning": 0.0,
        "stem": 0.1,
        "humanities": 0.1,
    }
    for category, temperature in expected.items():
        assert answer_temperature(category) == temperature
    assert answer_temperature("unlisted") == 0.7
    assert ANSWER_MAX_TOKENS == 1024
    assert ANSWER_SYSTEM_MESSAGE == "You are a helpful assistant."
    assert (JUDGE_TEMPERATURE, JUDGE_MAX_TOKENS) == (0.0, 2048)


@pytest.mark.parametrize(
    ("category", "turn", "single", "pair"),
    [
        ("writing", 1, "single-v1", "pair-v2"),
        ("roleplay", 2, "single-v1-multi-turn", "pair-v2-multi-turn"),
        ("extraction", 1, "single-v1", "pair-v2"),
        ("stem", 2, "single-v1-multi-turn", "pair-v2-multi-turn"),
        ("humanities", 1, "single-v1", "pair-v2"),
        ("math", 1, "single-math-v1", "pair-math-v1"),
        ("reasoning", 2, "single-math-v1-multi-turn", "pair-math-v1-multi-turn"),
        ("coding", 1, "single-math-v1", "pair-math-v1"),
        ("coding", 2, "single-math-v1-multi-turn", "pair-math-v1-multi-turn"),
    ],
)
def test_prompt_choice_follows_gen_judgment(
    category: str, turn: int, single: str, pair: str
) -> None:
    assert single_prompt_name(category, turn) == single
    assert pair_prompt_name(category, turn) == pair


def test_single_turn_1_general(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    question = mtbench_data.question(81)
    prompt = mtbench_data.prompts["single-v1"]
    messages = fill_single(prompt, question, ["ANSWER-1", "ANSWER-2"], None, turn=1)
    assert messages.system == "You are a helpful assistant."
    assert messages.user.endswith(
        "[Question]\n" + question.turns[0] + "\n\n[The Start of Assistant's Answer]\n"
        "ANSWER-1\n[The End of Assistant's Answer]"
    )
    assert messages.user.startswith("[Instruction]\nPlease act as an impartial judge")
    assert "ANSWER-2" not in messages.user
    assert messages.as_openai() == [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": messages.user},
    ]


def test_single_turn_2_math_shows_both_reference_turns(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    question = mtbench_data.question(111)
    reference = mtbench_data.reference_for(question)
    prompt = mtbench_data.prompts["single-math-v1-multi-turn"]
    messages = fill_single(prompt, question, ["A1", "A2"], reference, turn=2)
    assert messages.system == prompt.system_prompt and messages.system.endswith("\n\n")
    assert messages.user == (
        "<|The Start of Reference Answer|>\n\n### User:\n"
        + question.turns[0]
        + "\n\n### Reference answer:\n"
        + reference.turns[0]
        + "\n\n### User:\n"
        + question.turns[1]
        + "\n\n### Reference answer:\n"
        + reference.turns[1]
        + "\n\n<|The End of Reference Answer|>\n\n\n"
        "<|The Start of Assistant A's Conversation with User|>\n\n### User:\n"
        + question.turns[0]
        + "\n\n### Assistant A:\nA1\n\n### User:\n"
        + question.turns[1]
        + "\n\n### Assistant A:\nA2\n\n<|The End of Assistant A's Conversation with User|>"
    )


def test_pair_turn_1_math_puts_a_before_b(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    question = mtbench_data.question(101)
    reference = mtbench_data.reference_for(question)
    prompt = mtbench_data.prompts["pair-math-v1"]
    messages = fill_pair(prompt, question, ["X1", "X2"], ["Y1", "Y2"], reference, turn=1)
    assert messages.system == prompt.system_prompt
    assert messages.user == (
        "[User Question]\n"
        + question.turns[0]
        + "\n\n[The Start of Reference Answer]\n"
        + reference.turns[0]
        + "\n[The End of Reference Answer]\n\n[The Start of Assistant A's Answer]\nX1\n"
        "[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\nY1\n"
        "[The End of Assistant B's Answer]"
    )
    swapped = fill_pair(prompt, question, ["Y1", "Y2"], ["X1", "X2"], reference, turn=1)
    assert swapped.user.index("Y1") < swapped.user.index("X1")


def test_pair_turn_2_general(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    question = mtbench_data.question(90)
    prompt = mtbench_data.prompts["pair-v2-multi-turn"]
    messages = fill_pair(prompt, question, ["X1", "X2"], ["Y1", "Y2"], None, turn=2)
    q1, q2 = question.turns
    assert messages.user == (
        "<|The Start of Assistant A's Conversation with User|>\n\n### User:\n"
        + q1
        + "\n\n### Assistant A:\nX1\n\n### User:\n"
        + q2
        + "\n\n### Assistant A:\nX2\n\n"
        "<|The End of Assistant A's Conversation with User|>\n\n\n"
        "<|The Start of Assistant B's Conversation with User|>\n\n### User:\n"
        + q1
        + "\n\n### Assistant B:\nY1\n\n### User:\n"
        + q2
        + "\n\n### Assistant B:\nY2\n\n"
        "<|The End of Assistant B's Conversation with User|>"
    )


def test_every_question_and_prompt_fills_like_fastchat(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    for question in mtbench_data.questions:
        reference = mtbench_data.reference_for(question)
        ref = (
            {}
            if reference is None
            else {"ref_answer_1": reference.turns[0], "ref_answer_2": reference.turns[1]}
        )
        answers = [f"a{question.question_id}-1", f"a{question.question_id}-2"]
        others = [f"b{question.question_id}-1", f"b{question.question_id}-2"]
        for turn in (1, 2):
            single = mtbench_data.prompts[single_prompt_name(question.category, turn)]
            pair = mtbench_data.prompts[pair_prompt_name(question.category, turn)]
            if turn == 1:
                s_values = {"question": question.turns[0], "answer": answers[0], **ref}
                p_values = {
                    "question": question.turns[0],
                    "answer_a": answers[0],
                    "answer_b": others[0],
                    **ref,
                }
            else:
                s_values = {
                    "question_1": question.turns[0],
                    "question_2": question.turns[1],
                    "answer_1": answers[0],
                    "answer_2": answers[1],
                    **ref,
                }
                p_values = {
                    "question_1": question.turns[0],
                    "question_2": question.turns[1],
                    "answer_a_1": answers[0],
                    "answer_a_2": answers[1],
                    "answer_b_1": others[0],
                    "answer_b_2": others[1],
                    **ref,
                }
            got = fill_single(single, question, answers, reference, turn=turn)
            assert (got.system, got.user) == (
                single.system_prompt,
                splice(single.prompt_template, s_values),
            )
            got = fill_pair(pair, question, answers, others, reference, turn=turn)
            assert (got.system, got.user) == (
                pair.system_prompt,
                splice(pair.prompt_template, p_values),
            )


@settings(max_examples=200, deadline=None)
@given(a1=TRICKY, a2=TRICKY, b1=TRICKY, b2=TRICKY, turn=st.sampled_from([1, 2]))
def test_answers_are_inserted_verbatim_never_reinterpreted(
    mtbench_data,
    a1: str,
    a2: str,
    b1: str,
    b2: str,
    turn: int,  # type: ignore[no-untyped-def]
) -> None:
    question = mtbench_data.question(125)  # coding: reference-graded
    reference = mtbench_data.reference_for(question)
    pair = mtbench_data.prompts[pair_prompt_name(question.category, turn)]
    got = fill_pair(pair, question, [a1, a2], [b1, b2], reference, turn=turn)
    ref = {"ref_answer_1": reference.turns[0], "ref_answer_2": reference.turns[1]}
    if turn == 1:
        values = {"question": question.turns[0], "answer_a": a1, "answer_b": b1, **ref}
    else:
        values = {
            "question_1": question.turns[0],
            "question_2": question.turns[1],
            "answer_a_1": a1,
            "answer_a_2": a2,
            "answer_b_1": b1,
            "answer_b_2": b2,
            **ref,
        }
    assert got.user == splice(pair.prompt_template, values)


def test_reference_prompt_without_reference_is_a_clear_error(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    question = mtbench_data.question(101)
    with pytest.raises(TemplateError, match=r"single-math-v1 needs \{ref_answer_1\}"):
        fill_single(mtbench_data.prompts["single-math-v1"], question, ["x", "y"], None, turn=1)


def test_reference_with_one_turn_is_refused(mtbench_data) -> None:  # type: ignore[no-untyped-def]
    question = mtbench_data.question(101)
    with pytest.raises(TemplateError, match="needs two"):
        fill_single(
            mtbench_data.prompts["single-math-v1"],
            question,
            ["x", "y"],
            Reference(question_id=101, turns=("only",)),
            turn=1,
        )


def test_empty_system_prompt_is_left_out_as_fastchat_does() -> None:
    from mteval.benchmarks.mt_bench import JudgeMessages

    assert JudgeMessages(prompt_name="p", system="", user="u").as_openai() == [
        {"role": "user", "content": "u"}
    ]


def test_turn_must_be_1_or_2() -> None:
    with pytest.raises(ValueError, match="turns 1 and 2"):
        single_prompt_name("writing", 3)
    question = Question(question_id=1, category="writing", turns=("q1", "q2"))
    assert question.needs_reference is False
