from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
from _endpoint_helpers import ask, client_for

from mteval.testing import (
    CallablePolicy,
    ChoicePolicy,
    EndpointConfig,
    FixedPolicy,
    JudgePolicy,
    ReplayPolicy,
    choice_for_prompt,
    judge_reply,
    prompt_key,
    score_for_prompt,
)


async def test_echo_replies_with_last_user_message(make_endpoint):
    ep = await make_endpoint()
    async with client_for(ep) as client:
        reply = await client.chat.completions.create(
            model="anything",
            messages=[
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": "first question"},
                {"role": "assistant", "content": "first answer"},
                {"role": "user", "content": "second question here"},
            ],
        )
    assert reply.object == "chat.completion"
    assert reply.model == "anything"
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content == "second question here"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == 2 + 2 + 2 + 3
    assert reply.usage.completion_tokens == 3
    assert reply.usage.total_tokens == 12


async def test_fixed_policy_replies_its_text(make_endpoint):
    ep = await make_endpoint(EndpointConfig(models={"m": FixedPolicy(text="Always this.")}))
    async with client_for(ep) as client:
        reply = await ask(client, "whatever")
    assert reply.choices[0].message.content == "Always this."


async def test_choice_policy_picks_by_prompt_hash(make_endpoint, tmp_path: Path):
    verdicts = ("Rating: [[3]]", "Rating: [[7.5]]", "[[A]]", "no verdict")
    config_file = tmp_path / "endpoint.json"
    config_file.write_text(
        json.dumps({"models": {"m": {"kind": "choice", "replies": list(verdicts)}}}),
        encoding="utf-8",
    )
    from mteval.testing import load_config

    ep = await make_endpoint(load_config(config_file))
    prompts = [f"judge this {i}" for i in range(12)]
    async with client_for(ep) as client:
        for prompt in prompts:
            reply = await ask(client, prompt, model="m")
            expected = verdicts[int(prompt_key(prompt), 16) % len(verdicts)]
            assert reply.choices[0].message.content == expected
            assert choice_for_prompt(prompt, verdicts) == expected
    assert len({choice_for_prompt(p, verdicts) for p in prompts}) > 1
    with pytest.raises(ValueError):
        ChoicePolicy(replies=())


async def test_replay_policy_looks_up_prompt_key_and_falls_back(make_endpoint):
    policy = ReplayPolicy(replies={prompt_key("known"): "the answer"}, fallback="no idea")
    ep = await make_endpoint(EndpointConfig(models={"m": policy}))
    async with client_for(ep) as client:
        known = await ask(client, "known")
        unknown = await ask(client, "unknown")
    assert known.choices[0].message.content == "the answer"
    assert unknown.choices[0].message.content == "no idea"


async def test_replay_policy_reads_mapping_file(make_endpoint, tmp_path: Path):
    mapping = tmp_path / "replies.json"
    mapping.write_text(json.dumps({prompt_key("from file"): "file reply"}), encoding="utf-8")
    ep = await make_endpoint(EndpointConfig(models={"m": ReplayPolicy(path=mapping)}))
    async with client_for(ep) as client:
        known = await ask(client, "from file")
        unknown = await ask(client, "not in file")
    assert known.choices[0].message.content == "file reply"
    assert unknown.choices[0].message.content == "I don't know."


async def test_judge_policy_gives_fenced_deterministic_score(make_endpoint):
    ep = await make_endpoint(EndpointConfig(models={"judge": JudgePolicy()}))
    prompt = "Rate this answer: 42"
    async with client_for(ep) as client:
        reply = await ask(client, prompt, model="judge")
    content = reply.choices[0].message.content
    assert content == judge_reply(prompt)
    assert content.startswith("```json\n") and content.endswith("\n```")
    verdict = json.loads(content.removeprefix("```json\n").removesuffix("\n```"))
    assert verdict["Score"] == score_for_prompt(prompt)
    assert isinstance(verdict["Rationale"], str)


