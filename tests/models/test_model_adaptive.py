"""The wrapper with an adaptive limit: capacity errors back off and do not spend attempts."""

from __future__ import annotations

import asyncio

import pytest
from test_model_wrapper import ScriptedAPI, Sleeps

from mteval.models import (
    AdaptiveLimit,
    FailureInfo,
    Model,
    PriorityLimiter,
    RequestFailed,
    RetryPolicy,
)
from mteval.types import ChatMessage

CAPACITY = FailureInfo("server", True, "HTTP 500: Context size has been exceeded", capacity=True)
SERVER = FailureInfo("server", True, "HTTP 500")


def messages(i: int) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=f"request {i}")]


def adaptive(api: ScriptedAPI, *, initial: int, ceiling: int = 8, **retry: object) -> Model:
    limiter = PriorityLimiter(ceiling)
    policy = RetryPolicy(base_delay_s=0.0, jitter=False, **retry)  # type: ignore[arg-type]
    controller = AdaptiveLimit(ceiling=ceiling, initial=initial)
    return Model(api, retry=policy, limiter=limiter, controller=controller, sleep=Sleeps())


async def test_the_controller_sets_the_limiters_limit() -> None:
    model = adaptive(ScriptedAPI(), initial=3)
    assert model.limiter is not None and model.limiter.limit == 3


async def test_capacity_error_among_others_is_retried_without_spending_attempts() -> None:
    api = ScriptedAPI([CAPACITY, CAPACITY])
    model = adaptive(api, initial=4, max_attempts=1)
    outputs = await asyncio.gather(*(model.generate(messages(i)) for i in range(4)))
    assert [o.content for o in outputs] == ["ok"] * 4
    assert model.stats.capacity_retries == 2 and model.stats.failures == 0
    assert model.controller is not None and model.controller.limit == 2  # halved once


async def test_capacity_error_alone_spends_attempts() -> None:
    api = ScriptedAPI([CAPACITY] * 5)
    model = adaptive(api, initial=1, max_attempts=3)
    with pytest.raises(RequestFailed) as failed:
        await model.generate(messages(0))
    assert failed.value.attempts == 3 and api.calls == 3
    assert model.stats.capacity_retries == 0


async def test_capacity_retries_are_bounded() -> None:
    api = ScriptedAPI([CAPACITY] * 4)
    model = adaptive(api, initial=4, max_attempts=1, capacity_retries=0)
    results = await asyncio.gather(
        *(model.generate(messages(i)) for i in range(4)), return_exceptions=True
    )
    assert sum(isinstance(r, RequestFailed) for r in results) == 4


async def test_other_server_errors_spend_attempts_and_leave_the_limit() -> None:
    api = ScriptedAPI([SERVER, SERVER])
    model = adaptive(api, initial=4, max_attempts=1)
    results = await asyncio.gather(
        *(model.generate(messages(i)) for i in range(4)), return_exceptions=True
    )
    assert sum(isinstance(r, RequestFailed) for r in results) == 2
    assert model.controller is not None and model.controller.limit == 4


async def test_without_a_controller_capacity_errors_spend_attempts() -> None:
    api = ScriptedAPI([CAPACITY, CAPACITY])
    policy = RetryPolicy(max_attempts=1, base_delay_s=0.0, jitter=False)
    model = Model(api, retry=policy, limiter=PriorityLimiter(4), sleep=Sleeps())
    results = await asyncio.gather(
        *(model.generate(messages(i)) for i in range(4)), return_exceptions=True
    )
    assert sum(isinstance(r, RequestFailed) for r in results) == 2
    assert model.concurrency()["mode"] == "fixed"


async def test_successes_grow_the_limit_within_the_ceiling() -> None:
    api = ScriptedAPI()
    model = adaptive(api, initial=1, ceiling=4)
    await asyncio.gather(*(model.generate(messages(i)) for i in range(40)))
    used = model.concurrency()
    # Latencies here are the event loop's scheduling noise: the controller grows
    # while they look flat; how far is the deterministic tests' business.
    assert used["mode"] == "adaptive" and used["ceiling"] == 4
    assert 2 <= used["peak_limit"] <= 4
    assert api.peak <= used["peak_limit"] and used["peak_in_flight"] == api.peak


async def test_a_lowered_limit_keeps_holders_and_admits_no_one_new() -> None:
    limiter = PriorityLimiter(3)
    for _ in range(3):
        await limiter.acquire()
    limiter.set_limit(1)
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    limiter.release()
    limiter.release()
    await asyncio.sleep(0)
    assert not waiter.done() and limiter.in_use == 1
    limiter.release()
    await asyncio.sleep(0)
    assert waiter.done() and limiter.in_use == 1


async def test_a_raised_limit_admits_waiters_at_once() -> None:
    limiter = PriorityLimiter(1)
    await limiter.acquire()
    waiters = [asyncio.create_task(limiter.acquire()) for _ in range(2)]
    await asyncio.sleep(0)
    limiter.set_limit(3)
    await asyncio.sleep(0)
    assert all(w.done() for w in waiters) and limiter.in_use == 3
