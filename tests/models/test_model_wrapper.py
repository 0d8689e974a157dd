"""The one wrapper: retries, limits, cache and single flight, with a scripted provider."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from mteval.errors import EndpointError
from mteval.models import (
    FailureInfo,
    MemoryCache,
    Model,
    ModelAPI,
    PriorityLimiter,
    RequestFailed,
    RetryPolicy,
)
from mteval.types import ChatMessage, GenerateConfig, ModelOutput

MESSAGES = [ChatMessage(role="user", content="hello")]


class Boom(Exception):
    def __init__(self, info: FailureInfo) -> None:
        super().__init__(info.message)
        self.info = info


class ScriptedAPI(ModelAPI):
    """Fails with the scripted infos first, then answers ``reply``."""

    provider = "scripted"

    def __init__(self, script: Sequence[FailureInfo | str] = (), reply: str = "ok") -> None:
        super().__init__(model_name="m", base_url="http://scripted")
        self.script = list(script)
        self.reply = reply
        self.calls = 0
        self.active = 0
        self.peak = 0

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        self.calls += 1
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(0.001)
            if self.script:
                item = self.script.pop(0)
                if isinstance(item, FailureInfo):
                    raise Boom(item)
                return ModelOutput(content=item)
            return ModelOutput(content=self.reply)
        finally:
            self.active -= 1

    def classify_error(self, error: BaseException) -> FailureInfo:
        assert isinstance(error, Boom)
        return error.info


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


SERVER = FailureInfo("server", True, "HTTP 503")
RATE = FailureInfo("rate_limit", True, "HTTP 429", retry_after_s=7.0)
BAD = FailureInfo("bad_request", False, "HTTP 400")
AUTH = FailureInfo("auth", False, "HTTP 401", fatal=True)


def make(api: ModelAPI, **kwargs: object) -> tuple[Model, Sleeps]:
    sleeps = Sleeps()
    retry = kwargs.pop("retry", RetryPolicy(max_attempts=4, base_delay_s=1.0, jitter=False))
    return Model(api, retry=retry, sleep=sleeps, **kwargs), sleeps  # type: ignore[arg-type]


async def test_transient_failures_are_retried_with_exponential_backoff() -> None:
    api = ScriptedAPI([SERVER, SERVER])
    model, sleeps = make(api)
    output = await model.generate(MESSAGES)
    assert output.content == "ok" and output.attempts == 3
    assert sleeps.delays == [1.0, 2.0]
    assert model.stats.retries == 2 and model.stats.failure_kinds == {"server": 2}


async def test_retry_after_is_honoured() -> None:
    model, sleeps = make(ScriptedAPI([RATE]))
    await model.generate(MESSAGES)
    assert sleeps.delays == [7.0]


async def test_jitter_stays_within_half_to_full_delay() -> None:
    policy = RetryPolicy(base_delay_s=4.0, jitter=True)
    import random

    rng = random.Random(1)
    delays = [policy.delay(2, None, rng) for _ in range(200)]
    assert all(4.0 <= d <= 8.0 for d in delays) and len(set(delays)) > 100


async def test_attempts_are_bounded_then_the_request_fails() -> None:
    api = ScriptedAPI([SERVER] * 10)
    model, _ = make(api)
    with pytest.raises(RequestFailed) as info:
        await model.generate(MESSAGES)
    assert info.value.attempts == 4 and api.calls == 4
    assert "HTTP 503" in str(info.value)


async def test_total_time_budget_stops_retries() -> None:
    api = ScriptedAPI([RATE] * 3)
    model, _ = make(api, retry=RetryPolicy(max_attempts=10, max_total_s=5.0))
    with pytest.raises(RequestFailed):
        await model.generate(MESSAGES)
    assert api.calls == 1  # a 7 s Retry-After exceeds the 5 s budget


async def test_non_retryable_failure_is_not_retried() -> None:
    api = ScriptedAPI([BAD])
    model, sleeps = make(api)
    with pytest.raises(RequestFailed):
        await model.generate(MESSAGES)
    assert api.calls == 1 and sleeps.delays == []


async def test_fatal_failure_raises_endpoint_error() -> None:
    model, _ = make(ScriptedAPI([AUTH]))
    with pytest.raises(EndpointError, match="HTTP 401"):
        await model.generate(MESSAGES)


async def test_empty_reply_is_asked_again_then_accepted() -> None:
    api = ScriptedAPI(["", "", ""], reply="never reached")
    model, _ = make(api, retry=RetryPolicy(max_attempts=6, empty_reply_retries=2, jitter=False))
    output = await model.generate(MESSAGES)
    assert output.content == "" and api.calls == 3
    recovered = ScriptedAPI(["", "fine"])
    model, _ = make(recovered)
    assert (await model.generate(MESSAGES)).content == "fine"


async def test_cache_answers_repeats_without_a_request() -> None:
    api = ScriptedAPI()
    cache = MemoryCache()
    model, _ = make(api, cache=cache)
    first = await model.generate(MESSAGES)
    second = await model.generate(MESSAGES)
    assert api.calls == 1 and len(cache) == 1
    assert not first.cached and second.cached and first.key == second.key
    salted = await model.generate(MESSAGES, salt="judge-attempt-2")
    assert api.calls == 2 and salted.key != first.key
    assert model.cache_key(MESSAGES) == first.key


async def test_cache_key_depends_on_settings_and_endpoint() -> None:
    model, _ = make(ScriptedAPI())
    other = GenerateConfig(temperature=0.7)
    assert model.cache_key(MESSAGES) != model.cache_key(MESSAGES, other)
    elsewhere = Model(ScriptedAPI())
    elsewhere.api.base_url = "http://other"
    assert model.cache_key(MESSAGES) != elsewhere.cache_key(MESSAGES)


async def test_identical_requests_in_flight_are_sent_once() -> None:
    api = ScriptedAPI()
    model, _ = make(api)
    results = await asyncio.gather(*(model.generate(MESSAGES) for _ in range(5)))
    assert api.calls == 1 and {r.content for r in results} == {"ok"}


async def test_concurrency_limit_is_respected_exactly() -> None:
    api = ScriptedAPI()
    limiter = PriorityLimiter(3)
    model, _ = make(api, limiter=limiter)
    await asyncio.gather(
        *(model.generate([ChatMessage(role="user", content=str(i))]) for i in range(20))
    )
    assert api.peak == 3 and limiter.peak == 3 and limiter.in_use == 0


async def test_limiter_serves_higher_priority_first() -> None:
    limiter = PriorityLimiter(1)
    order: list[int] = []
    await limiter.acquire()

    async def waiter(priority: int) -> None:
        async with limiter.slot(priority):
            order.append(priority)

    tasks = [asyncio.create_task(waiter(p)) for p in (1, 5, 3, 5)]
    await asyncio.sleep(0.01)
    limiter.release()
    await asyncio.gather(*tasks)
    assert order == [5, 5, 3, 1]


async def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    limiter = PriorityLimiter(1)
    await limiter.acquire()
    waiting = asyncio.create_task(limiter.acquire(priority=1))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    limiter.release()
    assert limiter.in_use == 0
    await asyncio.wait_for(limiter.acquire(), 1)
