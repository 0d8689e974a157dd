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
from typing import Any, Literal

from mteval.types import ChatMessage, GenerateConfig, ModelOutput

__all__ = [
    "ErrorKind",
    "FailureInfo",
    "MalformedResponseError",
    "ModelAPI",
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


class ModelAPI(ABC):
    """A model provider behind one endpoint.

    Args:
        model_name: The model name sent to the endpoint.
        base_url: The endpoint's base URL (part of the cache identity).
    """

    provider: str = "base"

    def __init__(self, *, model_name: str, base_url: str | None = None) -> None:
        self.model_name = model_name
        self.base_url = base_url

    @property
    def endpoint(self) -> str:
        """A stable identity of the endpoint, used for cache keys and shared limits."""
        return self.base_url or f"{self.provider}:default"

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

        Raises:
            EndpointError: Unreachable endpoint, rejected key or unknown model.
        """

    async def aclose(self) -> None:  # noqa: B027 - optional hook, no-op by default
        """Release connections."""

    def describe(self) -> dict[str, Any]:
        """Return a JSON-safe description (no secrets) for run records."""
        return {"provider": self.provider, "model": self.model_name, "base_url": self.base_url}
