"""Configuration of the mock endpoint: reply policies, latency, capacity and faults.

Everything here is a frozen pydantic model, so a whole server setup can be
written as JSON (the ``--config`` file of ``python -m mteval.testing.endpoint``)
or built in-process. Only :class:`CallablePolicy` has no JSON form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mteval.errors import ConfigError

__all__ = [
    "FAULT_KINDS",
    "JUDGE_FAULTS",
    "TRANSIENT_FAULTS",
    "CallablePolicy",
    "ChoicePolicy",
    "EchoPolicy",
    "EndpointConfig",
    "FaultConfig",
    "FaultKind",
    "FixedPolicy",
    "JudgePolicy",
    "Policy",
    "ReplayPolicy",
    "load_config",
]

FaultKind = Literal[
    "http_500",
    "http_502",
    "http_503",
    "http_429",
    "http_429_no_retry_after",
    "hang",
    "reset",
    "bad_json",
    "no_choices",
    "empty_content",
    "length",
    "slow_drip",
    "judge_not_json",
    "judge_no_score",
    "judge_out_of_range",
    "judge_non_integer",
]
"""A kind of injected fault (see :class:`FaultConfig`)."""

FAULT_KINDS: tuple[FaultKind, ...] = (
    "http_500",
    "http_502",
    "http_503",
    "http_429",
    "http_429_no_retry_after",
    "hang",
    "reset",
    "bad_json",
    "no_choices",
    "empty_content",
    "length",
    "slow_drip",
    "judge_not_json",
    "judge_no_score",
    "judge_out_of_range",
    "judge_non_integer",
)
"""Every fault kind, in a fixed order."""

TRANSIENT_FAULTS: tuple[FaultKind, ...] = (
    "http_500",
    "http_502",
    "http_503",
    "http_429",
    "http_429_no_retry_after",
    "hang",
    "reset",
    "bad_json",
    "no_choices",
)
"""Faults a client should retry at the HTTP level (a fresh attempt gets through)."""

JUDGE_FAULTS: tuple[FaultKind, ...] = (
    "judge_not_json",
    "judge_no_score",
    "judge_out_of_range",
    "judge_non_integer",
)
"""Faults that corrupt a judge's verdict; drawn at random only for the ``judge`` policy."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EchoPolicy(_Frozen):
    """Reply with the content of the last user message."""

    kind: Literal["echo"] = "echo"


class FixedPolicy(_Frozen):
    """Reply with a fixed text.

    Attributes:
        text: The reply.
    """

    kind: Literal["fixed"] = "fixed"
    text: str


class ReplayPolicy(_Frozen):
    """Reply from a mapping keyed by the SHA-256 of the last user message.

    Keys are :func:`mteval.testing.prompt_key` of the last user message's
    content. ``replies`` and the file at ``path`` are merged (the file wins).

    Attributes:
        replies: In-process mapping ``{prompt_key: reply}``.
        path: A JSON file holding such a mapping, read when the server starts
            (relative paths in a config file are relative to that file).
        fallback: The reply to a prompt the mapping lacks.
    """

    kind: Literal["replay"] = "replay"
    replies: dict[str, str] = Field(default_factory=dict)
    path: Path | None = None
    fallback: str = "I don't know."


class JudgePolicy(_Frozen):
    """Act as an LLM judge: reply ``{"Rationale": ..., "Score": N}``.

    ``N`` is :func:`mteval.testing.score_for_prompt` of the last user message,
    so a test can compute the score it expects.

    Attributes:
        fence: Wrap the JSON in a ```` ```json ```` fence, as GPT-4 does.
    """

    kind: Literal["judge"] = "judge"
    fence: bool = True


class ChoicePolicy(_Frozen):
    """Reply with one of a list of texts, picked by a hash of the last user message.

    The reply is ``replies[int(prompt_key(prompt), 16) % len(replies)]``
    (:func:`mteval.testing.choice_for_prompt`), so a test can compute it: a
    scripted judge for any verdict format (``Rating: [[7]]``, ``[[A]]``).

    Attributes:
        replies: The texts to pick from.
    """

    kind: Literal["choice"] = "choice"
    replies: tuple[str, ...] = Field(min_length=1)


class CallablePolicy(_Frozen):
    """Reply with whatever a Python function returns (in-process only).

    Attributes:
        fn: Called with the parsed request body; returns the reply text, or an
            awaitable of it (awaited on the server's event loop).
    """

    kind: Literal["callable"] = "callable"
    fn: Callable[[dict[str, Any]], str | Awaitable[str]]


