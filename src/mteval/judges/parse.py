"""Parse a judge's reply: the JSON object ``{"Rationale": ..., "Score": ...}``.

The benchmark's templates ask for that object in a ```json fence. The reply
is accepted fenced or not, with prose around it; anything else is a
:class:`~mteval.errors.JudgeReplyError` and never a score.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mteval.errors import JudgeReplyError

__all__ = ["JudgeVerdict", "parse_judge_reply"]

_FENCE = re.compile(r"```[A-Za-z]*\s*(.*?)```", re.DOTALL)
_MIN_SCORE, _MAX_SCORE = 1, 10


@dataclass(frozen=True)
class JudgeVerdict:
    """A usable judge reply."""

    score: int
    rationale: str


def _candidates(text: str) -> list[str]:
    stripped = text.strip()
    found = [stripped]
    # The benchmark's own parse: drop a leading ```json and a trailing ```.
    found.append(stripped.removeprefix("```json").removesuffix("```").strip())
    found.extend(match.strip() for match in _FENCE.findall(stripped))
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        found.append(stripped[start : end + 1])
    unique: list[str] = []
    for item in found:
        if item and item not in unique:
            unique.append(item)
    return unique


def _field(obj: dict[str, Any], name: str) -> tuple[bool, Any]:
    if name in obj:
        return True, obj[name]
    for key, value in obj.items():
        if isinstance(key, str) and key.strip().lower() == name.lower():
            return True, value
    return False, None


def _show(value: Any) -> str:
    # Error records and messages quote the value: keep a runaway reply out of them.
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_score(value: Any) -> int:
    if isinstance(value, bool):
        raise JudgeReplyError(f"Score {_show(value)} is not an integer")
    if isinstance(value, int):
        score = value
    elif isinstance(value, float) and value.is_integer():
        score = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        try:
            score = int(value)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise JudgeReplyError(
                f"Score {_show(value)} is outside {_MIN_SCORE}-{_MAX_SCORE}"
            ) from None
    else:
        raise JudgeReplyError(f"Score {_show(value)} is not an integer")
    if not _MIN_SCORE <= score <= _MAX_SCORE:
        raise JudgeReplyError(f"Score {_show(score)} is outside {_MIN_SCORE}-{_MAX_SCORE}")
    return score


def parse_judge_reply(text: str) -> JudgeVerdict:
    """Extract the score and rationale from a judge reply.

    Args:
        text: The judge's reply, exactly as received.

    Returns:
        The verdict: an integer score from 1 to 10 and the rationale.

    Raises:
        JudgeReplyError: No JSON object, no ``Score`` field, a score that is
            not an integer, or one outside 1-10. Never any other exception.
    """
    if not isinstance(text, str) or not text.strip():
        raise JudgeReplyError("the judge's reply is empty")
    problem = "the judge's reply holds no JSON object"
    for candidate in _candidates(text):
        try:
            obj = json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
        if not isinstance(obj, dict):
            continue
        has_score, value = _field(obj, "Score")
        if not has_score:
            problem = "the judge's JSON has no Score field"
            continue
        score = _as_score(value)
        _, rationale = _field(obj, "Rationale")
        return JudgeVerdict(score=score, rationale="" if rationale is None else str(rationale))
    raise JudgeReplyError(problem)
