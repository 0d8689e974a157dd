"""Scripted judges with known properties, for testing a judge audit.

Each function returns a :class:`~mteval.testing.CallablePolicy` for the mock
endpoint. Their verdicts are pure functions of the request, so a test can
compute what each figure of an audit must come out as:

- :func:`consistent_judge`: the same score for the same reply, always
  (zero noise, zero history shift, no length or position preference);
- :func:`noisy_judge`: that score plus a noise drawn from ``noise`` by the
  request's ``seed`` (so repeats with different seeds differ);
- :func:`offset_judge`: that score plus a fixed offset (a second judge);
- :func:`length_judge`: a score that grows with the reply's length;
- :func:`shifted_judge`: that score plus a shift on prompts a test picks
  (history sensitivity);
- :func:`position_judge`: a pairwise judge that says "A" with a known
  probability and otherwise picks the better answer.

A reply is found in a judge prompt by :data:`REPLY_OPEN` / :data:`REPLY_CLOSE`
marks, which :func:`tagged_model` puts around every reply it writes; the
base score is a hash of the reply's text, from 3 to 8, so noise and offsets of
a point or two never leave the 1-10 scale.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from mteval.testing.config import CallablePolicy
from mteval.testing.replies import last_user_message

__all__ = [
    "BASE_SCORES",
    "REPLY_CLOSE",
    "REPLY_OPEN",
    "base_score",
    "consistent_judge",
    "judge_json",
    "length_judge",
    "length_score",
    "noise_for",
    "noisy_judge",
    "offset_judge",
    "position_judge",
    "position_verdict",
    "replies_in",
    "shifted_judge",
    "tagged_model",
    "tagged_reply",
]

REPLY_OPEN = "«"
REPLY_CLOSE = "»"
BASE_SCORES = (3, 4, 5, 6, 7, 8)
"""The scores :func:`base_score` gives, equally often over many replies."""

_REPLY = re.compile(f"{REPLY_OPEN}(.*?){REPLY_CLOSE}", re.S)


def _hash(*parts: object) -> int:
    text = "\x00".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def replies_in(prompt: str) -> list[str]:
    """The marked replies in a judge prompt, in order (the whole prompt when none is marked)."""
    found = _REPLY.findall(prompt)
    return [s.strip() for s in found] if found else [prompt]


def base_score(reply: str) -> int:
    """The consistent judge's score of a reply: one of :data:`BASE_SCORES`."""
    return BASE_SCORES[_hash("base", reply.strip()) % len(BASE_SCORES)]


def noise_for(prompt: str, seed: object, noise: tuple[int, ...]) -> int:
    """The noise :func:`noisy_judge` adds to the request (``seed``: the request's, or None)."""
    return noise[_hash("noise", prompt, seed) % len(noise)]