async def test_judge_policy_without_fence_replies_bare_json(make_endpoint):
    ep = await make_endpoint(EndpointConfig(models={"judge": JudgePolicy(fence=False)}))
    async with client_for(ep) as client:
        reply = await ask(client, "p", model="judge")
    assert json.loads(reply.choices[0].message.content)["Score"] == score_for_prompt("p")


def test_score_for_prompt_is_sha256_mod_10_plus_1():
    scores = {score_for_prompt(f"prompt {i}") for i in range(200)}
    assert scores == set(range(1, 11))
    assert score_for_prompt("x") == 1 + int(prompt_key("x"), 16) % 10


async def test_callable_policy_sees_request_body(make_endpoint):
    seen: list[dict[str, Any]] = []

    def reply(body: dict[str, Any]) -> str:
        seen.append(body)
        return f"{body['model']} got {len(body['messages'])} messages"

    ep = await make_endpoint(EndpointConfig(models={"m": CallablePolicy(fn=reply)}))
    async with client_for(ep) as client:
        out = await ask(client, "hi", temperature=0)
    assert out.choices[0].message.content == "m got 1 messages"
    assert seen[0]["temperature"] == 0


async def test_async_callable_policy_is_awaited(make_endpoint):
    async def reply(body: dict[str, Any]) -> str:
        return "async reply"

    ep = await make_endpoint(EndpointConfig(default_policy=CallablePolicy(fn=reply)))
    async with client_for(ep) as client:
        out = await ask(client, "hi")
    assert out.choices[0].message.content == "async reply"


async def test_failing_callable_policy_is_a_500(make_endpoint):
    def reply(body: dict[str, Any]) -> str:
        raise RuntimeError("boom")

    ep = await make_endpoint(EndpointConfig(default_policy=CallablePolicy(fn=reply)))
    async with client_for(ep) as client:
        with pytest.raises(openai.InternalServerError):
            await ask(client, "hi")


async def test_policy_is_chosen_by_model(make_endpoint):
    config = EndpointConfig(
        models={"a": FixedPolicy(text="from a"), "b": FixedPolicy(text="from b")}
    )
    ep = await make_endpoint(config)
    async with client_for(ep) as client:
        a = await ask(client, "x", model="a")
        b = await ask(client, "x", model="b")
        other = await ask(client, "x", model="c")
    assert [r.choices[0].message.content for r in (a, b, other)] == ["from a", "from b", "x"]


async def test_unknown_model_without_default_policy_is_404(make_endpoint):
    ep = await make_endpoint(
        EndpointConfig(models={"a": FixedPolicy(text="a")}, default_policy=None)
    )
    async with client_for(ep) as client:
        with pytest.raises(openai.NotFoundError) as info:
            await ask(client, "x", model="nope")
    assert info.value.code == "model_not_found"


async def test_wrong_api_key_is_401_invalid_api_key(make_endpoint):
    ep = await make_endpoint(EndpointConfig(api_key="secret"))
    async with client_for(ep, api_key="wrong") as client:
        with pytest.raises(openai.AuthenticationError) as info:
            await ask(client, "x")
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"


async def test_right_api_key_is_accepted(make_endpoint):
    ep = await make_endpoint(EndpointConfig(api_key="secret"))
    async with client_for(ep, api_key="secret") as client:
        reply = await ask(client, "x")
    assert reply.choices[0].message.content == "x"


async def test_streaming_is_rejected_with_400(make_endpoint):
    ep = await make_endpoint()
    async with client_for(ep) as client:
        with pytest.raises(openai.BadRequestError) as info:
            await ask(client, "x", stream=True)
    assert info.value.type == "invalid_request_error"


async def test_models_lists_configured_models(make_endpoint):
    ep = await make_endpoint(
        EndpointConfig(models={"a": FixedPolicy(text="a"), "judge": JudgePolicy()})
    )
    async with client_for(ep) as client:
        page = await client.models.list()
    assert [m.id for m in page.data] == ["a", "judge"]
