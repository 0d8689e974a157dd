"""Properties: every checker takes any text, and the linear-time counters agree with
the originals' regular expressions."""

import random
import re
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mteval.instructions import IFEVAL_IDS, MTEVAL_IDS, check
from mteval.instructions._shared import count_bullet_lines, count_placeholders

IFEVAL_KWARGS = {
    "keywords:existence": {"keywords": ["city", "garbage"]},
    "keywords:frequency": {"keyword": "data", "frequency": 2, "relation": "at least"},
    "keywords:forbidden_words": {"forbidden_words": ["bad", "worse"]},
    "keywords:letter_frequency": {"letter": "a", "let_frequency": 3, "let_relation": "less than"},
    "language:response_language": {"language": "en"},
    "length_constraints:number_sentences": {"num_sentences": 3, "relation": "at least"},
    "length_constraints:number_paragraphs": {"num_paragraphs": 2},
    "length_constraints:number_words": {"num_words": 10, "relation": "at least"},
    "length_constraints:nth_paragraph_first_word": {
        "num_paragraphs": 2,
        "nth_paragraph": 2,
        "first_word": "then",
    },
    "detectable_content:number_placeholders": {"num_placeholders": 2},
    "detectable_content:postscript": {"postscript_marker": "P.S."},
    "detectable_format:number_bullet_lists": {"num_bullets": 2},
    "detectable_format:constrained_response": {},
    "detectable_format:number_highlighted_sections": {"num_highlights": 2},
    "detectable_format:multiple_sections": {"section_spliter": "Section", "num_sections": 2},
    "detectable_format:json_format": {},
    "detectable_format:title": {},
    "combination:two_responses": {},
    "combination:repeat_prompt": {"prompt_to_repeat": "Write a poem."},
    "startend:end_checker": {"end_phrase": "Is there anything else I can help with?"},
    "change_case:capital_word_frequency": {"capital_frequency": 2, "capital_relation": "at least"},
    "change_case:english_capital": {},
    "change_case:english_lowercase": {},
    "punctuation:no_comma": {},
    "startend:quotation": {},
}
assert set(IFEVAL_KWARGS) == set(IFEVAL_IDS)

_rng = random.Random(0)
MTEVAL_KWARGS = {
    "startend:start_char": {"letter": "o"},
    "startend:start_emoji": {},
    "startend:end_phrase": {"end_phrase": "Any other questions?"},
    "language:response_language": {"lang": "Bulgarian"},
    "format:json_format": {},
    "format:bullet_list": {"num_bullets": 0},
    "length_constraints:number_words": {"num_words": 100, "relation": "less than"},
    "length_constraints:number_sentences": {"num_sentences": 4, "relation": "less than"},
    "keywords:existence": {"keywords": ["city", "garbage"]},
    "change_case:capital_letter": {},
    "change_case:lowercase": {},
    "punctuation:no_comma": {},
    "combination:two_responses": {},
    "format:constrained_response": {"response_options": ["My answer is yes."]},
    "content:placeholder": {"num_placeholder": 1},
}
assert set(MTEVAL_KWARGS) == set(MTEVAL_IDS)

CASES = [(i, k, "ifeval") for i, k in IFEVAL_KWARGS.items()] + [
    (i, k, "mt-eval") for i, k in MTEVAL_KWARGS.items()
]
CASE_IDS = [f"{d}:{i}" for i, _, d in CASES]

# Control characters, odd whitespace and the characters the checkers look for.
_SPECIAL = st.sampled_from(
    list("\x00\x1c\x85\u2028\u3000\t\r\n *-[]<>\"'`{},.!?#~🎉") + ["******", "***", "\n\n"]
)
TEXTS = st.one_of(
    st.text(),
    st.lists(st.one_of(_SPECIAL, st.text(max_size=5)), max_size=60).map("".join),
    st.text(min_size=50, max_size=400),
)

PATHOLOGICAL = [
    "",
    " ",
    "\n",
    "\ud800 lone surrogate",
    "\x00\x01\x02",
    "[" * 3_000,
    "<<" * 3_000,
    "\n" * 3_000,
    " " * 3_000,
    "*" * 3_000,
    "{" * 3_000,
]


@pytest.mark.parametrize(("instruction_id", "kwargs", "dialect"), CASES, ids=CASE_IDS)
@settings(max_examples=40, deadline=None, derandomize=True)
@given(response=TEXTS)
def test_check_returns_a_bool_for_any_text(instruction_id, kwargs, dialect, response):
    assert type(check(instruction_id, kwargs, response, dialect=dialect)) is bool


@pytest.mark.parametrize(("instruction_id", "kwargs", "dialect"), CASES, ids=CASE_IDS)
def test_check_handles_pathological_text(instruction_id, kwargs, dialect):
    for response in PATHOLOGICAL:
        assert type(check(instruction_id, kwargs, response, dialect=dialect)) is bool


@pytest.mark.parametrize(("instruction_id", "kwargs", "dialect"), CASES, ids=CASE_IDS)
def test_check_is_fast_on_huge_whitespace_and_brackets(instruction_id, kwargs, dialect):
    # Originals' regexes are quadratic on these; 200k characters would take minutes.
    response = ("\n" * 50_000) + (" " * 50_000) + ("[" * 50_000) + ("<<" * 25_000)
    start = time.perf_counter()
    check(instruction_id, kwargs, response, dialect=dialect)
    assert time.perf_counter() - start < 3


# --- the linear counters give the originals' answers --------------------------------------

_SMALL_ALPHABET = st.text(alphabet=" \t\n\r\x0b\x1c\u2028\u3000*-ab[]", max_size=40)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=_SMALL_ALPHABET)
@example(text="*\n\n* a")
@example(text="*\n*\n")
@example(text="\n \n-\n- \n")
def test_bullet_count_matches_the_original_regexes(text):
    stars = re.findall(r"^\s*\*[^\*].*$", text, flags=re.MULTILINE)
    dashes = re.findall(r"^\s*-.*$", text, flags=re.MULTILINE)
    assert count_bullet_lines(text) == len(stars) + len(dashes)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(alphabet="[]a\n ", max_size=40))
@example(text="[[a]\n[]]")
def test_placeholder_count_matches_the_original_regex(text):
    assert count_placeholders(text) == len(re.findall(r"\[.*?\]", text))


def _original_title(value):
    titles = re.findall(r"<<[^\n]+>>", value)
    return any(title.lstrip("<").rstrip(">").strip() for title in titles)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(alphabet="<> a\n", max_size=30))
@example(text="<<<>>> <<x>>")
@example(text="<< >><<a>>")
def test_title_matches_the_original_regex(text):
    assert check("detectable_format:title", {}, text) is _original_title(text)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    text=st.text(alphabet="pPsS. \n\tx", max_size=30),
    marker=st.sampled_from(["P.S.", "P.P.S"]),
)
def test_postscript_matches_the_original_regex(text, marker):
    pattern = r"\s*p\.\s?p\.\s?s.*$" if marker == "P.P.S" else r"\s*p\.\s?s\..*$"
    expected = bool(re.findall(pattern, text.lower(), flags=re.MULTILINE))
    kwargs = {"postscript_marker": marker}
    assert check("detectable_content:postscript", kwargs, text) is expected