def length_score(reply: str, *, words_per_point: int = 10) -> int:
    """:func:`length_judge`'s score: one point plus one per ``words_per_point`` words, to 10."""
    return max(1, min(10, 1 + len(reply.split()) // words_per_point))


def judge_json(score: int, rationale: str = "Scripted verdict.") -> str:
    """A verdict in MT-Eval's judge format (a fenced JSON object)."""
    return "```json\n" + json.dumps({"Rationale": rationale, "Score": score}) + "\n```"


def _prompt(body: dict[str, Any]) -> str:
    return last_user_message(body.get("messages") or [])


def _scoring(fn: Callable[[str, dict[str, Any]], int]) -> CallablePolicy:
    def reply(body: dict[str, Any]) -> str:
        prompt = _prompt(body)
        return judge_json(max(1, min(10, fn(prompt, body))))

    return CallablePolicy(fn=reply)


def consistent_judge() -> CallablePolicy:
    """Scores the last marked reply with :func:`base_score`, whatever else the prompt holds."""
    return _scoring(lambda prompt, body: base_score(replies_in(prompt)[-1]))


def noisy_judge(noise: tuple[int, ...] = (-1, 0, 1)) -> CallablePolicy:
    """:func:`consistent_judge` plus a noise drawn uniformly from ``noise`` per prompt and seed.

    With the default noise the within-turn variance is 2/3 (SD 0.816), and
    with k repeats a turn's score changes with probability ``1 - 3 / 3**k``.
    """
    return _scoring(
        lambda prompt, body: (
            base_score(replies_in(prompt)[-1]) + noise_for(prompt, body.get("seed"), noise)
        )
    )


def offset_judge(offset: int) -> CallablePolicy:
    """:func:`consistent_judge` plus ``offset`` (a second judge with a known offset)."""
    return _scoring(lambda prompt, body: base_score(replies_in(prompt)[-1]) + offset)


def length_judge(*, words_per_point: int = 10) -> CallablePolicy:
    """Scores a reply by its length alone (:func:`length_score`)."""
    return _scoring(
        lambda prompt, body: length_score(replies_in(prompt)[-1], words_per_point=words_per_point)
    )


def shifted_judge(shift: int, when: Callable[[str], bool]) -> CallablePolicy:
    """:func:`consistent_judge` plus ``shift`` on prompts for which ``when`` is true."""
    return _scoring(
        lambda prompt, body: base_score(replies_in(prompt)[-1]) + (shift if when(prompt) else 0)
    )


def position_verdict(prompt: str, *, p_first: float) -> str:
    """:func:`position_judge`'s verdict, ``"A"`` or ``"B"``.

    With probability ``p_first`` (a hash of the prompt) "A"; otherwise the
    answer with the higher :func:`base_score` (ties go to the text that sorts
    first, so the better answer does not depend on the order shown).
    """
    draw = _hash("position", prompt) / 2**64
    if draw < p_first:
        return "A"
    replies = replies_in(prompt)
    if len(replies) < 2:
        return "A"
    a, b = replies[0], replies[1]
    better_a = (base_score(a), b) > (base_score(b), a)
    return "A" if better_a else "B"


def position_judge(p_first: float) -> CallablePolicy:
    """A pairwise judge biased toward position A (MT-Bench's ``[[A]]``/``[[B]]`` format).

    In one of the two orders the better answer is in position A, and the judge
    picks it; in the other it says "A" with probability ``p_first``. So its
    consistency rate across orders is ``1 - p_first`` and its first-position
    win share ``(1 + p_first) / 2``. Prompts that do not ask for ``[[A]]``
    (single grading) get :func:`consistent_judge`'s score, so one judge can
    grade a run and then be audited pairwise.
    """

    def reply(body: dict[str, Any]) -> str:
        prompt = _prompt(body)
        if "[[A]]" not in prompt:
            return judge_json(base_score(replies_in(prompt)[-1]))
        verdict = position_verdict(prompt, p_first=p_first)
        return f"Both answers are reasonable. Final verdict: [[{verdict}]]"

    return CallablePolicy(fn=reply)


def tagged_reply(prompt: str, *, min_words: int = 5, max_words: int = 95) -> str:
    """:func:`tagged_model`'s reply: a marked reply whose length and words hash the prompt."""
    n = min_words + _hash("length", prompt) % (max_words - min_words + 1)
    words = " ".join(f"w{_hash('word', prompt, i) % 997}" for i in range(n))
    return f"{REPLY_OPEN} {words} {REPLY_CLOSE}"


def _conversation(body: dict[str, Any]) -> str:
    return json.dumps(body.get("messages") or [], sort_keys=True)


def tagged_model(*, min_words: int = 5, max_words: int = 95) -> CallablePolicy:
    """A model whose replies are marked for the scripted judges and vary in length.

    The reply is :func:`tagged_reply` of the whole conversation (as JSON), so
    a question asked again in another dialogue gets another reply.
    """
    return CallablePolicy(
        fn=lambda body: tagged_reply(_conversation(body), min_words=min_words, max_words=max_words)
    )
