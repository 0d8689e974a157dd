r"""Measurements that IFEval and MT-Eval's variants share.

Several originals match with regular expressions that backtrack quadratically
on long runs of whitespace or brackets (``^\s*-.*$`` over a string of
newlines, ``\[.*?\]`` over a string of ``[``): a response of a few hundred
kilobytes could take minutes. The counts here give the same answers as those
expressions (the tests compare them on random text) in linear time.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

__all__ = [
    "count_bullet_lines",
    "count_placeholders",
    "detect_language",
    "has_two_different_responses",
    "is_json_response",
    "word_list",
]

_WORD_LIST_RESOURCE = "ifeval_words.txt"
_JSON_FENCE_OPENINGS = ("```json", "```Json", "```JSON", "```")
_LEADING_SPACE = re.compile(r"\s*")
_BRACKET_OR_NEWLINE = re.compile(r"[\]\n]")


@functools.lru_cache(maxsize=1)
def word_list() -> tuple[str, ...]:
    """Return IFEval's 1525-word list, in its original order.

    MT-Eval's keyword instruction draws from the same list. It is read from the
    package resource on first use; the resource's ``#`` comment lines are skipped.
    """
    text = resources.files(__package__).joinpath(_WORD_LIST_RESOURCE).read_text("utf-8")
    return tuple(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def detect_language(text: str) -> str | None:
    """Return langdetect's language code for ``text``, or None when it cannot tell.

    The detector's seed is fixed at 0 first, so that a given text always gets
    the same answer (langdetect samples at random otherwise). None stands for
    langdetect's ``LangDetectException`` (no usable features, e.g. only digits).
    """
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        return str(detect(text))
    except LangDetectException:
        return None


def is_json_response(response: str) -> bool:
    """Return whether ``response``, without a Markdown code fence, parses as JSON.

    As both originals do: strip, drop the openings ```` ```json ````, ```` ```Json ````,
    ```` ```JSON ```` and ```` ``` ```` in that order (each at most once), drop a
    closing ```` ``` ````, strip again, then ``json.loads``.
    """
    text = response.strip()
    for opening in _JSON_FENCE_OPENINGS:
        text = text.removeprefix(opening)
    text = text.removesuffix("```").strip()
    try:
        json.loads(text)
    except ValueError:
        return False
    except RecursionError:
        # Deeply nested arrays exhaust json's recursion limit; the originals
        # crash there. Such a response is not usable JSON.
        return False
    return True


def _count_line_matches(text: str, marker: str, *, marker_must_be_single: bool) -> int:
    r"""Count what ``re.findall(r"^\s*<marker>...", text, re.MULTILINE)`` would find.

    A match starts at a line start whose first non-whitespace character (the
    whitespace may span lines) is ``marker`` and runs to the end of that line.
    With ``marker_must_be_single`` the character after the marker must exist
    and not be another ``*`` (it may be a newline, in which case the match runs
    to the end of the following line), as in ``^\s*\*[^\*].*$``.
    """
    n = len(text)
    count = 0
    pos = 0
    while pos < n:
        if pos > 0 and text[pos - 1] != "\n":  # ^ matches only after a newline
            newline = text.find("\n", pos)
            if newline < 0:
                break
            pos = newline + 1
            continue
        first = _LEADING_SPACE.match(text, pos)
        assert first is not None  # \s* always matches
        q = first.end()
        if q >= n:
            break
        if text[q] == marker and (
            not marker_must_be_single or (q + 1 < n and text[q + 1] != marker)
        ):
            count += 1
            rest = q + 2 if marker_must_be_single else q + 1
            end = text.find("\n", rest)
            pos = n if end < 0 else end
        else:
            # Every line start between pos and q sees the same first character.
            newline = text.find("\n", q)
            if newline < 0:
                break
            pos = newline + 1
    return count


def count_bullet_lines(text: str) -> int:
    r"""Return the originals' bullet count.

    That is the number of matches of ``^\s*\*[^\*].*$`` plus those of
    ``^\s*-.*$`` (both multiline), computed in linear time.
    """
    stars = _count_line_matches(text, "*", marker_must_be_single=True)
    dashes = _count_line_matches(text, "-", marker_must_be_single=False)
    return stars + dashes


def count_placeholders(text: str) -> int:
    r"""Return ``len(re.findall(r"\[.*?\]", text))``, computed in linear time."""
    count = 0
    pos = 0
    while True:
        start = text.find("[", pos)
        if start < 0:
            return count
        stop = _BRACKET_OR_NEWLINE.search(text, start + 1)
        if stop is None:
            return count
        if stop.group() == "]":
            count += 1
        # After a newline, no "[" earlier on that line can close either.
        pos = stop.end()


def has_two_different_responses(response: str) -> bool:
    """Return whether ``response`` holds exactly two different answers split by ``******``.

    Blank pieces are allowed only before the first or after the last separator.
    """
    pieces = response.split("******")
    answers: list[str] = []
    for index, piece in enumerate(pieces):
        if piece.strip():
            answers.append(piece)
        elif 0 < index < len(pieces) - 1:
            return False
    return len(answers) == 2 and answers[0].strip() != answers[1].strip()
