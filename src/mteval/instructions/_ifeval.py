"""IFEval's 25 verifiable instructions.

Zhou et al., "Instruction-Following Evaluation for Large Language Models",
arXiv 2311.07911 (google-research ``instruction_following_eval``). Each class
reproduces the original's argument handling, the prompt text its
``build_description`` renders and the verdict of its ``check_following``.
Sentences are counted with NLTK's Punkt model (``punkt_tab``) through
:func:`mteval.text.count_sentences`; languages are detected with langdetect
under a fixed seed.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass
from typing import ClassVar

from mteval.instructions._base import Family, Instruction, KwargsReader
from mteval.instructions._shared import (
    count_bullet_lines,
    count_placeholders,
    detect_language,
    has_two_different_responses,
    is_json_response,
)
from mteval.text import count_regex_words, count_sentences, ensure_punkt

__all__ = ["IFEVAL_INSTRUCTIONS", "LANGUAGE_NAMES", "RELATIONS"]

_IFEVAL: Family = "ifeval"

#: The two comparisons IFEval's counting instructions accept.
RELATIONS = ("less than", "at least")

#: ISO 639-1 codes IFEval's language instruction accepts, with the names its prompt shows.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Spanish",
    "pt": "Portuguese",
    "ar": "Arabic",
    "hi": "Hindi",
    "fr": "French",
    "ru": "Russian",
    "de": "German",
    "ja": "Japanese",
    "it": "Italian",
    "bn": "Bengali",
    "uk": "Ukrainian",
    "th": "Thai",
    "ur": "Urdu",
    "ta": "Tamil",
    "te": "Telugu",
    "bg": "Bulgarian",
    "ko": "Korean",
    "pl": "Polish",
    "he": "Hebrew",
    "fa": "Persian",
    "vi": "Vietnamese",
    "ne": "Nepali",
    "sw": "Swahili",
    "kn": "Kannada",
    "mr": "Marathi",
    "gu": "Gujarati",
    "pa": "Punjabi",
    "ml": "Malayalam",
    "fi": "Finnish",
}

_CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")
_PARAGRAPH_DIVIDER = re.compile(r"\s?\*\*\*\s?")
_SINGLE_HIGHLIGHT = re.compile(r"\*[^\n\*]*\*")
_DOUBLE_HIGHLIGHT = re.compile(r"\*\*[^\n\*]*\*\*")
_FIRST_WORD_STOPS = frozenset(".,?!'\"")
# For existence, "\s*X.*$" matches somewhere exactly when X does; dropping the
# ends avoids quadratic backtracking over long runs of whitespace.
_PS_PATTERN = re.compile(r"p\.\s?s\.")
_PPS_PATTERN = re.compile(r"p\.\s?p\.\s?s")


def _compile(args: KwargsReader, name: str, pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile a regular expression built from an argument, or blame the argument."""
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise args.invalid(name, f"text usable in a regular expression ({exc})") from exc


def _compare(count: int, relation: str, threshold: int) -> bool:
    """Apply IFEval's relation: 'less than' is ``<``, 'at least' is ``>=``."""
    return count < threshold if relation == "less than" else count >= threshold


@dataclass(frozen=True)
class KeywordExistence(Instruction):
    """Every keyword occurs (a case-insensitive regular-expression search)."""

    instruction_id: ClassVar[str] = "keywords:existence"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("keywords",)
    keywords: tuple[str, ...]

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        keywords = tuple(sorted(args.strings("keywords", nonempty=True)))
        for keyword in keywords:
            _compile(args, "keywords", keyword, re.IGNORECASE)
        return cls(keywords)

    def describe(self) -> str:
        return f"Include keywords {list(self.keywords)} in the response."

    def check(self, response: str) -> bool:
        return all(re.search(k, response, flags=re.IGNORECASE) for k in self.keywords)


@dataclass(frozen=True)
class KeywordFrequency(Instruction):
    """A keyword (a case-insensitive regular expression) occurs a number of times."""

    instruction_id: ClassVar[str] = "keywords:frequency"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("keyword", "frequency", "relation")
    keyword: str
    frequency: int
    relation: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        keyword = args.string("keyword", nonempty=True).strip()
        _compile(args, "keyword", keyword, re.IGNORECASE)
        return cls(
            keyword,
            args.integer("frequency", minimum=0),
            args.choice("relation", RELATIONS),
        )

    def describe(self) -> str:
        return (
            f"In your response, the word {self.keyword} should appear {self.relation} "
            f"{self.frequency} times."
        )

    def check(self, response: str) -> bool:
        found = len(re.findall(self.keyword, response, flags=re.IGNORECASE))
        return _compare(found, self.relation, self.frequency)


