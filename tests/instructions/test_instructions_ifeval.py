"""IFEval's instructions: verdicts and prompt texts."""

import pytest

from mteval.instructions import check, describe


def ife(instruction_id, kwargs, response):
    return check(instruction_id, kwargs, response, dialect="ifeval")


# --- keywords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("The CITY collects Garbage.", True),
        ("cityscapes full of garbagemen", True),
        ("only the city", False),
        ("", False),
    ],
)
def test_keyword_existence(response, expected):
    kwargs = {"keywords": ["garbage", "city"]}
    assert ife("keywords:existence", kwargs, response) is expected


@pytest.mark.parametrize(
    ("relation", "response", "expected"),
    [
        ("at least", "Data, data and DATA.", True),
        ("at least", "data and data", False),
        ("less than", "data and data", True),
        ("less than", "metadata, database, data", False),  # a plain search: substrings count
        ("less than", "", True),
        ("at least", "", False),
    ],
)
def test_keyword_frequency(relation, response, expected):
    kwargs = {"keyword": " data ", "frequency": 3, "relation": relation}
    assert ife("keywords:frequency", kwargs, response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("All good here.", True),
        ("That was BAD.", False),
        ("It got worse", False),
        ("badminton is fun", True),  # whole words only
        ("", True),
    ],
)
def test_forbidden_words(response, expected):
    kwargs = {"forbidden_words": ["worse", "bad", "bad"]}
    assert ife("keywords:forbidden_words", kwargs, response) is expected


@pytest.mark.parametrize(
    ("relation", "response", "expected"),
    [
        ("less than", "banana", False),  # 3 a's
        ("less than", "bAnn", True),
        ("at least", "AAA", True),
        ("at least", "", False),
        ("less than", "", True),
    ],
)
def test_letter_frequency(relation, response, expected):
    kwargs = {"letter": "A", "let_frequency": 3, "let_relation": relation}
    assert ife("keywords:letter_frequency", kwargs, response) is expected


# --- language -----------------------------------------------------------------------------


def test_response_language():
    russian = "Это предложение написано на русском языке и оно достаточно длинное."
    assert ife("language:response_language", {"language": "ru"}, russian)
    assert not ife("language:response_language", {"language": "en"}, russian)


def test_response_language_undetectable_counts_as_followed():
    # Unlike MT-Eval's variant, an empty response is not rejected first.
    assert ife("language:response_language", {"language": "en"}, "") is True
    assert ife("language:response_language", {"language": "en"}, "42") is True


# --- length constraints -------------------------------------------------------------------


def test_number_sentences():
    at_least = {"num_sentences": 2, "relation": "at least"}
    less_than = {"num_sentences": 2, "relation": "less than"}
    assert ife("length_constraints:number_sentences", at_least, "One. Two.")
    assert not ife("length_constraints:number_sentences", at_least, "One.")
    assert ife("length_constraints:number_sentences", less_than, "One.")
    assert not ife("length_constraints:number_sentences", less_than, "One. Two.")
    assert not ife("length_constraints:number_sentences", at_least, "")


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("First.\n***\nSecond.", True),
        ("***\nFirst.\n***\nSecond.\n***", True),  # dividers at the ends are allowed
        ("First.\n***\n***\nSecond.", False),  # an empty middle paragraph
        ("First only.", False),
        ("", False),
    ],
)
def test_number_paragraphs(response, expected):
    assert ife("length_constraints:number_paragraphs", {"num_paragraphs": 2}, response) is expected


def test_number_paragraphs_of_an_empty_response():
    assert ife("length_constraints:number_paragraphs", {"num_paragraphs": 0}, "")


def test_number_words():
    at_least = {"num_words": 3, "relation": "at least"}
    assert ife("length_constraints:number_words", at_least, "one two three")
    assert not ife("length_constraints:number_words", at_least, "one two")
    less_than = {"num_words": 3, "relation": "less than"}
    assert ife("length_constraints:number_words", less_than, "")
    assert not ife("length_constraints:number_words", less_than, "one two three")


