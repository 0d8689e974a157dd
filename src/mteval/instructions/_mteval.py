"""MT-Eval's variants of the verifiable instructions (its global-instruction task).

Kwan et al., "MT-Eval: A Multi-Turn Capabilities Evaluation Benchmark for Large
Language Models", arXiv 2401.16745, ``utils/global_inst.py``. The benchmark's
published scores were produced by that code, so each class reproduces its
argument names, the exact text of ``get_prompt()`` and the verdict of
``check_following``, quirks included. Where the original crashes on a response
(an empty response for the emoji instruction) the verdict here is False.

Each class's :meth:`sample` makes exactly the random calls that the original
constructor made on its module-level seeder, in the same order, so replaying a
``random.Random(11)`` over the benchmark's construction order gives back its
arguments.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from typing import ClassVar

import emoji

from mteval.instructions._base import Family, Instruction, KwargsReader
from mteval.instructions._shared import (
    count_bullet_lines,
    count_placeholders,
    detect_language,
    has_two_different_responses,
    is_json_response,
    word_list,
)
from mteval.text import count_regex_words, count_sentences

__all__ = ["LANGUAGE_CODES", "MTEVAL_INSTRUCTIONS", "MtevalInstruction"]

_MTEVAL: Family = "mt-eval"
_PREFIX = "All your responses in the upcoming conversation must"

#: Language names MT-Eval's language instruction accepts, with langdetect's codes,
#: in the original's order (sampling depends on it).
LANGUAGE_CODES: dict[str, str] = {
    "English": "en",
    "Spanish": "es",
    "Portuguese": "pt",
    "Arabic": "ar",
    "Hindi": "hi",
    "French": "fr",
    "Russian": "ru",
    "German": "de",
    "Japanese": "ja",
    "Italian": "it",
    "Bengali": "bn",
    "Ukrainian": "uk",
    "Thai": "th",
    "Urdu": "ur",
    "Tamil": "ta",
    "Telugu": "te",
    "Bulgarian": "bg",
    "Korean": "ko",
    "Polish": "pl",
    "Hebrew": "he",
    "Persian": "fa",
    "Vietnamese": "vi",
    "Nepali": "ne",
    "Swahili": "sw",
    "Kannada": "kn",
    "Marathi": "mr",
    "Gujarati": "gu",
    "Punjabi": "pa",
    "Malayalam": "ml",
    "Finnish": "fi",
}

_ENDING_OPTIONS = ("Any other questions?", "Is there anything else I can help with?")
_RESPONSE_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")
# The original samples the relation from this one-element list (its two-element
# version is commented out) but its checks also handle "more than".
_SAMPLED_RELATIONS = ["less than"]
_RELATIONS = ("less than", "more than")
_NUM_KEYWORDS = 2
_MAX_BULLETS = 4
_MAX_PLACEHOLDERS = 2
_MAX_SENTENCES = 6
_WORD_LIMITS = list(range(100, 201, 10))
_BULLET_EXAMPLE = (
    "Use the markdown bullet points such as:\n* This is point 1.\n* This is point 2.\n"
)


def _compare(count: int, relation: str, threshold: int) -> bool:
    """Apply MT-Eval's relation: 'less than' is ``<``, 'more than' is ``>``."""
    return count < threshold if relation == "less than" else count > threshold


def _nonzero(args: KwargsReader, name: str) -> int:
    """Read a count that the original re-draws when falsy ("if not num_words")."""
    value = args.integer(name)
    if value == 0:
        raise args.invalid(name, "a non-zero integer")
    return value


class MtevalInstruction(Instruction):
    """An MT-Eval instruction, which can also draw its arguments at random."""

    family: ClassVar[Family] = _MTEVAL

    @classmethod
    def sample(cls, rng: random.Random) -> dict[str, object]:
        """Draw arguments as the original constructor did, as ``get_args()`` returns them.

        Args:
            rng: The random generator standing in for the original's ``_SEEDER``.

        Returns:
            The arguments, by name (none by default: no random call is made).
        """
        return {}