@dataclass(frozen=True)
class ForbiddenWords(Instruction):
    """None of the words occurs as a whole word (case-insensitive)."""

    instruction_id: ClassVar[str] = "keywords:forbidden_words"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("forbidden_words",)
    forbidden_words: tuple[str, ...]

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        words = tuple(sorted(set(args.strings("forbidden_words", nonempty=True))))
        for word in words:
            _compile(args, "forbidden_words", rf"\b{word}\b", re.IGNORECASE)
        return cls(words)

    def describe(self) -> str:
        return f"Do not include keywords {list(self.forbidden_words)} in the response."

    def check(self, response: str) -> bool:
        return not any(
            re.search(rf"\b{word}\b", response, flags=re.IGNORECASE)
            for word in self.forbidden_words
        )


@dataclass(frozen=True)
class LetterFrequency(Instruction):
    """A letter occurs a number of times (case-insensitive)."""

    instruction_id: ClassVar[str] = "keywords:letter_frequency"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("letter", "let_frequency", "let_relation")
    letter: str
    let_frequency: int
    let_relation: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        letter = args.string("letter", nonempty=True)
        if len(letter) > 1:
            raise args.invalid("letter", "a single character")
        return cls(
            letter.strip().lower(),
            args.integer("let_frequency", minimum=0),
            args.choice("let_relation", RELATIONS),
        )

    def describe(self) -> str:
        return (
            f"In your response, the letter {self.letter} should appear {self.let_relation} "
            f"{self.let_frequency} times."
        )

    def check(self, response: str) -> bool:
        found = collections.Counter(response.lower())[self.letter]
        return _compare(found, self.let_relation, self.let_frequency)


@dataclass(frozen=True)
class ResponseLanguage(Instruction):
    """The response is in a language given by its ISO 639-1 code.

    When langdetect cannot tell (an empty or digits-only response) the
    instruction counts as followed, as in the original.
    """

    instruction_id: ClassVar[str] = "language:response_language"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("language",)
    language: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.choice("language", tuple(LANGUAGE_NAMES)))

    def describe(self) -> str:
        return (
            f"Your ENTIRE response should be in {LANGUAGE_NAMES[self.language]} language, "
            "no other language is allowed."
        )

    def check(self, response: str) -> bool:
        detected = detect_language(response)
        return detected is None or detected == self.language


@dataclass(frozen=True)
class NumberSentences(Instruction):
    """The number of sentences is below, or at least, a threshold."""

    instruction_id: ClassVar[str] = "length_constraints:number_sentences"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("num_sentences", "relation")
    num_sentences: int
    relation: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(
            args.integer("num_sentences", minimum=0),
            args.choice("relation", RELATIONS),
        )

    def describe(self) -> str:
        return f"Your response should contain {self.relation} {self.num_sentences} sentences."

    def check(self, response: str) -> bool:
        return _compare(count_sentences(response), self.relation, self.num_sentences)


@dataclass(frozen=True)
class NumberParagraphs(Instruction):
    """Exactly ``num_paragraphs`` paragraphs separated by ``***`` dividers."""

    instruction_id: ClassVar[str] = "length_constraints:number_paragraphs"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("num_paragraphs",)
    num_paragraphs: int

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.integer("num_paragraphs", minimum=0))

    def describe(self) -> str:
        return (
            f"There should be {self.num_paragraphs} paragraphs. "
            "Paragraphs are separated with the markdown divider: ***"
        )

    def check(self, response: str) -> bool:
        paragraphs = _PARAGRAPH_DIVIDER.split(response)
        found = len(paragraphs)
        for index, paragraph in enumerate(paragraphs):
            if not paragraph.strip():
                if index in (0, len(paragraphs) - 1):
                    found -= 1  # a divider at the very start or end is allowed
                else:
                    return False
        return found == self.num_paragraphs


@dataclass(frozen=True)
class NumberWords(Instruction):
    r"""The number of ``\w+`` words is below, or at least, a threshold."""

    instruction_id: ClassVar[str] = "length_constraints:number_words"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("num_words", "relation")
    num_words: int
    relation: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.integer("num_words", minimum=0), args.choice("relation", RELATIONS))

    def describe(self) -> str:
        return f"Answer with {self.relation} {self.num_words} words."

    def check(self, response: str) -> bool:
        return _compare(count_regex_words(response), self.relation, self.num_words)


