"""The provider interface: one async ``generate`` and a verdict on errors.

A provider (:class:`ModelAPI`) is thin: it turns messages into one request
and one :class:`~mteval.types.ModelOutput`, and says whether an exception it
raised is worth retrying. Retries, backoff, concurrency limits, caching and
usage accounting live only in :class:`mteval.models.Model`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from mteval.types import ChatMessage, GenerateConfig, ModelOutput

__all__ = [
    "ContextLengthError",
    "ErrorKind",
    "FailureInfo",
    "MalformedResponseError",
    "ModelAPI",
    "check_options",
]

ErrorKind = Literal[
    "timeout",
    "connection",
    "rate_limit",
    "server",
    "malformed",
    "auth",
    "not_found",
    "bad_request",
    "context_length",
    "engine_died",
    "other",
]


@dataclass(frozen=True)
class FailureInfo:
    """A provider's verdict on a failed request.

    Attributes:
        kind: What failed, coarsely.
        retryable: Whether the same request may succeed if sent again.
        message: One line for logs and error records (never contains secrets).
        retry_after_s: The server's ``Retry-After``, in seconds, if it sent one.
        fatal: The endpoint cannot serve this run at all (bad key, unknown
            model): stop the run instead of recording the error on every turn.
        capacity: The endpoint is over capacity (429, 503, a timeout, a reset
            connection, a full context cache): fewer requests at once would
            help, so the wrapper backs its concurrency off.
    """

    kind: ErrorKind
    retryable: bool
    message: str
    retry_after_s: float | None = None
    fatal: bool = False
    capacity: bool = False


class MalformedResponseError(Exception):
    """The endpoint answered 200 but the body is not a usable chat completion."""


class ContextLengthError(Exception):
    """The prompt does not fit the model's context window (never worth retrying).

    Args:
        limit: The context window, in tokens, when known.
        prompt_tokens: The prompt's length, in tokens, when known.
    """

    def __init__(self, *, limit: int | None, prompt_tokens: int | None = None) -> None:
        self.limit = limit
        self.prompt_tokens = prompt_tokens
        size = f" ({prompt_tokens} tokens)" if prompt_tokens is not None else ""
        window = f"{limit} tokens" if limit is not None else "its size"
        super().__init__(
            f"the prompt{size} is longer than the model's context window ({window}); "
            "a larger context (e.g. -M n_ctx=...) or a shorter --max-tokens may fit it"
        )


def check_options(provider: str, options: dict[str, Any], known: dict[str, str]) -> None:
    """Reject options (``-M key=value``) that a provider does not take.

    Args:
        provider: The provider's name, for the message.
        options: The options given.
        known: Option name -> one-line description.

    Raises:
        ConfigError: An unknown option; the message lists the known ones.
    """
    from mteval.errors import ConfigError

    for name in options:
        if name not in known:
            listing = ", ".join(sorted(known)) or "none"
            raise ConfigError(
                f"-M {name}=...: the {provider} provider has no option {name!r} "
                f"(its options: {listing})"
            )


class ModelAPI(ABC):
    """A model provider behind one endpoint.

    A provider owns its setup: whether it needs an API key
    (:attr:`api_key_env`), the constructor options it accepts (``-M
    key=value``, in ``options``), its default concurrency, what shares a
    connection pool (:attr:`connection_key`) and what identifies its
    completions in the cache (:meth:`cache_identity`).

    Args:
        model_name: The model name sent to the endpoint.
        base_url: The endpoint's base URL (part of the cache identity).
        options: Provider options (``-M key=value``); a provider rejects
            the ones it does not know in its constructor.
    """

    provider: str = "base"
    api_key_env: ClassVar[str | None] = None
    """The variable that holds this provider's key; None: the provider needs no key."""
    OPTIONS: ClassVar[dict[str, str]] = {}
    """The options (``-M key=value``) the provider takes: name -> description."""

    def __init__(
        self,
        *,
        model_name: str,
        base_url: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.model_name = model_name
        self.base_url = base_url
        self.options: dict[str, Any] = dict(options or {})

    def _validate_options(self) -> None:
        """Reject unknown options (engines that pass options through override this).

        Raises:
            ConfigError: An option the provider does not take.
        """
        check_options(self.provider, self.options, self.OPTIONS)

    @property
    def endpoint(self) -> str:
        """Where requests go (for messages and logs)."""
        return self.base_url or f"{self.provider}:default"

    @property
    def connection_key(self) -> str:
        """What shares one concurrency limit: models with equal keys share their slots."""
        return self.endpoint

    def default_concurrency(self) -> int | None:
        """Requests this endpoint serves at once when the user sets no limit (None: no opinion).

        Local engines answer with their batch capacity (parallel slots, max sequences).
        """
        return None

    def fixed_capacity(self) -> bool:
        """Whether :meth:`default_concurrency` is the endpoint's known, fixed capacity.

        A local engine's slots are what it can serve: latency grows with load
        on its own hardware, which is not a sign of overload, so the adaptive
        concurrency controller leaves such an endpoint at its capacity.
        """
        return False

    def cache_identity(self) -> dict[str, Any]:
        """What identifies this provider's completions in the cache besides the request.

        Remote endpoints are their URL and model name; local engines replace
        the URL (a fresh port each run) with the weights' fingerprint, so a
        changed checkpoint never reuses stale replies. Valid after
        :meth:`preflight`.
        """
        return {"endpoint": self.endpoint, "model": self.model_name}

    def weights_fingerprint(self) -> str | None:
        """The fingerprint of local weights (None for remote models); valid after preflight."""
        return None

    def engine_usage(self) -> dict[str, Any] | None:
        """How busy a local engine was kept (None for remote endpoints)."""
        return None

    @abstractmethod
    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        """Send one request and return the completion.

        Raises:
            Exception: Any failure; :meth:`classify_error` says what it means.
        """

    @abstractmethod
    def classify_error(self, error: BaseException) -> FailureInfo:
        """Say whether ``error`` (raised by :meth:`generate`) is worth retrying."""

    async def preflight(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Check the endpoint can serve us, before a run spends anything.

        Local engines start here (a server process, or weights loaded in
        process) and fingerprint their weights.

        Raises:
            EndpointError: Unreachable endpoint, rejected key or unknown model.
        """

    async def aclose(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Release connections."""

    def describe(self) -> dict[str, Any]:
        """Return a JSON-safe description (no secrets) for run records."""
        description: dict[str, Any] = {
            "provider": self.provider,
            "model": self.model_name,
            "base_url": self.base_url,
        }
        if self.options:
            description["options"] = dict(self.options)
        return description