NTH = {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "Then"}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Intro.\n\nThen more.\n\nEnd.", True),
        ('Intro.\n\n"then, more.\n\nEnd.', True),  # quotes and punctuation are dropped
        ("Intro.\n\nThenceforth.\n\nEnd.", False),
        ("Intro.\n\nThen more.", False),  # two paragraphs, not three
        ("Intro.\n\n\n\nThen more.\n\nEnd.", False),  # blank paragraphs keep their index
        ("", False),
        ("   ", False),
    ],
)
def test_nth_paragraph_first_word(response, expected):
    assert ife("length_constraints:nth_paragraph_first_word", NTH, response) is expected


# --- detectable content -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [("[name] lives at [address]", True), ("[name]", False), ("[a\nb] [c]", False), ("", False)],
)
def test_number_placeholders(response, expected):
    kwargs = {"num_placeholders": 2}
    assert ife("detectable_content:number_placeholders", kwargs, response) is expected


@pytest.mark.parametrize(
    ("marker", "response", "expected"),
    [
        ("P.S.", "Body.\n\nP.S. Call me.", True),
        ("P.S.", "Body.\np. s. lowercase works", True),
        ("P.S.", "Body without postscript", False),
        ("P.S.", "", False),
        ("P.P.S", "Body.\nP.P.S more", True),
        ("P.P.S", "Body.\nP.S. only", False),
        (" Note: ", "Body.\nNOTE: custom marker", True),
        ("Note:", "Body.", False),
    ],
)
def test_postscript(marker, response, expected):
    kwargs = {"postscript_marker": marker}
    assert ife("detectable_content:postscript", kwargs, response) is expected


# --- detectable format --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "response", "expected"),
    [
        (2, "* one\n* two", True),
        (2, "- one\n  * two\n**not a bullet**", True),
        (2, "* one", False),
        (0, "", True),
        (0, "- one", False),  # exactly 0, unlike MT-Eval's "at least one"
    ],
)
def test_number_bullet_lists(num, response, expected):
    kwargs = {"num_bullets": num}
    assert ife("detectable_format:number_bullet_lists", kwargs, response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("  My answer is yes.  ", True),
        ("I'd say My answer is no.", True),
        ("Yes.", False),
        ("", False),
    ],
)
def test_constrained_response(response, expected):
    assert ife("detectable_format:constrained_response", {}, response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("*one* and **two**", True),  # "**" alone is an empty span; the bold one counts once
        ("*one* and * *", False),
        ("*one*", False),
        ("*a\nb* *c*", False),
        ("", False),
    ],
)
def test_number_highlighted_sections(response, expected):
    kwargs = {"num_highlights": 2}
    assert ife("detectable_format:number_highlighted_sections", kwargs, response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("SECTION 1\nfoo\nSECTION 2\nbar", True),
        ("Section 1\nfoo\nSECTION 2\nbar", False),  # the spliter is case-sensitive
        ("SECTION 1 only", False),
        ("", False),
    ],
)
def test_multiple_sections(response, expected):
    kwargs = {"section_spliter": " SECTION ", "num_sections": 2}
    assert ife("detectable_format:multiple_sections", kwargs, response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [('```json\n{"a": 1}\n```', True), ("{'a': 1}", False), ("", False)],
)
def test_json_format(response, expected):
    assert ife("detectable_format:json_format", {}, response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("<<Poem of Joy>>\nBody", True),
        ("<<>> nothing", False),
        ("<< >>", False),
        ("<<a\nb>>", False),
        ("<<<>>> <<x>>", True),  # one greedy span per line, from first << to last >>
        ("<<x>", False),
        ("", False),
    ],
)
def test_title(response, expected):
    assert ife("detectable_format:title", {}, response) is expected


