from __future__ import annotations

import asyncio
import json
from pathlib import Path

import openai
import pytest
from _endpoint_helpers import ask, client_for, wait_until

from mteval.testing import EndpointConfig, FixedPolicy, RequestRecord, read_request_log


def peak_overlap(records: list[RequestRecord]) -> int:
    # Ends sort before starts at equal times: a freed slot is handed straight on.
    events = sorted([(r.start, 1) for r in records] + [(r.end, -1) for r in records])
    peak = level = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


async def test_capacity_limits_requests_in_service_fifo(make_endpoint):
    ep = await make_endpoint(EndpointConfig(latency_s=0.2, max_concurrency=2))
    async with client_for(ep) as client:
        replies = await asyncio.gather(*(ask(client, f"q{i}") for i in range(6)))
    assert sorted(r.choices[0].message.content for r in replies) == [f"q{i}" for i in range(6)]
    records = ep.records()
    assert len(records) == 6
    assert peak_overlap(records) <= 2
    by_arrival = [r.seq for r in sorted(records, key=lambda r: r.seq)]
    by_start = [r.seq for r in sorted(records, key=lambda r: r.start)]
    assert by_start == by_arrival  # waiting requests are served in arrival order
    assert all(r.arrival <= r.start <= r.end for r in records)
    assert all(r.end - r.start >= 0.19 for r in records)
    # Three rounds of two: the span of service is at least 3 x 0.2 s.
    assert max(r.end for r in records) - min(r.start for r in records) >= 0.59
    stats = ep.stats()
    assert stats.max_in_service == 2
    assert stats.in_service == 0 and stats.queued == 0
    assert stats.queue_time_s > 0


async def test_service_time_grows_with_completion_tokens(make_endpoint):
    config = EndpointConfig(
        models={"m": FixedPolicy(text=" ".join(["word"] * 10))}, latency_s=0.05, per_token_s=0.01
    )
    ep = await make_endpoint(config)
    async with client_for(ep) as client:
        reply = await ask(client, "x")
    assert reply.usage is not None and reply.usage.completion_tokens == 10
    (record,) = ep.records()
    assert record.completion_tokens == 10
    assert record.end - record.start >= 0.15 - 0.005


async def test_status_faults_skip_the_queue(make_endpoint):
    ep = await make_endpoint(EndpointConfig(latency_s=0.3, max_concurrency=1))
    async with client_for(ep) as client:
        slow = asyncio.ensure_future(ask(client, "slow"))
        await wait_until(lambda: ep.stats().in_service == 1)
        ep.script_faults(["http_503"])
        with pytest.raises(openai.InternalServerError):
            await ask(client, "fast")
        assert ep.stats().in_service == 1  # answered while the slot was still taken
        await slow


async def test_log_has_one_line_per_request_with_all_fields(make_endpoint, tmp_path: Path):
    log = tmp_path / "logs" / "requests.jsonl"
    ep = await make_endpoint(EndpointConfig(), log_path=log)
    ep.script_faults([None, "http_500"])
    async with client_for(ep) as client:
        await ask(client, "a")
        with pytest.raises(openai.InternalServerError):
            await ask(client, "b")
        await ask(client, "c d")
    await ep.stop_async()
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3]
    assert set(lines[0]) == {
        "seq",
        "model",
        "key",
        "arrival",
        "start",
        "end",
        "status",
        "fault",
        "prompt_tokens",
        "completion_tokens",
        "user_sha",
    }
    assert [line["status"] for line in lines] == [200, 500, 200]
    assert [line["fault"] for line in lines] == [None, "http_500", None]
    assert lines[2]["completion_tokens"] == 2 and lines[2]["prompt_tokens"] == 2
    assert all(line["arrival"] <= line["start"] <= line["end"] for line in lines)
    assert lines == [r.to_json() for r in ep.records()]
    assert read_request_log(log) == ep.records()


async def test_log_is_flushed_while_running(make_endpoint, tmp_path: Path):
    log = tmp_path / "requests.jsonl"
    ep = await make_endpoint(EndpointConfig(), log_path=log)
    async with client_for(ep) as client:
        for i in range(3):
            await ask(client, str(i))

    def lines() -> int:
        return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0

    await wait_until(lambda: lines() == 3)


async def test_log_appends_across_restarts(make_endpoint, tmp_path: Path):
    log = tmp_path / "requests.jsonl"
    for _ in range(2):
        ep = await make_endpoint(EndpointConfig(), log_path=log)
        async with client_for(ep) as client:
            await ask(client, "x")
        await ep.stop_async()
    assert len(log.read_text(encoding="utf-8").splitlines()) == 2


async def test_overflow_above_answers_context_exceeded_500s(make_endpoint):
    ep = await make_endpoint(EndpointConfig(latency_s=0.3, overflow_above=2))
    async with client_for(ep) as client:
        results = await asyncio.gather(
            *(ask(client, f"q{i}") for i in range(5)), return_exceptions=True
        )
    failed = [r for r in results if isinstance(r, openai.InternalServerError)]
    assert len(failed) == 3 and len(results) - len(failed) == 2
    assert all("Context size has been exceeded" in str(r) for r in failed)
    stats = ep.stats()
    assert stats.overflows == 3 and stats.max_in_service == 2
    # Alone, every request is served.
    async with client_for(ep) as client:
        reply = await ask(client, "alone")
    assert reply.choices[0].message.content == "alone"