@dataclass(frozen=True)
class StartChar(MtevalInstruction):
    """The stripped response starts with a letter (case-insensitive)."""

    instruction_id: ClassVar[str] = "startend:start_char"
    arg_names: ClassVar[tuple[str, ...]] = ("letter",)
    letter: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.string("letter", nonempty=True))

    @classmethod
    def sample(cls, rng: random.Random) -> dict[str, object]:
        return {"letter": rng.choice(string.ascii_lowercase)}

    def describe(self) -> str:
        return (
            f"Begin all your responses in the upcoming conversation with the letter {self.letter}."
        )

    def check(self, response: str) -> bool:
        return response.strip().lower().startswith(self.letter.lower())


@dataclass(frozen=True)
class StartEmoji(MtevalInstruction):
    """The first character of the stripped response is an emoji."""

    instruction_id: ClassVar[str] = "startend:start_emoji"

    def describe(self) -> str:
        return "Begin all your responses in the upcoming conversation with emoji."

    def check(self, response: str) -> bool:
        text = response.strip()
        # The original indexes text[0] unguarded and raises IndexError on an
        # empty (or all-whitespace) response; such a response has no emoji.
        return bool(text) and bool(emoji.is_emoji(text[0]))


@dataclass(frozen=True)
class EndPhrase(MtevalInstruction):
    """The response ends with a phrase (case-insensitive, ignoring outer single quotes)."""

    instruction_id: ClassVar[str] = "startend:end_phrase"
    arg_names: ClassVar[tuple[str, ...]] = ("end_phrase",)
    end_phrase: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.string("end_phrase"))

    @classmethod
    def sample(cls, rng: random.Random) -> dict[str, object]:
        return {"end_phrase": rng.choice(_ENDING_OPTIONS)}

    def describe(self) -> str:
        return (
            f"{_PREFIX} end with this exact phrase '{self.end_phrase}'. No other words"
            " should follow this phrase."
        )

    def check(self, response: str) -> bool:
        # Whitespace first, then single quotes, as in the original (not the
        # double quotes IFEval strips).
        text = response.strip().strip("'").lower()
        return text.endswith(self.end_phrase.lower())


@dataclass(frozen=True)
class ResponseLanguage(MtevalInstruction):
    """The response is in a language given by its English name (e.g. "Bulgarian").

    An empty response fails; a response whose language langdetect cannot tell
    (e.g. only digits) counts as followed, as in the original.
    """

    instruction_id: ClassVar[str] = "language:response_language"
    arg_names: ClassVar[tuple[str, ...]] = ("lang",)
    lang: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(args.choice("lang", tuple(LANGUAGE_CODES)))

    @classmethod
    def sample(cls, rng: random.Random) -> dict[str, object]:
        return {"lang": rng.choice(list(LANGUAGE_CODES))}

    def describe(self) -> str:
        return f"{_PREFIX} be written in {self.lang} language, no other language is allowed."

    def check(self, response: str) -> bool:
        text = response.strip()
        if not text:
            return False
        detected = detect_language(text)
        return detected is None or detected == LANGUAGE_CODES[self.lang]


@dataclass(frozen=True)
class JsonFormat(MtevalInstruction):
    """The whole response, without a Markdown code fence, parses as JSON."""

    instruction_id: ClassVar[str] = "format:json_format"

    def describe(self) -> str:
        return f"{_PREFIX} be wrapped in JSON format. You can use markdown ticks such as ```."

    def check(self, response: str) -> bool:
        return is_json_response(response)


