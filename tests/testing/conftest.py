from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from mteval.testing import EndpointConfig, MockEndpoint

MakeEndpoint = Callable[..., Awaitable[MockEndpoint]]


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
async def make_endpoint() -> AsyncIterator[MakeEndpoint]:
    """Start endpoints on the test's loop; stop them all at teardown."""
    started: list[MockEndpoint] = []

    async def make(config: EndpointConfig | None = None, **kwargs: Any) -> MockEndpoint:
        endpoint = await MockEndpoint.start_async(config, **kwargs)
        started.append(endpoint)
        return endpoint

    yield make
    for endpoint in started:
        await endpoint.stop_async()