Policy = Annotated[
    EchoPolicy | FixedPolicy | ReplayPolicy | JudgePolicy | ChoicePolicy | CallablePolicy,
    Field(discriminator="kind"),
]
"""Any reply policy, told apart by its ``kind``."""


class FaultConfig(_Frozen):
    """Random, deterministic fault injection.

    For each attempt the server hashes ``(seed, request key, attempt number for
    that key)``: the attempt fails with probability ``p`` and the kind is drawn
    from ``kinds`` (judge-only kinds only for the ``judge`` policy). After
    ``max_consecutive`` failures in a row for one key the next attempt always
    succeeds, so a client that retries enough always gets through.

    Attributes:
        p: Probability that an attempt fails.
        kinds: Kinds to draw from (default: :data:`TRANSIENT_FAULTS`).
        seed: Seed of the draws.
        max_consecutive: Most failures in a row for one request key.
        retry_after_s: ``Retry-After`` header value of ``http_429``.
        hang_s: How long ``hang`` holds the request before closing it (it also
            ends when the client disconnects or the server stops).
        drip_s: How long ``slow_drip`` takes to send its body.
        drip_bytes: Bytes per ``slow_drip`` write.
        per: What draws and ``max_consecutive`` count attempts of: the exact
            ``request`` body (a retry repeats it), or its last user message,
            the ``prompt`` (a judge asked again with another seed or
            temperature is still the same question).
    """

    p: float = Field(default=0.0, ge=0.0, le=1.0)
    kinds: tuple[FaultKind, ...] = TRANSIENT_FAULTS
    seed: int = 0
    max_consecutive: int = Field(default=2, ge=0)
    retry_after_s: float = Field(default=1.0, ge=0.0)
    hang_s: float = Field(default=3600.0, ge=0.0)
    drip_s: float = Field(default=2.0, ge=0.0)
    drip_bytes: int = Field(default=16, ge=1)
    per: Literal["request", "prompt"] = "request"


class EndpointConfig(_Frozen):
    """Everything that decides how the mock endpoint answers.

    Attributes:
        models: Reply policy per model name (the request's ``model`` field).
        default_policy: Policy for models not in ``models``; ``None`` answers
            them with a 404 ``model_not_found`` error.
        latency_s: Fixed service time of each request, in seconds.
        per_token_s: Extra service time per completion token, in seconds.
        max_concurrency: Requests in service at once; the rest wait in FIFO
            order. ``None`` means unlimited.
        faults: Fault injection settings.
        api_key: When set, requests must send ``Authorization: Bearer <key>``.
        overflow_above: Answer ``HTTP 500 Context size has been exceeded`` to
            a request arriving while this many are already in service, as
            llama.cpp's ``llama-server`` does when its slots overflow the
            context cache they share. ``None``: never.
        v1_only: Serve the API under ``/v1`` only, as vLLM and OpenAI do, so
            that a base URL missing its ``/v1`` fails (HTTP 404) in tests as it
            would there. Off: ``/chat/completions`` is served too, as
            llama.cpp's server does.
    """

    models: dict[str, Policy] = Field(default_factory=dict)
    default_policy: Policy | None = EchoPolicy()
    latency_s: float = Field(default=0.0, ge=0.0)
    per_token_s: float = Field(default=0.0, ge=0.0)
    max_concurrency: int | None = Field(default=None, ge=1)
    faults: FaultConfig = FaultConfig()
    api_key: str | None = None
    overflow_above: int | None = Field(default=None, ge=1)
    v1_only: bool = False

    def policy_for(self, model: str) -> Policy | None:
        """Return the policy that answers ``model`` (``None``: unknown model)."""
        return self.models.get(model, self.default_policy)


def load_config(path: Path | str) -> EndpointConfig:
    """Read an :class:`EndpointConfig` from a JSON file.

    Relative replay ``path`` entries are resolved against the file's folder.

    Args:
        path: The JSON file.

    Returns:
        The validated config.

    Raises:
        ConfigError: The file cannot be read or is not a valid config.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the endpoint config: {exc}") from exc
    try:
        config = EndpointConfig.model_validate_json(text)
    except ValueError as exc:
        raise ConfigError(f"{path}: not a valid endpoint config: {exc}") from exc
    return _resolve_paths(config, path.parent)


def _resolve_paths(config: EndpointConfig, base: Path) -> EndpointConfig:
    def resolve(policy: Policy | None) -> Policy | None:
        if isinstance(policy, ReplayPolicy) and policy.path and not policy.path.is_absolute():
            return policy.model_copy(update={"path": base / policy.path})
        return policy

    models = {name: resolve(policy) for name, policy in config.models.items()}
    return config.model_copy(
        update={"models": models, "default_policy": resolve(config.default_policy)}
    )
