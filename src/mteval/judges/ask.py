"""Ask a judge: send one prompt, parse the reply with its template's parser, re-ask if unusable.

Every request is kept as a :class:`~mteval.records.JudgeCall` (prompt key,
reply, parsed value, error), so a verdict records every call it rests on. An
unusable reply is asked again (a fresh request, not the cached reply) up to a
bound, then the verdict is an error: counted, never scored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from mteval.errors import JudgeReplyError
from mteval.models import Model, RequestFailed
from mteval.records import JudgeCall
from mteval.types import ChatMessage, GenerateConfig

__all__ = [
    "JUDGE_PRIORITY",
    "REASK_TEMPERATURE",
    "JudgeOutcome",
    "ask_judge",
    "prompt_key",
    "reask_config",
]

JUDGE_PRIORITY = 1.0
"""A judgment ends its chain of work: lowest priority when slots are scarce."""

REASK_TEMPERATURE = 0.3
"""Temperature of a re-ask when the judge's is 0: a greedy judge asked the same
request repeats the same unusable reply, so a re-ask samples a little."""


def reask_config(config: GenerateConfig, attempt: int) -> GenerateConfig:
    """Return the settings of judge request number ``attempt`` for one prompt.

    The first ask uses the judge's own settings. Each re-ask after an unusable
    reply varies the request, since a deterministic judge would repeat itself:
    another seed (the judge's plus ``attempt - 1``) and, where the judge's
    temperature is 0, :data:`REASK_TEMPERATURE`.
    """
    if attempt <= 1:
        return config
    update: dict[str, object] = {"seed": (config.seed or 0) + attempt - 1}
    if config.temperature == 0:
        update["temperature"] = REASK_TEMPERATURE
    return config.model_copy(update=update)


T = TypeVar("T")


def prompt_key(messages: Sequence[ChatMessage]) -> str:
    """SHA-256 of the judge prompt's text (one message: its content; several: joined)."""
    text = "\n\n".join(m.content for m in messages) if len(messages) > 1 else messages[0].content
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class JudgeOutcome(Generic[T]):
    """What asking a judge produced.

    Attributes:
        value: The parsed reply (None when every reply was unusable or a request failed).
        calls: Every call made, in order.
        error: Why there is no value.
        attempts: Judge requests spent on this prompt, including earlier runs'.
        judge_key: Cache key of the last judge completion received.
        request_failed: True when a request failed for good (not an unusable reply).
    """

    value: T | None
    calls: tuple[JudgeCall, ...]
    error: str | None
    attempts: int
    judge_key: str | None
    request_failed: bool = False


async def ask_judge(
    model: Model,
    messages: Sequence[ChatMessage],
    *,
    parse: Callable[[str], T],
    value_of: Callable[[T], float | str | None],
    template: str | None = None,
    label: str = "",
    reply_attempts: int = 3,
    previous_attempts: int = 0,
    first_index: int = 0,
    config: GenerateConfig | None = None,
    salt: str | None = None,
    priority: float = JUDGE_PRIORITY,
) -> JudgeOutcome[T]:
    """Ask ``model`` until its reply parses, at most ``reply_attempts`` times.

    Each re-ask varies the request (:func:`reask_config`) and is salted, so it
    is a fresh request rather than the cached unusable reply.

    Args:
        model: The judge.
        messages: The filled prompt.
        parse: The template's reply parser; raises :class:`JudgeReplyError`
            for an unusable reply.
        value_of: What to record of a parsed reply (its score or label).
        template: The template's name (recorded with each call).
        label: What the calls stand for within the verdict (``AB``/``BA``).
        reply_attempts: Times to ask in total when replies are unusable.
        previous_attempts: Requests an earlier attempt at the run already spent
            on this prompt (so a retry asks afresh instead of replaying them).
        first_index: Index of the first call within its verdict.
        config: Settings of the first ask (default: the judge's own); re-asks
            vary them with :func:`reask_config`.
        salt: Marks deliberate repeats of one prompt in the cache (a judge
            audit's canaries, asked afresh each audit); re-asks add theirs.
        priority: The requests' priority when the endpoint's slots are scarce.

    Raises:
        EndpointError: The judge's endpoint rejects the run outright.
    """
    key = prompt_key(messages)
    attempts = max(1, reply_attempts)
    calls: list[JudgeCall] = []
    last_error = "no judge request was made"
    judge_key = None
    base = config or model.config
    for attempt in range(previous_attempts + 1, previous_attempts + attempts + 1):
        again = None if attempt == 1 else f"judge-attempt-{attempt}"
        request_salt = "|".join(p for p in (salt, again) if p) or None
        index = first_index + len(calls)
        try:
            output = await model.generate(
                messages,
                config=reask_config(base, attempt),
                priority=priority,
                salt=request_salt,
            )
        except RequestFailed as exc:
            error = f"judge request failed: {exc}"
            calls.append(
                JudgeCall(index=index, template=template, label=label, prompt_key=key, error=error)
            )
            return JudgeOutcome(
                value=None,
                calls=tuple(calls),
                error=error,
                attempts=attempt,
                judge_key=None,
                request_failed=True,
            )
        judge_key = output.key
        try:
            parsed = parse(output.content)
        except JudgeReplyError as exc:
            last_error = f"unusable judge reply: {exc}"
            calls.append(
                JudgeCall(
                    index=index,
                    template=template,
                    label=label,
                    prompt_key=key,
                    judge_key=judge_key,
                    reply=output.content,
                    error=last_error,
                )
            )
            continue
        calls.append(
            JudgeCall(
                index=index,
                template=template,
                label=label,
                prompt_key=key,
                judge_key=judge_key,
                reply=output.content,
                value=value_of(parsed),
            )
        )
        return JudgeOutcome(
            value=parsed, calls=tuple(calls), error=None, attempts=attempt, judge_key=judge_key
        )
    return JudgeOutcome(
        value=None,
        calls=tuple(calls),
        error=f"{last_error} (asked {attempts} times)",
        attempts=previous_attempts + attempts,
        judge_key=judge_key,
    )
