"""MT-Eval's variants: verdicts, prompt texts and argument sampling."""

import random
import string

import pytest

from mteval.instructions import MTEVAL_IDS, check, describe, sample_mteval_args
from mteval.instructions._shared import word_list


def mt(instruction_id, kwargs, response):
    return check(instruction_id, kwargs, response, dialect="mt-eval")


# --- startend:start_char ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Of course.", True),
        ("  \n oh well", True),
        ("Yes", False),
        ("", False),
        ("   ", False),
        ("« o »", False),
    ],
)
def test_start_char(response, expected):
    assert mt("startend:start_char", {"letter": "o"}, response) is expected


def test_start_char_is_case_insensitive_on_the_letter_too():
    assert mt("startend:start_char", {"letter": "O"}, "okay")


def test_start_char_unicode_letter():
    assert mt("startend:start_char", {"letter": "ö"}, "Ölçü bir")


# --- startend:start_emoji -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("😀 Hello", True),
        ("\n  🎉 party", True),
        ("Hello 😀", False),
        ("", False),  # the original raises IndexError here
        ("   \t\n", False),
        (":smile: hi", False),
    ],
)
def test_start_emoji(response, expected):
    assert mt("startend:start_emoji", {}, response) is expected


# --- startend:end_phrase ------------------------------------------------------------------

END = {"end_phrase": "Any other questions?"}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Here you go. Any other questions?", True),
        ("Here you go. any other QUESTIONS?  \n", True),
        ("'Here you go. Any other questions?'", True),  # single quotes are stripped
        ('"Here you go. Any other questions?"', False),  # double quotes are not
        (" 'Any other questions?' ", True),  # whitespace first, then quotes
        ("Any other questions? Bye.", False),
        ("", False),
        ("   ", False),
    ],
)
def test_end_phrase(response, expected):
    assert mt("startend:end_phrase", END, response) is expected


def test_end_phrase_empty_phrase_always_matches():
    assert mt("startend:end_phrase", {"end_phrase": ""}, "")


# --- language:response_language -----------------------------------------------------------

BULGARIAN = "Това е изречение на български език, което е достатъчно дълго за разпознаване."
ENGLISH = "This is a sentence written in English and it is long enough to be recognised."


def test_language_matches():
    assert mt("language:response_language", {"lang": "Bulgarian"}, BULGARIAN)
    assert mt("language:response_language", {"lang": "English"}, ENGLISH)


def test_language_mismatch():
    assert not mt("language:response_language", {"lang": "Bulgarian"}, ENGLISH)


def test_language_empty_or_blank_response_fails():
    assert mt("language:response_language", {"lang": "English"}, "") is False
    assert mt("language:response_language", {"lang": "English"}, " \n\t ") is False


def test_language_undetectable_counts_as_followed():
    # langdetect raises LangDetectException on text without letters; the original
    # then returns True.
    assert mt("language:response_language", {"lang": "Punjabi"}, "12345 678") is True


def test_language_detection_is_deterministic():
    text = "ok si no"
    verdicts = {mt("language:response_language", {"lang": "Spanish"}, text) for _ in range(5)}
    assert len(verdicts) == 1


# --- format:json_format -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ('{"a": 1}', True),
        ('```json\n{"a": [1, 2]}\n```', True),
        ("```JSON\n[1, 2]\n```", True),
        ('```Json {"x": null}```', True),
        ('```\n"just a string"\n```', True),
        ("  42  ", True),
        ("```python\n{}\n```", False),
        ('Sure! {"a": 1}', False),
        ("", False),
        ("```\n```", False),
        ("[" * 100_000 + "]" * 100_000, False),  # too deep for json: the original crashes
    ],
)
def test_json_format(response, expected):
    assert mt("format:json_format", {}, response) is expected


# --- format:bullet_list -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "response", "expected"),
    [
        (2, "* one\n* two", True),
        (2, "* one\n- two", True),
        (2, "Intro\n  * one\n\t- two\nOutro", True),
        (2, "**Bold title**\n* one\n* two", True),  # "**" lines are not bullets
        (2, "* one", False),
        (2, "* one\n* two\n* three", False),
        (1, "*", False),  # "*" needs a following character
        (1, "*\nnext", True),  # ...which may be the newline
        (0, "- anything", True),  # 0 means at least one bullet
        (0, "no bullets here", False),
        (0, "", False),
        (3, "", False),
    ],
)
def test_bullet_list(num, response, expected):
    assert mt("format:bullet_list", {"num_bullets": num}, response) is expected