@dataclass(frozen=True)
class BulletList(MtevalInstruction):
    """Exactly ``num_bullets`` Markdown bullet lines; 0 means "at least one"."""

    instruction_id: ClassVar[str] = "format:bullet_list"
    arg_names: ClassVar[tuple[str, ...]] = ("num_bullets",)
    num_bullets: int

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        # The original keeps any integer, negative ones included (never met).
        return cls(args.integer("num_bullets"))

    @classmethod
    def sample(cls, rng: random.Random) -> dict[str, object]:
        return {"num_bullets": rng.randint(0, _MAX_BULLETS)}

    def describe(self) -> str:
        if self.num_bullets == 0:
            return f"{_PREFIX} only use bullet points. {_BULLET_EXAMPLE}"
        return f"{_PREFIX} contain exactly {self.num_bullets} bullet points. {_BULLET_EXAMPLE}"

    def check(self, response: str) -> bool:
        found = count_bullet_lines(response)
        if self.num_bullets == 0:
            return found > 0
        return found == self.num_bullets


@dataclass(frozen=True)
class NumberWords(MtevalInstruction):
    r"""The number of ``\w+`` words is below (or above) a limit."""

    instruction_id: ClassVar[str] = "length_constraints:number_words"
    arg_names: ClassVar[tuple[str, ...]] = ("num_words", "relation")
    num_words: int
    relation: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(_nonzero(args, "num_words"), args.choice("relation", _RELATIONS))

    @classmethod
    def sample(cls, rng: random.Random) -> dict[str, object]:
        num_words = rng.choice(_WORD_LIMITS)
        # One option only, but the draw still advances the generator.
        relation = rng.choice(_SAMPLED_RELATIONS)
        return {"num_words": num_words, "relation": relation}

    def describe(self) -> str:
        return f"{_PREFIX} be {self.relation} {self.num_words} words."

    def check(self, response: str) -> bool:
        return _compare(count_regex_words(response), self.relation, self.num_words)


@dataclass(frozen=True)
class NumberSentences(MtevalInstruction):
    """The number of NLTK (Punkt) sentences is below (or above) a limit."""

    instruction_id: ClassVar[str] = "length_constraints:number_sentences"
    arg_names: ClassVar[tuple[str, ...]] = ("num_sentences", "relation")
    num_sentences: int
    relation: str

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(_nonzero(args, "num_sentences"), args.choice("relation", _RELATIONS))

    @classmethod
    def sample(cls, rng: random.Random) -> dict[str, object]:
        num_sentences = rng.randint(3, _MAX_SENTENCES)
        # One option only, but the draw still advances the generator.
        relation = rng.choice(_SAMPLED_RELATIONS)
        return {"num_sentences": num_sentences, "relation": relation}

    def describe(self) -> str:
        return f"{_PREFIX} be {self.relation} {self.num_sentences} sentences."

    def check(self, response: str) -> bool:
        return _compare(count_sentences(response), self.relation, self.num_sentences)


@dataclass(frozen=True)
class KeywordExistence(MtevalInstruction):
    """Every keyword occurs as a case-insensitive substring."""

    instruction_id: ClassVar[str] = "keywords:existence"
    arg_names: ClassVar[tuple[str, ...]] = ("keywords",)
    keywords: tuple[str, ...]

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        return cls(tuple(sorted(args.strings("keywords", nonempty=True))))

    @classmethod
    def sample(cls, rng: random.Random) -> dict[str, object]:
        return {"keywords": sorted(rng.choices(word_list(), k=_NUM_KEYWORDS))}

    def describe(self) -> str:
        return (
            f"Include keywords {list(self.keywords)} in all your responses in the"
            " upcoming conversation."
        )

    def check(self, response: str) -> bool:
        text = response.lower()
        return all(keyword.lower() in text for keyword in self.keywords)


@dataclass(frozen=True)
class CapitalLetter(MtevalInstruction):
    """``str.isupper()``: some cased character and no lowercase one."""

    instruction_id: ClassVar[str] = "change_case:capital_letter"

    def describe(self) -> str:
        return f"{_PREFIX} be in all capital letters."

    def check(self, response: str) -> bool:
        return response.isupper()


