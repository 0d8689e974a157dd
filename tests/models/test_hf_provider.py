"""The in-process transformers provider on the real SmolLM2 weights: dynamic batching
on one worker thread, greedy by default, the event loop free while it generates."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mteval.models import Model, create_api
from mteval.types import ChatMessage, GenerateConfig

from mteval_test_support import require, smollm2_path


@pytest.fixture
async def hf_api() -> AsyncIterator[Any]:
    require("transformers", "transformers (pip install 'mteval[hf]')")
    require("gguf", "gguf (pip install 'mteval[hf]')")
    api = create_api(f"hf/{smollm2_path()}", options={"batch_size": 4})
    await api.preflight()
    try:
        yield api
    finally:
        await api.aclose()


async def test_pending_requests_are_batched_greedily_off_the_event_loop(hf_api: Any) -> None:
    model = Model(hf_api, config=GenerateConfig(max_tokens=8))
    questions = [f"What is {n} plus {n}?" for n in range(1, 6)]
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    try:
        outputs = await asyncio.gather(
            *(model.generate([ChatMessage(role="user", content=q)]) for q in questions)
        )
    finally:
        tick.cancel()
    assert all(o.content.strip() for o in outputs)
    assert all(o.finish_reason in ("stop", "length") for o in outputs)
    # Five requests at once, at most four per batch: two batches, not five calls.
    assert len(hf_api.batches) == 2 and sum(hf_api.batches) == 5
    # Generation ran on the worker thread: the loop kept ticking.
    assert max(gaps) < 0.5
    # Greedy by default: the same request twice gives the same reply.
    message = [ChatMessage(role="user", content="Name a colour.")]
    first = await model.generate(message, use_cache=False)
    second = await model.generate(message, use_cache=False)
    assert first.content == second.content
    assert hf_api.cache_identity()["weights"].startswith("sha256:")
