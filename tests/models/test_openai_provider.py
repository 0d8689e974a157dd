"""The OpenAI-compatible provider against a real local HTTP server."""

from __future__ import annotations

import pytest

from mteval.errors import ConfigError, EndpointError
from mteval.models import Model, RequestFailed, RetryPolicy, create_api, parse_model_spec
from mteval.models.providers.openai import redact
from mteval.models.registry import resolve_api_key
from mteval.testing import EndpointConfig, FaultConfig, FixedPolicy, MockEndpoint
from mteval.types import ChatMessage, GenerateConfig

MESSAGES = [ChatMessage(role="system", content="sys"), ChatMessage(role="user", content="hi")]


async def _no_sleep(_: float) -> None:
    return None


def model_for(endpoint: MockEndpoint, *, key: str | None = None, timeout: float = 5.0) -> Model:
    api = create_api("openai/m", base_url=endpoint.base_url, api_key=key, timeout_s=timeout)
    return Model(api, retry=RetryPolicy(max_attempts=4, jitter=False), sleep=_no_sleep)


async def test_reply_usage_and_settings_round_trip() -> None:
    seen: list[dict[str, object]] = []

    def policy(body: dict[str, object]) -> str:
        seen.append(body)
        return "pong"

    from mteval.testing import CallablePolicy

    config = EndpointConfig(models={"m": CallablePolicy(fn=policy)})
    async with MockEndpoint(config) as endpoint:
        model = model_for(endpoint)
        settings = GenerateConfig(extra={"top_k": 20, "seed": None})
        output = await model.generate(MESSAGES, config=settings)
        await model.aclose()
    assert output.content == "pong" and output.finish_reason == "stop"
    assert output.usage is not None and output.usage.completion_tokens > 0
    body = seen[0]
    assert body["messages"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hi"},
    ]
    assert body["temperature"] == 0.0 and body["max_tokens"] == 1024
    assert body["top_k"] == 20 and "seed" not in body


@pytest.mark.parametrize(
    "fault",
    [
        "http_500",
        "http_502",
        "http_503",
        "http_429",
        "http_429_no_retry_after",
        "reset",
        "bad_json",
        "no_choices",
        "hang",
    ],
)
async def test_transient_faults_are_retried_until_success(fault: str) -> None:
    config = EndpointConfig(models={"m": FixedPolicy(text="fine")})
    async with MockEndpoint(config) as endpoint:
        endpoint.script_faults([fault, fault])
        model = model_for(endpoint, timeout=0.5)
        output = await model.generate(MESSAGES)
        await model.aclose()
        assert output.content == "fine" and output.attempts == 3
        assert model.stats.retries == 2


async def test_exhausted_retries_fail_with_the_reason() -> None:
    config = EndpointConfig(models={"m": FixedPolicy(text="x")})
    async with MockEndpoint(config) as endpoint:
        endpoint.script_faults(["http_503"] * 4)
        model = model_for(endpoint)
        with pytest.raises(RequestFailed, match="HTTP 503") as info:
            await model.generate(MESSAGES)
        await model.aclose()
    assert info.value.attempts == 4


async def test_wrong_key_is_fatal_and_never_shown() -> None:
    secret = "sk-test-0123456789abcdef"
    config = EndpointConfig(models={"m": FixedPolicy(text="x")}, api_key="right-key")
    async with MockEndpoint(config) as endpoint:
        model = model_for(endpoint, key=secret)
        with pytest.raises(EndpointError) as info:
            await model.generate(MESSAGES)
        with pytest.raises(EndpointError, match="rejected the API key"):
            await model.api.preflight()
        await model.aclose()
    assert secret not in str(info.value) and "HTTP 401" in str(info.value)


async def test_unknown_model_is_fatal() -> None:
    config = EndpointConfig(models={"other": FixedPolicy(text="x")}, default_policy=None)
    async with MockEndpoint(config) as endpoint:
        model = model_for(endpoint)
        with pytest.raises(EndpointError, match="HTTP 404"):
            await model.generate(MESSAGES)
        await model.aclose()


async def test_unreachable_endpoint_fails_preflight_clearly() -> None:
    api = create_api("openai/m", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(EndpointError, match="cannot reach http://127.0.0.1:9/v1"):
        await api.preflight()
    await api.aclose()


async def test_unreachable_endpoint_says_connection_refused() -> None:
    api = create_api("openai/m", base_url="http://127.0.0.1:9/v1", timeout_s=5.0)
    with pytest.raises(EndpointError, match="connection refused"):
        await api.preflight()
    model = Model(api, retry=RetryPolicy(max_attempts=2, jitter=False), sleep=_no_sleep)
    with pytest.raises(RequestFailed, match="connection refused") as failed:
        await model.generate(MESSAGES)
    assert "timed out" not in str(failed.value)
    await model.aclose()


async def test_capacity_errors_are_flagged_for_the_controller() -> None:
    faults = FaultConfig(p=1.0, kinds=("http_503",), max_consecutive=1)
    async with MockEndpoint(EndpointConfig(faults=faults)) as endpoint:
        api = create_api("openai/m", base_url=endpoint.base_url, timeout_s=5.0)
        try:
            await api.generate(MESSAGES, GenerateConfig())
        except Exception as exc:  # the provider's own exception, classified below
            info = api.classify_error(exc)
        await api.aclose()
    assert info.kind == "server" and info.retryable and info.capacity


async def test_finish_reason_length_is_kept_not_retried() -> None:
    config = EndpointConfig(
        models={"m": FixedPolicy(text="a long answer")},
        faults=FaultConfig(p=1.0, kinds=("length",), max_consecutive=1),
    )
    async with MockEndpoint(config) as endpoint:
        model = model_for(endpoint)
        output = await model.generate(MESSAGES)
        await model.aclose()
    assert output.finish_reason == "length" and output.attempts == 1


def test_model_specs() -> None:
    assert parse_model_spec("openai/gpt-4o-mini") == ("openai", "gpt-4o-mini")
    assert parse_model_spec("openai/meta-llama/Llama-3-8B") == ("openai", "meta-llama/Llama-3-8B")
    for bad in ("gpt-4o", "openai/", "/x", "vertex/gemini"):
        with pytest.raises(ConfigError, match="PROVIDER/MODEL|unknown provider"):
            parse_model_spec(bad)


def test_api_keys_come_from_the_environment_only() -> None:
    assert (
        resolve_api_key("openai", key_env=None, base_url=None, environ={"OPENAI_API_KEY": "k"})
        == "k"
    )
    assert (
        resolve_api_key("openai", key_env="MY_KEY", base_url=None, environ={"MY_KEY": "m"}) == "m"
    )
    assert resolve_api_key("openai", key_env=None, base_url="http://x/v1", environ={}) is None
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        resolve_api_key("openai", key_env=None, base_url=None, environ={})
    with pytest.raises(ConfigError, match="MY_KEY"):
        resolve_api_key("openai", key_env="MY_KEY", base_url=None, environ={})


def test_redact_removes_keys() -> None:
    text = "Incorrect API key provided: sk-abc123456789. Bearer tok-9999999 and secret-xyz"
    cleaned = redact(text, ["secret-xyz"])
    assert "sk-abc123456789" not in cleaned and "secret-xyz" not in cleaned
    assert "Bearer ***" in cleaned