# --- length_constraints:number_words ------------------------------------------------------


def test_number_words_less_than_is_strict():
    kwargs = {"num_words": 100, "relation": "less than"}
    assert mt("length_constraints:number_words", kwargs, "word " * 99)
    assert not mt("length_constraints:number_words", kwargs, "word " * 100)
    assert mt("length_constraints:number_words", kwargs, "")


def test_number_words_more_than_is_strict():
    kwargs = {"num_words": 3, "relation": "more than"}
    assert mt("length_constraints:number_words", kwargs, "one two three four")
    assert not mt("length_constraints:number_words", kwargs, "one two three")


def test_number_words_counts_regex_words():
    kwargs = {"num_words": 3, "relation": "less than"}
    assert not mt("length_constraints:number_words", kwargs, "don't stop")  # don, t, stop


# --- length_constraints:number_sentences --------------------------------------------------


def test_number_sentences_less_than():
    kwargs = {"num_sentences": 3, "relation": "less than"}
    assert mt("length_constraints:number_sentences", kwargs, "One. Two.")
    assert not mt("length_constraints:number_sentences", kwargs, "One. Two. Three.")
    assert mt("length_constraints:number_sentences", kwargs, "")
    assert mt("length_constraints:number_sentences", kwargs, "   ")


def test_number_sentences_more_than():
    kwargs = {"num_sentences": 2, "relation": "more than"}
    assert mt("length_constraints:number_sentences", kwargs, "One. Two. Three.")
    assert not mt("length_constraints:number_sentences", kwargs, "One. Two.")


# --- keywords:existence -------------------------------------------------------------------

KEYWORDS = {"keywords": ["garbage", "city"]}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("The CITY collects Garbage.", True),
        ("cityscapes full of garbagemen", True),  # substrings count
        ("only the city", False),
        ("", False),
    ],
)
def test_keyword_existence(response, expected):
    assert mt("keywords:existence", KEYWORDS, response) is expected


def test_keyword_existence_is_not_a_regex():
    assert mt("keywords:existence", {"keywords": ["a.c"]}, "x a.c y")
    assert not mt("keywords:existence", {"keywords": ["a.c"]}, "abc")


# --- change_case --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [("HELLO, WORLD 123", True), ("ÀÉÎ", True), ("Hello", False), ("", False), ("123", False)],
)
def test_capital_letter(response, expected):
    assert mt("change_case:capital_letter", {}, response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [("hello, world 123", True), ("straße", True), ("Hello", False), ("", False), ("1 2", False)],
)
def test_lowercase(response, expected):
    assert mt("change_case:lowercase", {}, response) is expected


# --- punctuation:no_comma -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [("no commas here", True), ("", True), ("full-width ，is fine", True), ("a, b", False)],
)
def test_no_comma(response, expected):
    assert mt("punctuation:no_comma", {}, response) is expected


# --- combination:two_responses ------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("First answer.\n******\nSecond answer.", True),
        ("******\nFirst\n******\nSecond\n******", True),  # blank ends are allowed
        ("Same ****** Same", False),
        ("Same ****** Same  ", False),  # compared stripped
        ("A ****** B ****** C", False),
        ("A ************ B", False),  # a blank middle part
        ("Only one", False),
        ("", False),
    ],
)
def test_two_responses(response, expected):
    assert mt("combination:two_responses", {}, response) is expected


# --- format:constrained_response ----------------------------------------------------------

OPTIONS = ["My answer is yes.", "My answer is no.", "My answer is maybe."]


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("My answer is yes.", True),
        ("Well... My answer is maybe. Because reasons.", True),
        ("my answer is yes.", False),  # case-sensitive
        ("My answer is yes", False),
        ("", False),
    ],
)
def test_constrained_response(response, expected):
    assert mt("format:constrained_response", {"response_options": OPTIONS}, response) is expected


def test_constrained_response_defaults_to_the_three_options():
    assert mt("format:constrained_response", {}, "My answer is no.")
    assert mt("format:constrained_response", {"response_options": None}, "My answer is no.")