@dataclass(frozen=True)
class NthParagraphFirstWord(Instruction):
    """``num_paragraphs`` blank-line-separated paragraphs; paragraph n starts with a word."""

    instruction_id: ClassVar[str] = "length_constraints:nth_paragraph_first_word"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("num_paragraphs", "nth_paragraph", "first_word")
    num_paragraphs: int
    nth_paragraph: int
    first_word: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        num_paragraphs = args.integer("num_paragraphs", minimum=0)
        nth_paragraph = args.integer("nth_paragraph", minimum=1)
        if nth_paragraph > num_paragraphs:
            raise args.invalid("nth_paragraph", f"an integer from 1 to {num_paragraphs}")
        return cls(num_paragraphs, nth_paragraph, args.string("first_word").lower())

    def describe(self) -> str:
        return (
            f"There should be {self.num_paragraphs} paragraphs. Paragraphs and only "
            "paragraphs are separated with each other by two new lines as if it was "
            f"'\\n\\n' in python. Paragraph {self.nth_paragraph} must start with word "
            f"{self.first_word}."
        )

    def check(self, response: str) -> bool:
        paragraphs = response.split("\n\n")
        found = sum(1 for paragraph in paragraphs if paragraph.strip())
        # As in the original, blank paragraphs are not counted but the nth
        # paragraph is still picked from the list that includes them.
        if self.nth_paragraph > found:
            return False
        paragraph = paragraphs[self.nth_paragraph - 1].strip()
        if not paragraph:
            return False
        word = paragraph.split()[0].lstrip("'").lstrip('"')
        first_word = ""
        for char in word:
            if char in _FIRST_WORD_STOPS:
                break
            first_word += char.lower()
        return found == self.num_paragraphs and first_word == self.first_word


@dataclass(frozen=True)
class NumberPlaceholders(Instruction):
    """At least ``num_placeholders`` square-bracket placeholders such as ``[name]``."""

    instruction_id: ClassVar[str] = "detectable_content:number_placeholders"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("num_placeholders",)
    num_placeholders: int

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.integer("num_placeholders", minimum=0))

    def describe(self) -> str:
        return (
            f"The response must contain at least {self.num_placeholders} placeholders "
            "represented by square brackets, such as [address]."
        )

    def check(self, response: str) -> bool:
        return count_placeholders(response) >= self.num_placeholders


@dataclass(frozen=True)
class Postscript(Instruction):
    """A line (case-insensitively) holding the postscript marker, e.g. ``P.S.``."""

    instruction_id: ClassVar[str] = "detectable_content:postscript"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("postscript_marker",)
    postscript_marker: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        marker = args.string("postscript_marker").strip()
        _compile(args, "postscript_marker", r"\s*" + marker.lower() + r".*$", re.MULTILINE)
        return cls(marker)

    def describe(self) -> str:
        return (
            "At the end of your response, please explicitly add a postscript "
            f"starting with {self.postscript_marker}"
        )

    def check(self, response: str) -> bool:
        text = response.lower()
        if self.postscript_marker == "P.P.S":
            return _PPS_PATTERN.search(text) is not None
        if self.postscript_marker == "P.S.":
            return _PS_PATTERN.search(text) is not None
        # A custom marker is regex text that could interact with the pattern's
        # ends, so it keeps the original pattern.
        pattern = r"\s*" + self.postscript_marker.lower() + r".*$"
        return re.search(pattern, text, flags=re.MULTILINE) is not None


@dataclass(frozen=True)
class NumberBulletLists(Instruction):
    """Exactly ``num_bullets`` Markdown bullet lines (``*`` or ``-``)."""

    instruction_id: ClassVar[str] = "detectable_format:number_bullet_lists"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("num_bullets",)
    num_bullets: int

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.integer("num_bullets", minimum=0))

    def describe(self) -> str:
        return (
            f"Your answer must contain exactly {self.num_bullets} bullet points. "
            "Use the markdown bullet points such as:\n"
            "* This is point 1. \n"
            "* This is point 2"
        )

    def check(self, response: str) -> bool:
        return count_bullet_lines(response) == self.num_bullets


@dataclass(frozen=True)
class ConstrainedResponse(Instruction):
    """The response contains one of three fixed answers ("My answer is yes." ...)."""

    instruction_id: ClassVar[str] = "detectable_format:constrained_response"
    family: ClassVar[Family] = _IFEVAL

    def describe(self) -> str:
        return f"Answer with one of the following options: {_CONSTRAINED_OPTIONS}"

    def check(self, response: str) -> bool:
        text = response.strip()
        return any(option in text for option in _CONSTRAINED_OPTIONS)


