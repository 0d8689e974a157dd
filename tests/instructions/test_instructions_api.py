import random

import pytest

import mteval.instructions as instructions
from mteval.errors import InstructionError
from mteval.instructions import (
    IFEVAL_IDS,
    INSTRUCTION_IDS,
    MTEVAL_IDS,
    check,
    describe,
    sample_mteval_args,
)
from mteval.instructions._registry import resolve

SHARED_IDS = {
    "keywords:existence",
    "language:response_language",
    "length_constraints:number_sentences",
    "length_constraints:number_words",
    "combination:two_responses",
    "punctuation:no_comma",
}


def test_all_lists_the_public_names():
    assert sorted(instructions.__all__) == sorted(
        [
            "IFEVAL_IDS",
            "INSTRUCTION_IDS",
            "MTEVAL_IDS",
            "check",
            "describe",
            "sample_mteval_args",
        ]
    )
    for name in instructions.__all__:
        assert hasattr(instructions, name)


def test_ifeval_ids_are_the_25_of_its_registry():
    assert isinstance(IFEVAL_IDS, tuple)
    assert IFEVAL_IDS == (
        "keywords:existence",
        "keywords:frequency",
        "keywords:forbidden_words",
        "keywords:letter_frequency",
        "language:response_language",
        "length_constraints:number_sentences",
        "length_constraints:number_paragraphs",
        "length_constraints:number_words",
        "length_constraints:nth_paragraph_first_word",
        "detectable_content:number_placeholders",
        "detectable_content:postscript",
        "detectable_format:number_bullet_lists",
        "detectable_format:constrained_response",
        "detectable_format:number_highlighted_sections",
        "detectable_format:multiple_sections",
        "detectable_format:json_format",
        "detectable_format:title",
        "combination:two_responses",
        "combination:repeat_prompt",
        "startend:end_checker",
        "change_case:capital_word_frequency",
        "change_case:english_capital",
        "change_case:english_lowercase",
        "punctuation:no_comma",
        "startend:quotation",
    )


def test_mteval_ids_are_the_15_of_global_inst_in_order():
    assert MTEVAL_IDS == (
        "startend:start_char",
        "startend:start_emoji",
        "startend:end_phrase",
        "language:response_language",
        "format:json_format",
        "format:bullet_list",
        "length_constraints:number_words",
        "length_constraints:number_sentences",
        "keywords:existence",
        "change_case:capital_letter",
        "change_case:lowercase",
        "punctuation:no_comma",
        "combination:two_responses",
        "format:constrained_response",
        "content:placeholder",
    )


def test_instruction_ids_is_the_sorted_union():
    assert isinstance(INSTRUCTION_IDS, tuple)
    assert INSTRUCTION_IDS == tuple(sorted(set(IFEVAL_IDS) | set(MTEVAL_IDS)))
    assert len(INSTRUCTION_IDS) == 34
    assert set(IFEVAL_IDS) & set(MTEVAL_IDS) == SHARED_IDS


# --- dialect resolution -------------------------------------------------------------------


@pytest.mark.parametrize("instruction_id", sorted(SHARED_IDS))
def test_shared_id_prefers_mteval_without_dialect(instruction_id):
    kwargs = sample_mteval_args(instruction_id, random.Random(0))
    assert resolve(instruction_id, kwargs).family == "mt-eval"


@pytest.mark.parametrize("instruction_id", sorted(SHARED_IDS))
def test_dialect_forces_the_family(instruction_id):
    assert resolve(instruction_id, {}, dialect="ifeval").family == "ifeval"
    assert resolve(instruction_id, {}, dialect="mt-eval").family == "mt-eval"


def test_language_key_selects_ifeval():
    assert resolve("language:response_language", {"language": "bg"}).family == "ifeval"
    assert describe("language:response_language", {"language": "bg"}) == (
        "Your ENTIRE response should be in Bulgarian language, no other language is allowed."
    )


def test_lang_key_selects_mteval():
    assert resolve("language:response_language", {"lang": "Bulgarian"}).family == "mt-eval"


def test_relation_at_least_selects_ifeval():
    kwargs = {"num_sentences": 3, "relation": "at least"}
    assert describe("length_constraints:number_sentences", kwargs) == (
        "Your response should contain at least 3 sentences."
    )
    kwargs = {"num_words": 50, "relation": "at least"}
    assert describe("length_constraints:number_words", kwargs) == "Answer with at least 50 words."


def test_relation_less_than_selects_mteval():
    kwargs = {"num_sentences": 3, "relation": "less than"}
    assert describe("length_constraints:number_sentences", kwargs) == (
        "All your responses in the upcoming conversation must be less than 3 sentences."
    )
    assert describe("length_constraints:number_sentences", kwargs, dialect="ifeval") == (
        "Your response should contain less than 3 sentences."
    )


def test_keyword_existence_dialects_differ_on_regex_keywords():
    kwargs = {"keywords": ["a.c"]}
    assert check("keywords:existence", kwargs, "abc") is False  # MT-Eval: substring
    assert check("keywords:existence", kwargs, "abc", dialect="ifeval") is True  # regex


def test_ifeval_only_id_resolves_to_ifeval():
    assert resolve("detectable_format:title", {}).family == "ifeval"


def test_mteval_only_id_resolves_to_mteval():
    assert resolve("startend:start_char", {"letter": "o"}).family == "mt-eval"


