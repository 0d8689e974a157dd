"""What the mock endpoint says: reply policies, judge verdicts and fault draws.

Pure functions of the request, so a test can compute the reply it expects
(:func:`prompt_key`, :func:`score_for_prompt`, :func:`judge_reply`).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from typing import Any

from mteval.errors import ConfigError
from mteval.testing.config import (
    JUDGE_FAULTS,
    CallablePolicy,
    ChoicePolicy,
    EchoPolicy,
    EndpointConfig,
    FaultConfig,
    FaultKind,
    FixedPolicy,
    JudgePolicy,
    Policy,
    ReplayPolicy,
)

__all__ = [
    "Responder",
    "choice_for_prompt",
    "count_tokens",
    "draw_fault",
    "judge_fault_reply",
    "judge_reply",
    "last_user_message",
    "load_replies",
    "message_text",
    "prompt_key",
    "score_for_prompt",
]


def prompt_key(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` (UTF-8): the key of replay mappings."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def score_for_prompt(prompt: str) -> int:
    """Return the score (1 to 10) the ``judge`` policy gives to ``prompt``."""
    return 1 + int(prompt_key(prompt), 16) % 10


def choice_for_prompt(prompt: str, replies: tuple[str, ...] | list[str]) -> str:
    """Return the ``choice`` policy's reply to ``prompt``: one of ``replies`` by its hash."""
    return replies[int(prompt_key(prompt), 16) % len(replies)]


def judge_reply(prompt: str, *, fence: bool = True) -> str:
    """Return the ``judge`` policy's reply to ``prompt``.

    Args:
        prompt: The last user message of the judge request.
        fence: Wrap the JSON in a ```` ```json ```` fence.
    """
    verdict = {
        "Rationale": f"Mock verdict for prompt {prompt_key(prompt)[:12]}.",
        "Score": score_for_prompt(prompt),
    }
    return _maybe_fence(json.dumps(verdict), fence)


def judge_fault_reply(kind: FaultKind, prompt: str, *, fence: bool = True) -> str:
    """Return the corrupted judge reply of a judge-only fault ``kind``.

    Args:
        kind: One of :data:`mteval.testing.JUDGE_FAULTS`.
        prompt: The last user message of the judge request.
        fence: Wrap JSON replies in a ```` ```json ```` fence.

    Raises:
        ValueError: ``kind`` is not a judge fault.
    """
    rationale = "The response follows the instruction and is mostly accurate."
    if kind == "judge_not_json":
        return f"{rationale} Overall I would rate it quite highly."
    if kind == "judge_no_score":
        return _maybe_fence(json.dumps({"Rationale": rationale}), fence)
    if kind == "judge_out_of_range":
        score = 0 if int(prompt_key(prompt), 16) % 2 == 0 else 11
        return _maybe_fence(json.dumps({"Rationale": rationale, "Score": score}), fence)
    if kind == "judge_non_integer":
        return _maybe_fence(json.dumps({"Rationale": rationale, "Score": "high"}), fence)
    raise ValueError(f"not a judge fault: {kind!r}")


def _maybe_fence(text: str, fence: bool) -> str:
    return f"```json\n{text}\n```" if fence else text


def message_text(content: Any) -> str:
    """Return the text of a message ``content`` (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def last_user_message(messages: list[Any]) -> str:
    """Return the text of the last ``user`` message (``""`` when there is none)."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return message_text(message.get("content"))
    return ""


def count_tokens(text: str) -> int:
    """Return a whitespace-word estimate of the number of tokens in ``text``."""
    return len(text.split())


def load_replies(policy: ReplayPolicy) -> dict[str, str]:
    """Return the replay mapping of ``policy``: its ``replies`` plus its file's.

    Raises:
        ConfigError: The file cannot be read or is not a JSON object of strings.
    """
    replies = dict(policy.replies)
    if policy.path is None:
        return replies
    try:
        data = json.loads(policy.path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{policy.path}: cannot read the replay mapping: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ConfigError(f"{policy.path}: a replay mapping must be a JSON object of strings")
    replies.update(data)
    return replies


class Responder:
    """A config made ready to answer: replay files read, policies looked up fast.

    Args:
        config: The endpoint config.
    """

    def __init__(self, config: EndpointConfig) -> None:
        self.config = config
        self._replay: dict[int, dict[str, str]] = {}
        for policy in (*config.models.values(), config.default_policy):
            if isinstance(policy, ReplayPolicy) and id(policy) not in self._replay:
                self._replay[id(policy)] = load_replies(policy)

    def policy_for(self, model: str) -> Policy | None:
        """Return the policy that answers ``model`` (``None``: unknown model)."""
        return self.config.models.get(model, self.config.default_policy)

    async def reply(self, policy: Policy, body: dict[str, Any], prompt: str) -> str:
        """Return the reply of ``policy`` to the request ``body``.

        Args:
            policy: The policy answering the request.
            body: The parsed request body.
            prompt: The last user message's text.
        """
        if isinstance(policy, EchoPolicy):
            return prompt
        if isinstance(policy, FixedPolicy):
            return policy.text
        if isinstance(policy, JudgePolicy):
            return judge_reply(prompt, fence=policy.fence)
        if isinstance(policy, ChoicePolicy):
            return choice_for_prompt(prompt, policy.replies)
        if isinstance(policy, ReplayPolicy):
            return self._replay[id(policy)].get(prompt_key(prompt), policy.fallback)
        if isinstance(policy, CallablePolicy):
            result = policy.fn(body)
            if inspect.isawaitable(result):
                result = await result
            if not isinstance(result, str):
                raise TypeError(f"callable policy returned {type(result).__name__}, not str")
            return result
        raise TypeError(f"unknown policy {policy!r}")


def draw_fault(faults: FaultConfig, key: str, attempt: int, *, judge: bool) -> FaultKind | None:
    """Decide, deterministically, whether an attempt fails and how.

    Ignores ``max_consecutive``; the server applies it.

    Args:
        faults: The fault settings.
        key: The request key (SHA-256 of the canonical request body).
        attempt: The 1-based attempt number for that key.
        judge: Whether the request is answered by the ``judge`` policy
            (judge-only kinds are drawn only then).

    Returns:
        The fault kind, or ``None`` for a clean attempt.
    """
    if faults.p <= 0.0:
        return None
    kinds = faults.kinds if judge else tuple(k for k in faults.kinds if k not in JUDGE_FAULTS)
    if not kinds:
        return None
    digest = hashlib.sha256(f"{faults.seed}:{key}:{attempt}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big") / 2**64
    if draw >= faults.p:
        return None
    return kinds[int.from_bytes(digest[8:16], "big") % len(kinds)]