@dataclass(frozen=True)
class NumberHighlightedSections(Instruction):
    """At least ``num_highlights`` non-blank ``*highlighted*`` (or ``**bold**``) spans."""

    instruction_id: ClassVar[str] = "detectable_format:number_highlighted_sections"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("num_highlights",)
    num_highlights: int

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.integer("num_highlights", minimum=0))

    def describe(self) -> str:
        return (
            f"Highlight at least {self.num_highlights} sections in your answer with "
            "markdown, i.e. *highlighted section*."
        )

    def check(self, response: str) -> bool:
        found = sum(1 for span in _SINGLE_HIGHLIGHT.findall(response) if span.strip("*").strip())
        found += sum(
            1
            for span in _DOUBLE_HIGHLIGHT.findall(response)
            if span.removeprefix("**").removesuffix("**").strip()
        )
        return found >= self.num_highlights


@dataclass(frozen=True)
class MultipleSections(Instruction):
    """At least ``num_sections`` sections, each opened by ``<spliter> <number>``."""

    instruction_id: ClassVar[str] = "detectable_format:multiple_sections"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("section_spliter", "num_sections")
    section_spliter: str
    num_sections: int

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        spliter = args.string("section_spliter").strip()
        _compile(args, "section_spliter", cls._pattern(spliter))
        return cls(spliter, args.integer("num_sections", minimum=0))

    @staticmethod
    def _pattern(spliter: str) -> str:
        return r"\s?" + spliter + r"\s?\d+\s?"

    def describe(self) -> str:
        s = self.section_spliter
        return (
            f"Your response must have {self.num_sections} sections. Mark the beginning "
            f"of each section with {s} X, such as:\n{s} 1\n[content of section 1]\n"
            f"{s} 2\n[content of section 2]"
        )

    def check(self, response: str) -> bool:
        sections = re.split(self._pattern(self.section_spliter), response)
        return len(sections) - 1 >= self.num_sections


@dataclass(frozen=True)
class JsonFormat(Instruction):
    """The whole response, without a Markdown code fence, parses as JSON."""

    instruction_id: ClassVar[str] = "detectable_format:json_format"
    family: ClassVar[Family] = _IFEVAL

    def describe(self) -> str:
        return (
            "Entire output should be wrapped in JSON format. You can use markdown"
            " ticks such as ```."
        )

    def check(self, response: str) -> bool:
        return is_json_response(response)


@dataclass(frozen=True)
class Title(Instruction):
    """A non-blank title in double angular brackets, such as ``<<poem of joy>>``."""

    instruction_id: ClassVar[str] = "detectable_format:title"
    family: ClassVar[Family] = _IFEVAL

    def describe(self) -> str:
        return (
            "Your answer must contain a title, wrapped in double angular brackets,"
            " such as <<poem of joy>>."
        )

    def check(self, response: str) -> bool:
        # The original runs findall(r"<<[^\n]+>>"). On each line that finds at
        # most one title, from the line's first "<<" to its last ">>" at least
        # one character later; computed here per line, in linear time.
        for line in response.split("\n"):
            start = line.find("<<")
            if start < 0:
                continue
            end = line.rfind(">>", start + 3)
            if end >= 0 and line[start : end + 2].lstrip("<").rstrip(">").strip():
                return True
        return False


@dataclass(frozen=True)
class TwoResponses(Instruction):
    """Two different answers separated by ``******``."""

    instruction_id: ClassVar[str] = "combination:two_responses"
    family: ClassVar[Family] = _IFEVAL

    def describe(self) -> str:
        return (
            "Give two different responses. Responses and only responses should"
            " be separated by 6 asterisk symbols: ******."
        )

    def check(self, response: str) -> bool:
        return has_two_different_responses(response)


@dataclass(frozen=True)
class RepeatPrompt(Instruction):
    """The response starts by repeating the request (case-insensitive)."""

    instruction_id: ClassVar[str] = "combination:repeat_prompt"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("prompt_to_repeat",)
    prompt_to_repeat: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.string("prompt_to_repeat", nonempty=True))

    def describe(self) -> str:
        return (
            "First repeat the request word for word without change,"
            " then give your answer (1. do not say any words or characters"
            " before repeating the request; 2. the request you need to repeat"
            " does not include this sentence)"
        )

    def check(self, response: str) -> bool:
        return response.strip().lower().startswith(self.prompt_to_repeat.strip().lower())