def test_constrained_response_custom_options():
    kwargs = {"response_options": ["Agree", "Disagree"]}
    assert mt("format:constrained_response", kwargs, "I Disagree")
    assert not mt("format:constrained_response", kwargs, "My answer is no.")


# --- content:placeholder ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "response", "expected"),
    [
        (2, "Dear [name], see you at [address].", True),
        (2, "Dear [name].", False),
        (1, "[a\nb]", False),  # a placeholder stays on one line
        (1, "[[x]", True),
        (1, "[]", True),
        (0, "", True),
        (1, "", False),
    ],
)
def test_placeholder(num, response, expected):
    assert mt("content:placeholder", {"num_placeholder": num}, response) is expected


# --- prompt texts -------------------------------------------------------------------------

BULLET_EXAMPLE = "Use the markdown bullet points such as:\n* This is point 1.\n* This is point 2.\n"


@pytest.mark.parametrize(
    ("instruction_id", "kwargs", "text"),
    [
        (
            "startend:start_char",
            {"letter": "o"},
            "Begin all your responses in the upcoming conversation with the letter o.",
        ),
        (
            "startend:start_emoji",
            {},
            "Begin all your responses in the upcoming conversation with emoji.",
        ),
        (
            "startend:end_phrase",
            {"end_phrase": "Is there anything else I can help with?"},
            "All your responses in the upcoming conversation must end with this exact phrase "
            "'Is there anything else I can help with?'. No other words should follow this "
            "phrase.",
        ),
        (
            "language:response_language",
            {"lang": "Bulgarian"},
            "All your responses in the upcoming conversation must be written in Bulgarian "
            "language, no other language is allowed.",
        ),
        (
            "format:json_format",
            {},
            "All your responses in the upcoming conversation must be wrapped in JSON format. "
            "You can use markdown ticks such as ```.",
        ),
        (
            "format:bullet_list",
            {"num_bullets": 4},
            "All your responses in the upcoming conversation must contain exactly 4 bullet "
            "points. " + BULLET_EXAMPLE,
        ),
        (
            "format:bullet_list",
            {"num_bullets": 0},
            "All your responses in the upcoming conversation must only use bullet points. "
            + BULLET_EXAMPLE,
        ),
        (
            "length_constraints:number_words",
            {"num_words": 150, "relation": "less than"},
            "All your responses in the upcoming conversation must be less than 150 words.",
        ),
        (
            "length_constraints:number_sentences",
            {"num_sentences": 4, "relation": "less than"},
            "All your responses in the upcoming conversation must be less than 4 sentences.",
        ),
        (
            "keywords:existence",
            {"keywords": ["garbage", "city"]},
            "Include keywords ['city', 'garbage'] in all your responses in the upcoming "
            "conversation.",
        ),
        (
            "change_case:capital_letter",
            {},
            "All your responses in the upcoming conversation must be in all capital letters.",
        ),
        (
            "change_case:lowercase",
            {},
            "All your responses in the upcoming conversation must be in all lower letters.",
        ),
        (
            "punctuation:no_comma",
            {},
            "All your responses in the upcoming conversation must refrain from the use of any "
            "commas.",
        ),
        (
            "combination:two_responses",
            {},
            "All your responses in the upcoming conversation must have two different "
            "responses. Your two different responses should be separated by 6 asterisk "
            "symbols: ******.",
        ),
        (
            "format:constrained_response",
            {"response_options": OPTIONS},
            "All your responses in the upcoming conversation must be one of the following "
            "options: ('My answer is yes.', 'My answer is no.', 'My answer is maybe.').",
        ),
        (
            "format:constrained_response",
            {},
            "All your responses in the upcoming conversation must be one of the following "
            "options: ('My answer is yes.', 'My answer is no.', 'My answer is maybe.').",
        ),
        (
            "format:constrained_response",
            {"response_options": ["Agree", "Disagree"]},
            "All your responses in the upcoming conversation must be one of the following "
            "options: ['Agree', 'Disagree'].",
        ),
        (
            "content:placeholder",
            {"num_placeholder": 2},
            "All your responses in the upcoming conversation must contain at least 2 "
            "placeholders represented by square brackets, such as [address].",
        ),
    ],
)
def test_describe(instruction_id, kwargs, text):
    assert describe(instruction_id, kwargs, dialect="mt-eval") == text
    assert describe(instruction_id, kwargs) == text  # MT-Eval is the default


