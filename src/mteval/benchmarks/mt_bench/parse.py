"""Read a judge's verdict out of its reply, as FastChat's ``common.py`` does.

Single grading (``output_format`` ``[[rating]]``): the first ``[[number]]``
in the reply, else the first ``[number]`` (the backup pattern); a number is
digits with an optional decimal part. No match is FastChat's rating -1: an
error, counted and never scored. The rating is not clamped to 1-10, because
FastChat does not clamp it.

Pairwise (``output_format`` ``[[A]]``): ``[[A]]`` anywhere wins over
``[[B]]``, which wins over ``[[C]]`` (a tie); none of them is an error.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from mteval.errors import JudgeReplyError

__all__ = [
    "ONE_SCORE_PATTERN",
    "ONE_SCORE_PATTERN_BACKUP",
    "PairVerdict",
    "parse_pair_verdict",
    "parse_rating",
    "read_pair_verdict",
    "read_rating",
]

ONE_SCORE_PATTERN = re.compile(r"\[\[(\d+\.?\d*)\]\]")
"""FastChat's ``one_score_pattern``."""

ONE_SCORE_PATTERN_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")
"""FastChat's ``one_score_pattern_backup``."""

PairVerdict = Literal["A", "B", "tie", "error"]
"""``run_judge_pair``'s winner: the assistant shown first (A), second (B), a tie, or none."""

_ASCII_NUMBER = re.compile(r"[0-9]+\.?[0-9]*", re.ASCII)


def parse_rating(judgment: str) -> float | None:
    r"""Return the rating in a single-grading reply, or None where FastChat records -1.

    FastChat takes the first match of its pattern, else of its backup pattern,
    and evaluates it with ``ast.literal_eval``. Python's ``\d`` also matches
    non-ASCII digits and ``literal_eval`` rejects integers with leading zeros;
    FastChat's judging thread crashes on both. mteval reads ASCII numbers with
    ``float`` (``07`` is 7) and treats a first match in other digits as an
    error, never looking further, so it never scores a reply FastChat would
    have scored differently.

    Args:
        judgment: The judge's reply, as received.
    """
    match = ONE_SCORE_PATTERN.search(judgment) or ONE_SCORE_PATTERN_BACKUP.search(judgment)
    if match is None:
        return None
    text = match.group(1)
    if not _ASCII_NUMBER.fullmatch(text):
        return None
    value = float(text)
    # A number too long for a float (hundreds of digits) is no usable rating.
    return value if math.isfinite(value) else None


def parse_pair_verdict(judgment: str) -> PairVerdict:
    """Return the winner of a pairwise reply as ``run_judge_pair`` reads it.

    Args:
        judgment: The judge's reply, as received.
    """
    if "[[A]]" in judgment:
        return "A"
    if "[[B]]" in judgment:
        return "B"
    if "[[C]]" in judgment:
        return "tie"
    return "error"


def read_rating(judgment: str) -> float:
    """:func:`parse_rating` for judge plumbing that expects an exception when there is none.

    Raises:
        JudgeReplyError: The reply holds no rating (FastChat's -1).
    """
    rating = parse_rating(judgment)
    if rating is None:
        raise JudgeReplyError("the judge's reply holds no [[rating]]")
    return rating


def read_pair_verdict(judgment: str) -> Literal["A", "B", "tie"]:
    """:func:`parse_pair_verdict` for judge plumbing that expects an exception on an error.

    Raises:
        JudgeReplyError: The reply names no winner (FastChat's ``error``).
    """
    verdict = parse_pair_verdict(judgment)
    if verdict == "error":
        raise JudgeReplyError("the judge's reply holds none of [[A]], [[B]], [[C]]")
    return verdict
