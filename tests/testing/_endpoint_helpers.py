"""Helpers shared by the mock endpoint's tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import openai

from mteval.testing import MockEndpoint


def client_for(
    endpoint: MockEndpoint, *, api_key: str = "test-key", timeout: float = 5.0
) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=endpoint.base_url, api_key=api_key, max_retries=0, timeout=timeout
    )


async def ask(client: openai.AsyncOpenAI, text: str, *, model: str = "m", **kwargs: Any) -> Any:
    return await client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}], **kwargs
    )


async def wait_until(predicate: Callable[[], bool], *, timeout: float = 5.0) -> None:
    """Poll ``predicate`` until it holds; fail after ``timeout`` seconds."""

    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout)