# --- combination, start/end ---------------------------------------------------------------


def test_two_responses():
    assert ife("combination:two_responses", {}, "A\n******\nB")
    assert not ife("combination:two_responses", {}, "A\n******\nA")
    assert not ife("combination:two_responses", {}, "")


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Write a poem. Roses are red.", True),
        ("  write a POEM. Roses", True),
        ("Sure! Write a poem.", False),
        ("", False),
    ],
)
def test_repeat_prompt(response, expected):
    kwargs = {"prompt_to_repeat": "Write a poem. "}
    assert ife("combination:repeat_prompt", kwargs, response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Done. Any other questions?", True),
        ('"Done. Any other questions?"', True),  # double quotes are stripped
        ("'Done. Any other questions?'", False),  # single quotes are not
        ("Any other questions? Bye", False),
        ("", False),
    ],
)
def test_end_checker(response, expected):
    kwargs = {"end_phrase": " Any other questions? "}
    assert ife("startend:end_checker", kwargs, response) is expected


@pytest.mark.parametrize(
    ("response", "expected"),
    [('"quoted"', True), ('  "x"  ', True), ('"', False), ("'x'", False), ("", False)],
)
def test_quotation(response, expected):
    assert ife("startend:quotation", {}, response) is expected


# --- change case, punctuation -------------------------------------------------------------


def test_capital_word_frequency():
    at_least = {"capital_frequency": 2, "capital_relation": "at least"}
    assert ife("change_case:capital_word_frequency", at_least, "THIS IS a test")
    assert not ife("change_case:capital_word_frequency", at_least, "THIS is a test")
    less_than = {"capital_frequency": 2, "capital_relation": "less than"}
    assert ife("change_case:capital_word_frequency", less_than, "")


def test_english_capital():
    assert ife("change_case:english_capital", {}, "THIS IS AN ENGLISH SENTENCE FOR YOU.")
    assert not ife("change_case:english_capital", {}, "This is mixed case.")
    assert not ife("change_case:english_capital", {}, "")
    assert not ife("change_case:english_capital", {}, "ЭТО ПРЕДЛОЖЕНИЕ НА РУССКОМ ЯЗЫКЕ.")


def test_english_lowercase():
    assert ife("change_case:english_lowercase", {}, "this is an english sentence for you.")
    assert not ife("change_case:english_lowercase", {}, "This is an English sentence.")
    assert not ife("change_case:english_lowercase", {}, "")
    assert not ife("change_case:english_lowercase", {}, "это предложение на русском языке.")


def test_no_comma():
    assert ife("punctuation:no_comma", {}, "fine")
    assert not ife("punctuation:no_comma", {}, "a, b")
    assert ife("punctuation:no_comma", {}, "")


