"""The one model wrapper: retries, concurrency limits, caching, usage accounting.

Every request of a run, the model's and the judge's alike, goes through
:meth:`Model.generate`. Providers stay thin; this is the only place that
decides to wait, retry, reuse a cached completion or give up.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mteval.errors import EndpointError, ModelError
from mteval.models.adaptive import AdaptiveLimit
from mteval.models.base import FailureInfo, ModelAPI
from mteval.models.limits import PriorityLimiter
from mteval.types import ChatMessage, GenerateConfig, ModelOutput, canonical_json, stable_hash

__all__ = [
    "CompletionCache",
    "MemoryCache",
    "Model",
    "ModelStats",
    "RequestFailed",
    "RetryPolicy",
]


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How hard to try one request.

    Attributes:
        max_attempts: Attempts per request, the first included.
        base_delay_s: First backoff delay; doubles with each retry.
        max_delay_s: Cap on one backoff delay (and on an honoured Retry-After).
        max_total_s: Give up once this much time has passed on one request.
        jitter: Randomise each delay within [delay/2, delay] to spread retries.
        empty_reply_retries: Extra attempts when the reply is empty; an empty
            reply that persists is accepted as the model's answer.
        capacity_retries: Most retries of one request after overload signals
            (:attr:`FailureInfo.capacity`) that do not count as attempts,
            because other requests shared the endpoint with it: it may well
            succeed once the concurrency has backed off. Bounded so that
            nothing loops forever; ``max_total_s`` bounds it too.
    """

    max_attempts: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    max_total_s: float = 900.0
    jitter: bool = True
    empty_reply_retries: int = 2
    capacity_retries: int = 30

    def delay(self, attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Return the wait before attempt ``attempt + 1``."""
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), self.max_delay_s)
        delay = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        if self.jitter and delay > 0:
            delay = rng.uniform(delay / 2, delay)
        return delay


class CompletionCache(Protocol):
    """Where finished completions are kept (the run store implements it)."""

    def get(self, key: str) -> ModelOutput | None:
        """Return the completion stored under ``key``, if any."""

    def put(self, key: str, request_json: str, output: ModelOutput) -> None:
        """Store a completion and its request (canonical JSON); may write asynchronously."""


class MemoryCache:
    """An in-memory :class:`CompletionCache`, for library use without a store."""

    def __init__(self) -> None:
        self._items: dict[str, ModelOutput] = {}

    def get(self, key: str) -> ModelOutput | None:
        """Return a stored completion."""
        return self._items.get(key)

    def put(self, key: str, request_json: str, output: ModelOutput) -> None:
        """Store a completion."""
        self._items[key] = output

    def __len__(self) -> int:
        return len(self._items)


class RequestFailed(ModelError):
    """A request that failed for good.

    Attributes:
        info: The provider's verdict on the last failure.
        attempts: How many attempts were made.
    """

    def __init__(self, info: FailureInfo, attempts: int) -> None:
        self.info = info
        self.attempts = attempts
        super().__init__(f"{info.message} (after {attempts} attempt{'s' * (attempts != 1)})")


@dataclass
class ModelStats:
    """Running counters of one :class:`Model` (read by progress displays)."""

    requests: int = 0
    attempts: int = 0
    retries: int = 0
    capacity_retries: int = 0
    cache_hits: int = 0
    failures: int = 0
    in_flight: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_total_s: float = 0.0
    failure_kinds: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the counters as a JSON-safe dict."""
        return {
            "requests": self.requests,
            "attempts": self.attempts,
            "retries": self.retries,
            "capacity_retries": self.capacity_retries,
            "cache_hits": self.cache_hits,
            "failures": self.failures,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_total_s": round(self.latency_total_s, 3),
            "failure_kinds": dict(self.failure_kinds),
        }


SleepFn = Callable[[float], Awaitable[Any]]


class _AttemptFailed(Exception):
    """One attempt failed; the provider's verdict and whether others shared the endpoint."""

    def __init__(self, info: FailureInfo, *, shared: bool) -> None:
        super().__init__(info.message)
        self.info = info
        self.shared = shared


class Model:
    """A provider wrapped with retries, a concurrency limit and a completion cache.

    Args:
        api: The provider.
        config: Default generation settings.
        retry: Retry policy.
        limiter: Concurrency limit for the endpoint (share one between models on
            the same endpoint); unlimited when None.
        controller: Adapts ``limiter``'s limit to the endpoint (share it with
            the limiter); a fixed limit when None.
        cache: Completion cache; no caching when None.
        sleep: Awaitable sleep used for backoff (tests pass a fast fake).
        seed: Seed of the jitter generator, for reproducible backoff.
    """

    def __init__(
        self,
        api: ModelAPI,
        *,
        config: GenerateConfig | None = None,
        retry: RetryPolicy | None = None,
        limiter: PriorityLimiter | None = None,
        controller: AdaptiveLimit | None = None,
        cache: CompletionCache | None = None,
        sleep: SleepFn = asyncio.sleep,
        seed: int = 0,
    ) -> None:
        self.api = api
        self.config = config or GenerateConfig()
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.controller = controller if limiter is not None else None
        if self.controller is not None and limiter is not None:
            limiter.set_limit(self.controller.limit)
        self.cache = cache
        self.stats = ModelStats()
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._pending: dict[str, asyncio.Future[ModelOutput]] = {}

    @property
    def name(self) -> str:
        """``provider/model``."""
        return f"{self.api.provider}/{self.api.model_name}"

    def request_record(
        self,
        messages: Sequence[ChatMessage],
        config: GenerateConfig | None = None,
        *,
        salt: str | None = None,
    ) -> dict[str, Any]:
        """Return the JSON-safe description of a request (what the cache key hashes)."""
        record: dict[str, Any] = {
            **self.api.cache_identity(),
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "settings": (config or self.config).request_fields(),
        }
        if salt:
            record["salt"] = salt
        return record

    def cache_key(
        self,
        messages: Sequence[ChatMessage],
        config: GenerateConfig | None = None,
        *,
        salt: str | None = None,
    ) -> str:
        """Return the cache key of a request: a hash of provider identity, messages, settings."""
        return stable_hash(self.request_record(messages, config, salt=salt))

    @staticmethod
    def _key_of(request_json: str) -> str:
        return hashlib.sha256(request_json.encode("utf-8")).hexdigest()

    async def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        config: GenerateConfig | None = None,
        priority: float = 0.0,
        salt: str | None = None,
        use_cache: bool = True,
    ) -> ModelOutput:
        """Return a completion: from the cache, or from the endpoint with retries.

        Identical requests in flight at the same time are sent once.

        Args:
            messages: The chat messages.
            config: Settings for this request (default: the model's).
            priority: Higher is served first when the endpoint's slots are scarce.
            salt: Distinguishes deliberate repeats of one request (e.g. a judge
                asked again after an unusable reply) in the cache.
            use_cache: Read and write the cache.

        Raises:
            RequestFailed: The request failed for good.
            EndpointError: The endpoint rejects us outright (bad key, unknown model).
        """
        cfg = config or self.config
        request_json = canonical_json(self.request_record(messages, cfg, salt=salt))
        key = self._key_of(request_json)
        if use_cache and self.cache is not None:
            cached = self.cache.get(key)
            if cached is not None:
                self.stats.cache_hits += 1
                return cached.model_copy(update={"cached": True, "key": key})
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[ModelOutput] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            output = (await self._send(messages, cfg, priority)).model_copy(update={"key": key})
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc)
                # Nobody else may be waiting: mark the exception retrieved.
                future.exception()
            raise
        else:
            future.set_result(output)
            if use_cache and self.cache is not None:
                self.cache.put(key, request_json, output)
            return output
        finally:
            self._pending.pop(key, None)

    async def _send(
        self, messages: Sequence[ChatMessage], config: GenerateConfig, priority: float
    ) -> ModelOutput:
        started = time.monotonic()
        self.stats.requests += 1
        attempt = 0  # HTTP attempts sent
        counted = 0  # attempts that count against max_attempts
        capacity_retries = 0
        empty_retries = 0
        while True:
            attempt += 1
            counted += 1
            try:
                output = await self._attempt(messages, config, priority)
            except asyncio.CancelledError:
                raise
            except _AttemptFailed as failed:
                info = failed.info
                self.stats.failure_kinds[info.kind] = self.stats.failure_kinds.get(info.kind, 0) + 1
                if info.fatal:
                    self.stats.failures += 1
                    raise EndpointError(info.message) from None
                elapsed = time.monotonic() - started
                if (
                    info.retryable
                    and info.capacity
                    and failed.shared
                    and self.controller is not None
                    and capacity_retries < self.retry.capacity_retries
                ):
                    # Others shared the endpoint: once the controller has backed
                    # off, the request may succeed, so this attempt does not count.
                    delay = self.retry.delay(1, info.retry_after_s, self._rng)
                    if elapsed + delay <= self.retry.max_total_s:
                        capacity_retries += 1
                        counted -= 1
                        self.stats.capacity_retries += 1
                        self.stats.retries += 1
                        await self._sleep(delay)
                        continue
                if not info.retryable or counted >= self.retry.max_attempts:
                    self.stats.failures += 1
                    raise RequestFailed(info, attempt) from None
                delay = self.retry.delay(counted, info.retry_after_s, self._rng)
                if elapsed + delay > self.retry.max_total_s:
                    self.stats.failures += 1
                    raise RequestFailed(info, attempt) from None
                self.stats.retries += 1
                await self._sleep(delay)
                continue
            if (
                not output.content.strip()
                and empty_retries < self.retry.empty_reply_retries
                and counted < self.retry.max_attempts
            ):
                empty_retries += 1
                self.stats.retries += 1
                kinds = self.stats.failure_kinds
                kinds["empty"] = kinds.get("empty", 0) + 1
                await self._sleep(self.retry.delay(counted, None, self._rng))
                continue
            if output.usage is not None:
                self.stats.prompt_tokens += output.usage.prompt_tokens
                self.stats.completion_tokens += output.usage.completion_tokens
            self.stats.latency_total_s += output.latency_s
            return output.model_copy(update={"attempts": attempt})

    async def _attempt(
        self, messages: Sequence[ChatMessage], config: GenerateConfig, priority: float
    ) -> ModelOutput:
        """Send one attempt in a slot; failures come back as :class:`_AttemptFailed`.

        The per-request timeout (the provider's) starts here, once the slot is
        held: time spent waiting for a slot never counts against a request.
        """
        limiter = self.limiter
        if limiter is None:
            try:
                return await self._call(messages, config)
            except Exception as exc:  # the provider classifies; _send decides
                raise _AttemptFailed(self.api.classify_error(exc), shared=False) from None
        async with limiter.slot(priority):
            controller = self.controller
            ticket = controller.sent() if controller is not None else None
            shared = limiter.in_use > 1
            sent = time.monotonic()
            try:
                output = await self._call(messages, config)
            except Exception as exc:
                info = self.api.classify_error(exc)
                shared = shared or limiter.in_use > 1
                if controller is not None and ticket is not None and info.capacity:
                    limiter.set_limit(controller.overloaded(ticket))
                raise _AttemptFailed(info, shared=shared) from None
            if controller is not None and ticket is not None:
                limiter.set_limit(controller.succeeded(ticket, time.monotonic() - sent))
            return output

    def concurrency(self) -> dict[str, Any]:
        """Return the concurrency this model's endpoint used (JSON-safe, for run records)."""
        limiter = self.limiter
        if limiter is None:
            return {"mode": "unlimited"}
        described: dict[str, Any] = (
            self.controller.describe()
            if self.controller is not None
            else {"mode": "fixed", "ceiling": limiter.limit, "limit": limiter.limit}
        )
        described["peak_in_flight"] = limiter.peak
        described["mean_in_flight"] = round(limiter.mean_in_use, 2)
        return described

    async def _call(self, messages: Sequence[ChatMessage], config: GenerateConfig) -> ModelOutput:
        self.stats.attempts += 1
        self.stats.in_flight += 1
        try:
            return await self.api.generate(messages, config)
        finally:
            self.stats.in_flight -= 1

    async def aclose(self) -> None:
        """Close the provider's connections."""
        await self.api.aclose()