def test_describe_does_not_append_the_word_limit_note():
    text = describe("startend:start_emoji", {})
    assert "200 words" not in text


# --- sampling -----------------------------------------------------------------------------

REPLAY_ORDER = [
    "startend:start_char",
    "startend:start_emoji",
    "startend:end_phrase",
    "language:response_language",
    "format:json_format",
    "format:bullet_list",
    "length_constraints:number_sentences",
    "keywords:existence",
    "change_case:capital_letter",
    "change_case:lowercase",
    "punctuation:no_comma",
    "combination:two_responses",
    "format:constrained_response",
    "content:placeholder",
]


def test_replaying_seed_11_reproduces_the_benchmark_arguments():
    rng = random.Random(11)
    drawn = {i: [sample_mteval_args(i, rng) for _ in range(2)] for i in REPLAY_ORDER}
    assert [a["letter"] for a in drawn["startend:start_char"]] == ["o", "r"]
    assert drawn["startend:start_emoji"] == [{}, {}]
    assert [a["end_phrase"] for a in drawn["startend:end_phrase"]] == [
        "Is there anything else I can help with?"
    ] * 2
    assert [a["lang"] for a in drawn["language:response_language"]] == ["Bulgarian", "Punjabi"]
    assert [a["num_bullets"] for a in drawn["format:bullet_list"]] == [4, 1]
    assert (
        drawn["length_constraints:number_sentences"]
        == [{"num_sentences": 4, "relation": "less than"}] * 2
    )
    assert drawn["keywords:existence"] == [
        {"keywords": ["city", "garbage"]},
        {"keywords": ["county", "hat"]},
    ]
    assert drawn["format:constrained_response"] == [{"response_options": OPTIONS}] * 2
    assert [a["num_placeholder"] for a in drawn["content:placeholder"]] == [1, 2]
    for instruction_id in ("format:json_format", "change_case:lowercase"):
        assert drawn[instruction_id] == [{}, {}]


def _twin_draws(instruction_id, twin):
    """The calls the original constructors made on their seeder."""
    if instruction_id == "startend:start_char":
        twin.choice(string.ascii_lowercase)
    elif instruction_id == "startend:end_phrase":
        twin.choice(("Any other questions?", "Is there anything else I can help with?"))
    elif instruction_id == "language:response_language":
        twin.choice(list(range(30)))
    elif instruction_id == "format:bullet_list":
        twin.randint(0, 4)
    elif instruction_id == "length_constraints:number_words":
        twin.choice(list(range(100, 201, 10)))
        twin.choice(["less than"])
    elif instruction_id == "length_constraints:number_sentences":
        twin.randint(3, 6)
        twin.choice(["less than"])
    elif instruction_id == "keywords:existence":
        twin.choices(range(1525), k=2)
    elif instruction_id == "content:placeholder":
        twin.randint(1, 2)


@pytest.mark.parametrize("instruction_id", MTEVAL_IDS)
def test_sampling_consumes_exactly_the_original_draws(instruction_id):
    rng, twin = random.Random(5), random.Random(5)
    for _ in range(3):
        sample_mteval_args(instruction_id, rng)
        _twin_draws(instruction_id, twin)
    assert rng.getstate() == twin.getstate()


def test_number_words_sampling():
    args = sample_mteval_args("length_constraints:number_words", random.Random(1))
    assert args["relation"] == "less than"
    assert args["num_words"] in range(100, 201, 10)


@pytest.mark.parametrize("instruction_id", MTEVAL_IDS)
def test_sampled_args_are_valid_and_json_like(instruction_id):
    import json

    args = sample_mteval_args(instruction_id, random.Random(3))
    assert json.loads(json.dumps(args)) == args
    assert isinstance(describe(instruction_id, args, dialect="mt-eval"), str)


def test_word_list_is_ifevals():
    words = word_list()
    assert len(words) == 1525
    assert words[:3] == ("western", "sentence", "signal")
    assert words[-1] == "apartment"
    assert all(w and " " not in w and not w.startswith("#") for w in words)