@dataclass(frozen=True)
class LowerCase(MtevalInstruction):
    """``str.islower()``: some cased character and no uppercase one."""

    instruction_id: ClassVar[str] = "change_case:lowercase"

    def describe(self) -> str:
        return f"{_PREFIX} be in all lower letters."

    def check(self, response: str) -> bool:
        return response.islower()


@dataclass(frozen=True)
class NoComma(MtevalInstruction):
    """No comma anywhere."""

    instruction_id: ClassVar[str] = "punctuation:no_comma"

    def describe(self) -> str:
        return f"{_PREFIX} refrain from the use of any commas."

    def check(self, response: str) -> bool:
        return "," not in response


@dataclass(frozen=True)
class TwoResponses(MtevalInstruction):
    """Two different answers separated by ``******``."""

    instruction_id: ClassVar[str] = "combination:two_responses"

    def describe(self) -> str:
        return (
            f"{_PREFIX} have two different responses. Your two different responses"
            " should be separated by 6 asterisk symbols: ******."
        )

    def check(self, response: str) -> bool:
        return has_two_different_responses(response)


@dataclass(frozen=True)
class ConstrainedResponse(MtevalInstruction):
    """The response contains one of the options (a plain substring test)."""

    instruction_id: ClassVar[str] = "format:constrained_response"
    arg_names: ClassVar[tuple[str, ...]] = ("response_options",)
    response_options: tuple[str, ...] = _RESPONSE_OPTIONS
    #: Render the options as a list (how the original shows options given as one).
    options_as_list: bool = False

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        if not args.has("response_options"):
            return cls()
        options = tuple(args.strings("response_options"))
        # The benchmark's prompts were built from the default options, a tuple;
        # stored as JSON they come back as a list but still read as a tuple.
        as_list = isinstance(args.values["response_options"], list)
        return cls(options, as_list and options != _RESPONSE_OPTIONS)

    @classmethod
    def sample(cls, rng: random.Random) -> dict[str, object]:
        return {"response_options": list(_RESPONSE_OPTIONS)}

    def describe(self) -> str:
        shown = list(self.response_options) if self.options_as_list else self.response_options
        return f"{_PREFIX} be one of the following options: {shown}."

    def check(self, response: str) -> bool:
        return any(option in response for option in self.response_options)


@dataclass(frozen=True)
class PlaceHolder(MtevalInstruction):
    """At least ``num_placeholder`` square-bracket placeholders such as ``[name]``."""

    instruction_id: ClassVar[str] = "content:placeholder"
    arg_names: ClassVar[tuple[str, ...]] = ("num_placeholder",)
    num_placeholder: int

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        # The original re-draws a negative count, and keeps 0.
        return cls(args.integer("num_placeholder", minimum=0))

    @classmethod
    def sample(cls, rng: random.Random) -> dict[str, object]:
        return {"num_placeholder": rng.randint(1, _MAX_PLACEHOLDERS)}

    def describe(self) -> str:
        return (
            f"{_PREFIX} contain at least {self.num_placeholder} placeholders represented"
            " by square brackets, such as [address]."
        )

    def check(self, response: str) -> bool:
        return count_placeholders(response) >= self.num_placeholder


_CLASSES: tuple[type[MtevalInstruction], ...] = (
    StartChar,
    StartEmoji,
    EndPhrase,
    ResponseLanguage,
    JsonFormat,
    BulletList,
    NumberWords,
    NumberSentences,
    KeywordExistence,
    CapitalLetter,
    LowerCase,
    NoComma,
    TwoResponses,
    ConstrainedResponse,
    PlaceHolder,
)

#: MT-Eval's instructions by id, in the order of the ids in ``global_inst.jsonl``.
MTEVAL_INSTRUCTIONS: dict[str, type[MtevalInstruction]] = {c.instruction_id: c for c in _CLASSES}