@dataclass(frozen=True)
class EndChecker(Instruction):
    """The response ends with a phrase (case-insensitive, ignoring outer double quotes)."""

    instruction_id: ClassVar[str] = "startend:end_checker"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("end_phrase",)
    end_phrase: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.string("end_phrase").strip())

    def describe(self) -> str:
        return (
            f"Finish your response with this exact phrase {self.end_phrase}. "
            "No other words should follow this phrase."
        )

    def check(self, response: str) -> bool:
        text = response.strip().strip('"').lower()
        return text.endswith(self.end_phrase.strip().lower())


@dataclass(frozen=True)
class CapitalWordFrequency(Instruction):
    """The number of all-capital words (NLTK word tokens) is below, or at least, a count."""

    instruction_id: ClassVar[str] = "change_case:capital_word_frequency"
    family: ClassVar[Family] = _IFEVAL
    arg_names: ClassVar[tuple[str, ...]] = ("capital_frequency", "capital_relation")
    capital_frequency: int
    capital_relation: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        # The original keeps a negative frequency (only None is re-drawn).
        return cls(
            args.integer("capital_frequency"),
            args.choice("capital_relation", RELATIONS),
        )

    def describe(self) -> str:
        return (
            "In your response, words with all capital letters should appear"
            f" {self.capital_relation} {self.capital_frequency} times."
        )

    def check(self, response: str) -> bool:
        ensure_punkt()
        import nltk

        words = nltk.word_tokenize(response)
        capitals = sum(1 for word in words if word.isupper())
        return _compare(capitals, self.capital_relation, self.capital_frequency)


@dataclass(frozen=True)
class EnglishCapital(Instruction):
    """All capital letters, and in English (undetectable language counts as followed)."""

    instruction_id: ClassVar[str] = "change_case:english_capital"
    family: ClassVar[Family] = _IFEVAL

    def describe(self) -> str:
        return "Your entire response should be in English, and in all capital letters."

    def check(self, response: str) -> bool:
        if not response.isupper():
            return False
        detected = detect_language(response)
        return detected is None or detected == "en"


@dataclass(frozen=True)
class EnglishLowercase(Instruction):
    """All lowercase letters, and in English (undetectable language counts as followed)."""

    instruction_id: ClassVar[str] = "change_case:english_lowercase"
    family: ClassVar[Family] = _IFEVAL

    def describe(self) -> str:
        return (
            "Your entire response should be in English, and in all lowercase"
            " letters. No capital letters are allowed."
        )

    def check(self, response: str) -> bool:
        if not response.islower():
            return False
        detected = detect_language(response)
        return detected is None or detected == "en"


@dataclass(frozen=True)
class NoComma(Instruction):
    """No comma anywhere."""

    instruction_id: ClassVar[str] = "punctuation:no_comma"
    family: ClassVar[Family] = _IFEVAL

    def describe(self) -> str:
        return "In your entire response, refrain from the use of any commas."

    def check(self, response: str) -> bool:
        return "," not in response


@dataclass(frozen=True)
class Quotation(Instruction):
    """The whole response is wrapped in double quotation marks."""

    instruction_id: ClassVar[str] = "startend:quotation"
    family: ClassVar[Family] = _IFEVAL

    def describe(self) -> str:
        return "Wrap your entire response with double quotation marks."

    def check(self, response: str) -> bool:
        text = response.strip()
        return len(text) > 1 and text[0] == '"' and text[-1] == '"'


_CLASSES: tuple[type[Instruction], ...] = (
    KeywordExistence,
    KeywordFrequency,
    ForbiddenWords,
    LetterFrequency,
    ResponseLanguage,
    NumberSentences,
    NumberParagraphs,
    NumberWords,
    NthParagraphFirstWord,
    NumberPlaceholders,
    Postscript,
    NumberBulletLists,
    ConstrainedResponse,
    NumberHighlightedSections,
    MultipleSections,
    JsonFormat,
    Title,
    TwoResponses,
    RepeatPrompt,
    EndChecker,
    CapitalWordFrequency,
    EnglishCapital,
    EnglishLowercase,
    NoComma,
    Quotation,
)

#: IFEval's instructions by id, in the order of its registry.
IFEVAL_INSTRUCTIONS: dict[str, type[Instruction]] = {c.instruction_id: c for c in _CLASSES}
