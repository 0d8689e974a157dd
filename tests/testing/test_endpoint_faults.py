from __future__ import annotations

import asyncio
import json
import time

import openai
import pytest
from _endpoint_helpers import ask, client_for, wait_until

from mteval.testing import (
    FAULT_KINDS,
    JUDGE_FAULTS,
    TRANSIENT_FAULTS,
    EndpointConfig,
    FaultConfig,
    FixedPolicy,
    JudgePolicy,
    MockEndpoint,
    prompt_key,
)

FIXED = EndpointConfig(models={"m": FixedPolicy(text="one two three four")})


def unfence(text: str) -> str:
    return text.removeprefix("```json\n").removesuffix("\n```")


def test_transient_faults_are_the_http_level_ones():
    assert set(TRANSIENT_FAULTS) == {
        "http_500",
        "http_502",
        "http_503",
        "http_429",
        "http_429_no_retry_after",
        "hang",
        "reset",
        "bad_json",
        "no_choices",
    }
    assert set(TRANSIENT_FAULTS) | set(JUDGE_FAULTS) < set(FAULT_KINDS)


@pytest.mark.parametrize("kind, status", [("http_500", 500), ("http_502", 502), ("http_503", 503)])
async def test_server_error_faults_raise_internal_server_error(make_endpoint, kind, status):
    ep = await make_endpoint(FIXED)
    ep.script_faults([kind])
    async with client_for(ep) as client:
        with pytest.raises(openai.InternalServerError) as info:
            await ask(client, "x")
    assert info.value.status_code == status
    assert info.value.type == "server_error"


async def test_http_429_carries_retry_after(make_endpoint):
    ep = await make_endpoint(FIXED.model_copy(update={"faults": FaultConfig(retry_after_s=3)}))
    ep.script_faults(["http_429"])
    async with client_for(ep) as client:
        with pytest.raises(openai.RateLimitError) as info:
            await ask(client, "x")
    assert info.value.response.headers["retry-after"] == "3"
    assert info.value.code == "rate_limit_exceeded"


async def test_http_429_no_retry_after_has_no_header(make_endpoint):
    ep = await make_endpoint(FIXED)
    ep.script_faults(["http_429_no_retry_after"])
    async with client_for(ep) as client:
        with pytest.raises(openai.RateLimitError) as info:
            await ask(client, "x")
    assert "retry-after" not in info.value.response.headers


async def test_hang_times_out_and_is_logged_without_status(make_endpoint):
    ep = await make_endpoint(FIXED)
    ep.script_faults(["hang"])
    async with client_for(ep) as client:
        with pytest.raises(openai.APITimeoutError):
            await ask(client, "x", timeout=0.3)
        # The server notices the client hanging up and finishes the request.
        reply = await ask(client, "again")
    assert reply.choices[0].message.content == "one two three four"
    await wait_until(lambda: ep.stats().in_flight == 0)
    hung = next(r for r in ep.records() if r.fault == "hang")
    assert hung.status == 0


async def test_hang_ends_when_server_stops():
    ep = await MockEndpoint.start_async(FIXED)
    ep.script_faults(["hang"])
    async with client_for(ep, timeout=30) as client:
        request = asyncio.ensure_future(ask(client, "x"))
        await wait_until(lambda: ep.stats().by_fault.get("hang") == 1)
        await ep.stop_async()
        with pytest.raises(openai.APIConnectionError) as info:
            await request
    assert not isinstance(info.value, openai.APITimeoutError)
    assert [r.status for r in ep.records()] == [0]


async def test_reset_raises_connection_error(make_endpoint):
    ep = await make_endpoint(FIXED)
    ep.script_faults(["reset"])
    async with client_for(ep) as client:
        with pytest.raises(openai.APIConnectionError) as info:
            await ask(client, "x")
        assert not isinstance(info.value, openai.APITimeoutError)
        # The next attempt, on a fresh connection, is fine.
        assert (await ask(client, "x")).choices[0].message.content == "one two three four"


async def test_bad_json_is_a_200_whose_body_does_not_parse(make_endpoint):
    ep = await make_endpoint(FIXED)
    ep.script_faults(["bad_json"])
    async with client_for(ep) as client:
        # The SDK lets json's own error through for an application/json body.
        with pytest.raises(ValueError):
            await ask(client, "x")
    assert ep.records()[-1].status == 200


async def test_no_choices_returns_completion_without_choices(make_endpoint):
    ep = await make_endpoint(FIXED)
    ep.script_faults(["no_choices"])
    async with client_for(ep) as client:
        reply = await ask(client, "x")
    assert not reply.choices


async def test_empty_content_returns_empty_string(make_endpoint):
    ep = await make_endpoint(FIXED)
    ep.script_faults(["empty_content"])
    async with client_for(ep) as client:
        reply = await ask(client, "x")
    assert reply.choices[0].message.content == ""
    assert reply.choices[0].finish_reason == "stop"


async def test_length_truncates_to_half_with_finish_reason_length(make_endpoint):
    ep = await make_endpoint(FIXED)
    ep.script_faults(["length"])
    async with client_for(ep) as client:
        reply = await ask(client, "x")
    assert reply.choices[0].finish_reason == "length"
    assert reply.choices[0].message.content == "one two t"


async def test_slow_drip_succeeds_slowly(make_endpoint):
    faults = FaultConfig(drip_s=0.3, drip_bytes=64)
    ep = await make_endpoint(FIXED.model_copy(update={"faults": faults}))
    ep.script_faults(["slow_drip"])
    async with client_for(ep) as client:
        started = time.monotonic()
        reply = await ask(client, "x")
        elapsed = time.monotonic() - started
    assert reply.choices[0].message.content == "one two three four"
    assert elapsed >= 0.3
    stats = ep.stats()
    assert stats.successes == 1 and stats.by_fault == {"slow_drip": 1}