# --- prompt texts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instruction_id", "kwargs", "text"),
    [
        (
            "keywords:existence",
            {"keywords": ["garbage", "city"]},
            "Include keywords ['city', 'garbage'] in the response.",
        ),
        (
            "keywords:frequency",
            {"keyword": " data ", "frequency": 3, "relation": "at least"},
            "In your response, the word data should appear at least 3 times.",
        ),
        (
            "keywords:forbidden_words",
            {"forbidden_words": ["worse", "bad", "bad"]},
            "Do not include keywords ['bad', 'worse'] in the response.",
        ),
        (
            "keywords:letter_frequency",
            {"letter": "Q", "let_frequency": 4, "let_relation": "less than"},
            "In your response, the letter q should appear less than 4 times.",
        ),
        (
            "language:response_language",
            {"language": "fi"},
            "Your ENTIRE response should be in Finnish language, no other language is allowed.",
        ),
        (
            "length_constraints:number_sentences",
            {"num_sentences": 5, "relation": "less than"},
            "Your response should contain less than 5 sentences.",
        ),
        (
            "length_constraints:number_paragraphs",
            {"num_paragraphs": 4},
            "There should be 4 paragraphs. Paragraphs are separated with the markdown divider: ***",
        ),
        (
            "length_constraints:number_words",
            {"num_words": 300, "relation": "less than"},
            "Answer with less than 300 words.",
        ),
        (
            "length_constraints:nth_paragraph_first_word",
            {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "Then"},
            "There should be 3 paragraphs. Paragraphs and only paragraphs are separated with "
            "each other by two new lines as if it was '\\n\\n' in python. Paragraph 2 must "
            "start with word then.",
        ),
        (
            "detectable_content:number_placeholders",
            {"num_placeholders": 2},
            "The response must contain at least 2 placeholders represented by square "
            "brackets, such as [address].",
        ),
        (
            "detectable_content:postscript",
            {"postscript_marker": " P.P.S "},
            "At the end of your response, please explicitly add a postscript starting with P.P.S",
        ),
        (
            "detectable_format:number_bullet_lists",
            {"num_bullets": 3},
            "Your answer must contain exactly 3 bullet points. Use the markdown bullet points "
            "such as:\n* This is point 1. \n* This is point 2",
        ),
        (
            "detectable_format:constrained_response",
            {},
            "Answer with one of the following options: ('My answer is yes.', 'My answer is "
            "no.', 'My answer is maybe.')",
        ),
        (
            "detectable_format:number_highlighted_sections",
            {"num_highlights": 2},
            "Highlight at least 2 sections in your answer with markdown, i.e. *highlighted "
            "section*.",
        ),
        (
            "detectable_format:multiple_sections",
            {"section_spliter": "SECTION", "num_sections": 3},
            "Your response must have 3 sections. Mark the beginning of each section with "
            "SECTION X, such as:\nSECTION 1\n[content of section 1]\nSECTION 2\n"
            "[content of section 2]",
        ),
        (
            "detectable_format:json_format",
            {},
            "Entire output should be wrapped in JSON format. You can use markdown ticks such "
            "as ```.",
        ),
        (
            "detectable_format:title",
            {},
            "Your answer must contain a title, wrapped in double angular brackets, such as "
            "<<poem of joy>>.",
        ),
        (
            "combination:two_responses",
            {},
            "Give two different responses. Responses and only responses should be separated "
            "by 6 asterisk symbols: ******.",
        ),
        (
            "combination:repeat_prompt",
            {"prompt_to_repeat": "Write a poem."},
            "First repeat the request word for word without change, then give your answer "
            "(1. do not say any words or characters before repeating the request; 2. the "
            "request you need to repeat does not include this sentence)",
        ),
        (
            "startend:end_checker",
            {"end_phrase": " Peace. "},
            "Finish your response with this exact phrase Peace.. No other words should "
            "follow this phrase.",
        ),
        (
            "change_case:capital_word_frequency",
            {"capital_frequency": 7, "capital_relation": "at least"},
            "In your response, words with all capital letters should appear at least 7 times.",
        ),
        (
            "change_case:english_capital",
            {},
            "Your entire response should be in English, and in all capital letters.",
        ),
        (
            "change_case:english_lowercase",
            {},
            "Your entire response should be in English, and in all lowercase letters. No "
            "capital letters are allowed.",
        ),
        (
            "punctuation:no_comma",
            {},
            "In your entire response, refrain from the use of any commas.",
        ),
        (
            "startend:quotation",
            {},
            "Wrap your entire response with double quotation marks.",
        ),
    ],
)
def test_describe(instruction_id, kwargs, text):
    assert describe(instruction_id, kwargs, dialect="ifeval") == text


def test_hugging_face_style_kwargs_with_nulls_are_accepted():
    # The HF copy of IFEval stores every argument name, with nulls for unused ones.
    kwargs = {"num_highlights": 1, "relation": None, "keywords": None, "language": None}
    assert ife("detectable_format:number_highlighted_sections", kwargs, "*yes*")