def test_none_valued_kwargs_do_not_change_the_resolution():
    kwargs = {"lang": "English", "language": None}
    assert resolve("language:response_language", kwargs).family == "mt-eval"
    assert check("language:response_language", kwargs, "This is plainly an English sentence.")


# --- errors -------------------------------------------------------------------------------


def test_unknown_id_names_the_id_and_lists_known_ids():
    with pytest.raises(InstructionError) as info:
        check("startend:nonsense", {}, "hi")
    message = str(info.value)
    assert "'startend:nonsense'" in message
    assert "detectable_format:title" in message and "startend:start_char" in message


def test_unknown_id_in_describe_raises():
    with pytest.raises(InstructionError):
        describe("nope", {})


def test_unknown_dialect_raises():
    with pytest.raises(InstructionError, match="dialect"):
        check("punctuation:no_comma", {}, "hi", dialect="ifeval2")


def test_dialect_without_that_id_raises():
    with pytest.raises(InstructionError, match="not defined by IFEval"):
        check("startend:start_char", {"letter": "a"}, "abc", dialect="ifeval")
    with pytest.raises(InstructionError, match="not defined by MT-Eval"):
        check("detectable_format:title", {}, "<<t>>", dialect="mt-eval")


def test_unexpected_kwarg_is_named():
    with pytest.raises(InstructionError, match="'colour'.*letter"):
        check("startend:start_char", {"letter": "a", "colour": "red"}, "abc")


def test_unexpected_kwarg_on_argumentless_instruction():
    with pytest.raises(InstructionError, match="takes no arguments"):
        describe("format:json_format", {"indent": 2})


def test_missing_kwarg_is_named():
    with pytest.raises(InstructionError, match="needs argument 'letter'"):
        check("startend:start_char", {}, "abc")


def test_none_kwarg_counts_as_missing():
    with pytest.raises(InstructionError, match="needs argument 'letter'"):
        check("startend:start_char", {"letter": None}, "abc")


def test_kwargs_must_be_a_mapping():
    with pytest.raises(InstructionError, match="mapping"):
        check("punctuation:no_comma", ["x"], "abc")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("instruction_id", "kwargs", "dialect", "bad"),
    [
        ("startend:start_char", {"letter": ""}, None, "letter"),
        ("startend:start_char", {"letter": 3}, None, "letter"),
        ("language:response_language", {"lang": "Klingon"}, None, "lang"),
        ("language:response_language", {"language": "xx"}, "ifeval", "language"),
        ("format:bullet_list", {"num_bullets": "2"}, None, "num_bullets"),
        ("format:bullet_list", {"num_bullets": True}, None, "num_bullets"),
        (
            "length_constraints:number_words",
            {"num_words": 0, "relation": "less than"},
            None,
            "num_words",
        ),
        (
            "length_constraints:number_words",
            {"num_words": 100, "relation": "at most"},
            None,
            "relation",
        ),
        ("length_constraints:number_sentences", {"num_sentences": 3}, None, "relation"),
        (
            "length_constraints:number_sentences",
            {"num_sentences": -1, "relation": "at least"},
            None,
            "num_sentences",
        ),
        ("keywords:existence", {"keywords": []}, None, "keywords"),
        ("keywords:existence", {"keywords": "city"}, None, "keywords"),
        ("keywords:existence", {"keywords": ["("]}, "ifeval", "keywords"),
        ("keywords:forbidden_words", {"forbidden_words": ["a["]}, None, "forbidden_words"),
        (
            "keywords:frequency",
            {"keyword": "x", "frequency": 2, "relation": "more than"},
            None,
            "relation",
        ),
        (
            "keywords:letter_frequency",
            {"letter": "ab", "let_frequency": 2, "let_relation": "less than"},
            None,
            "letter",
        ),
        ("content:placeholder", {"num_placeholder": -1}, None, "num_placeholder"),
        ("format:constrained_response", {"response_options": [1, 2]}, None, "response_options"),
        (
            "length_constraints:nth_paragraph_first_word",
            {"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "x"},
            None,
            "nth_paragraph",
        ),
        (
            "length_constraints:nth_paragraph_first_word",
            {"num_paragraphs": 2, "nth_paragraph": 0, "first_word": "x"},
            None,
            "nth_paragraph",
        ),
        ("combination:repeat_prompt", {"prompt_to_repeat": ""}, None, "prompt_to_repeat"),
        (
            "detectable_format:multiple_sections",
            {"section_spliter": "(", "num_sections": 2},
            None,
            "section_spliter",
        ),
        ("detectable_content:postscript", {"postscript_marker": "[p"}, None, "postscript_marker"),
        ("change_case:capital_word_frequency", {"capital_frequency": 2}, None, "capital_relation"),
    ],
)
def test_invalid_kwargs_raise_naming_the_argument(instruction_id, kwargs, dialect, bad):
    with pytest.raises(InstructionError, match=f"'{bad}'") as info:
        check(instruction_id, kwargs, "some response", dialect=dialect)
    assert instruction_id in str(info.value)
    with pytest.raises(InstructionError):
        describe(instruction_id, kwargs, dialect=dialect)


def test_non_string_response_is_a_type_error():
    with pytest.raises(TypeError):
        check("punctuation:no_comma", {}, None)  # type: ignore[arg-type]


def test_sample_rejects_ifeval_only_ids():
    with pytest.raises(InstructionError, match="not an MT-Eval instruction"):
        sample_mteval_args("detectable_format:title", random.Random(0))