@pytest.mark.parametrize("kind", JUDGE_FAULTS)
async def test_judge_faults_corrupt_the_verdict(make_endpoint, kind):
    ep = await make_endpoint(EndpointConfig(models={"judge": JudgePolicy()}))
    ep.script_faults([kind])
    async with client_for(ep) as client:
        content = (await ask(client, "judge me", model="judge")).choices[0].message.content
    if kind == "judge_not_json":
        with pytest.raises(ValueError):
            json.loads(unfence(content))
        return
    verdict = json.loads(unfence(content))
    if kind == "judge_no_score":
        assert "Score" not in verdict
    elif kind == "judge_out_of_range":
        assert verdict["Score"] in (0, 11)
    else:
        assert verdict["Score"] == "high"


async def test_scripted_faults_apply_in_order_then_stop(make_endpoint):
    ep = await make_endpoint(FIXED)
    ep.script_faults(["http_500", None, "http_503"])
    async with client_for(ep) as client:
        with pytest.raises(openai.InternalServerError):
            await ask(client, "1")
        await ask(client, "2")
        with pytest.raises(openai.InternalServerError):
            await ask(client, "3")
        await ask(client, "4")
    assert [r.fault for r in ep.records()] == ["http_500", None, "http_503", None]
    assert ep.stats().scripted_pending == 0


async def test_scripted_faults_for_a_model_skip_other_models(make_endpoint):
    ep = await make_endpoint(EndpointConfig(models={"judge": JudgePolicy()}))
    ep.script_faults(["http_500"], model="judge")
    async with client_for(ep) as client:
        await ask(client, "x", model="other")
        with pytest.raises(openai.InternalServerError):
            await ask(client, "x", model="judge")


def test_script_faults_rejects_unknown_kind():
    with pytest.raises(ValueError, match="unknown fault kind"):
        MockEndpoint().script_faults(["http_418"])  # type: ignore[list-item]


async def test_random_faults_never_exceed_max_consecutive(make_endpoint):
    faults = FaultConfig(p=1.0, kinds=("http_500",), max_consecutive=2)
    ep = await make_endpoint(FIXED.model_copy(update={"faults": faults}))
    outcomes = []
    async with client_for(ep) as client:
        for _ in range(6):
            try:
                await ask(client, "same request")
                outcomes.append("ok")
            except openai.InternalServerError:
                outcomes.append("fail")
    assert outcomes == ["fail", "fail", "ok", "fail", "fail", "ok"]
    assert list(ep.stats().attempts.values()) == [6]


async def test_a_client_retrying_three_times_always_gets_through(make_endpoint):
    kinds = tuple(k for k in TRANSIENT_FAULTS if k != "hang")
    faults = FaultConfig(p=0.7, kinds=kinds, seed=3, max_consecutive=2)
    ep = await make_endpoint(FIXED.model_copy(update={"faults": faults}))
    async with client_for(ep) as client:
        for i in range(30):
            for _attempt in range(3):
                try:
                    reply = await ask(client, f"request {i}")
                    if reply.choices:
                        break
                except (openai.APIError, ValueError):
                    pass
            else:
                pytest.fail(f"request {i} failed 3 times in a row")
    assert sum(ep.stats().by_fault.values()) > 0


async def test_random_faults_are_deterministic_per_seed(make_endpoint):
    faults = FaultConfig(p=0.5, kinds=("http_500", "http_503", "empty_content"), seed=11)
    config = FIXED.model_copy(update={"faults": faults})
    runs = []
    for _ in range(2):
        ep = await make_endpoint(config)
        async with client_for(ep) as client:
            for i in range(20):
                try:
                    await ask(client, f"q{i}")
                except openai.InternalServerError:
                    pass
        runs.append([(r.user_sha, r.fault) for r in ep.records()])
    assert runs[0] == runs[1]
    assert {fault for _, fault in runs[0]} >= {None}
    assert len({fault for _, fault in runs[0]}) > 1


async def test_judge_faults_are_drawn_only_for_judge_policy(make_endpoint):
    faults = FaultConfig(p=1.0, kinds=JUDGE_FAULTS)
    config = EndpointConfig(models={"judge": JudgePolicy()}, faults=faults)
    ep = await make_endpoint(config)
    async with client_for(ep) as client:
        plain = await ask(client, "x", model="other")
        await ask(client, "x", model="judge")
    assert plain.choices[0].message.content == "x"
    faults_seen = {r.model: r.fault for r in ep.records()}
    assert faults_seen["other"] is None
    assert faults_seen["judge"] in JUDGE_FAULTS


async def test_fault_counters_and_attempts(make_endpoint):
    ep = await make_endpoint(FIXED)
    ep.script_faults(["http_500", "http_500"])
    async with client_for(ep) as client:
        for _ in range(3):
            try:
                await ask(client, "retry me")
            except openai.InternalServerError:
                pass
    stats = ep.stats()
    assert stats.requests == 3
    assert stats.successes == 1
    assert stats.by_fault == {"http_500": 2}
    assert stats.by_status == {500: 2, 200: 1}
    assert stats.by_model == {"m": 3}
    key = ep.records()[0].key
    assert key is not None and stats.attempts == {key: 3}
    assert ep.records()[0].user_sha == prompt_key("retry me")
