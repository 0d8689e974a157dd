from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import openai
import pytest
from _endpoint_helpers import ask, client_for

from mteval.testing import EndpointConfig, FixedPolicy, MockEndpoint


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_runs_in_a_background_thread_with_a_sync_client():
    with MockEndpoint(EndpointConfig(models={"m": FixedPolicy(text="hi")})) as ep:
        assert ep.base_url == f"http://127.0.0.1:{ep.port}/v1"
        client = openai.OpenAI(base_url=ep.base_url, api_key="k", max_retries=0, timeout=5)
        reply = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )
        assert reply.choices[0].message.content == "hi"
        assert ep.stats().requests == 1
        client.close()


def test_start_and_stop_classmethod():
    ep = MockEndpoint.start()
    try:
        status, body = http("GET", f"{ep.url}/stats")
        assert status == 200 and body["requests"] == 0
    finally:
        ep.stop()
    with pytest.raises(RuntimeError):
        _ = ep.base_url


def test_stats_and_reset_routes():
    with MockEndpoint() as ep:
        body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x"}]})
        status, reply = http("POST", f"{ep.base_url}/chat/completions", body.encode())
        assert status == 200 and reply["choices"][0]["message"]["content"] == "x"
        status, stats = http("GET", f"{ep.url}/stats")
        assert status == 200
        assert stats["requests"] == 1 and stats["successes"] == 1
        assert stats["by_model"] == {"m": 1}
        assert stats == json.loads(ep.stats().model_dump_json())
        assert http("POST", f"{ep.url}/reset", b"")[0] == 200
        assert ep.stats().requests == 0
        assert ep.records() == []


def test_unprefixed_chat_route_is_served():
    with MockEndpoint() as ep:
        body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "y"}]})
        status, reply = http("POST", f"{ep.url}/chat/completions", body.encode())
    assert status == 200 and reply["choices"][0]["message"]["content"] == "y"


def test_unknown_route_is_a_json_404():
    with MockEndpoint() as ep:
        status, body = http("GET", f"{ep.url}/nowhere")
    assert status == 404
    assert set(body["error"]) >= {"message", "type", "code"}


@pytest.mark.parametrize(
    "payload, fragment",
    [
        (b"not json", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"messages": [{"role": "user", "content": "x"}]}', "model"),
        (b'{"model": "m", "messages": []}', "messages"),
    ],
)
def test_bad_requests_are_400_with_openai_error_body(payload, fragment):
    with MockEndpoint() as ep:
        status, body = http("POST", f"{ep.base_url}/chat/completions", payload)
        assert ep.stats().by_status == {400: 1}
    assert status == 400
    assert fragment in body["error"]["message"]
    assert body["error"]["type"] == "invalid_request_error"


async def test_set_config_changes_replies(make_endpoint):
    ep = await make_endpoint()
    async with client_for(ep) as client:
        assert (await ask(client, "x")).choices[0].message.content == "x"
        ep.set_config(EndpointConfig(default_policy=FixedPolicy(text="new")))
        assert (await ask(client, "x")).choices[0].message.content == "new"
    assert ep.config.default_policy == FixedPolicy(text="new")


async def test_async_context_manager_serves_on_running_loop():
    async with MockEndpoint() as ep, client_for(ep) as client:
        assert (await ask(client, "x")).choices[0].message.content == "x"


async def test_starting_twice_is_an_error():
    async with MockEndpoint() as ep:
        with pytest.raises(RuntimeError):
            await ep.__aenter__()
        with pytest.raises(RuntimeError, match="stop_async"):
            ep.stop()


def test_constructor_has_no_side_effects():
    ep = MockEndpoint(port=1)  # would fail to bind if it tried
    with pytest.raises(RuntimeError):
        _ = ep.url


def test_v1_only_endpoint_refuses_a_base_url_without_v1():
    # Issue 9, finding 6: with the unprefixed routes served, a client configured without
    # /v1 worked against the scripted endpoint and would fail against vLLM or OpenAI.
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "y"}]}).encode()
    with MockEndpoint(EndpointConfig(v1_only=True)) as ep:
        assert http("POST", f"{ep.url}/chat/completions", body)[0] == 404
        assert http("GET", f"{ep.url}/models")[0] == 404
        status, reply = http("POST", f"{ep.base_url}/chat/completions", body)
    assert status == 200 and reply["choices"][0]["message"]["content"] == "y"
