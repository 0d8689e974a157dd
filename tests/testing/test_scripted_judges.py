"""The scripted judges have the properties they promise, over real HTTP."""

from __future__ import annotations

import asyncio
import json
import re

import numpy as np
import pytest
from _endpoint_helpers import ask, client_for

from mteval.analysis.audit_stats import PairVerdict, position_bias
from mteval.testing import EndpointConfig
from mteval.testing.judges import (
    base_score,
    consistent_judge,
    length_judge,
    length_score,
    noisy_judge,
    offset_judge,
    position_judge,
    replies_in,
    shifted_judge,
    tagged_model,
    tagged_reply,
)


def score_of(reply: str) -> int:
    match = re.search(r"\{.*\}", reply, re.S)
    assert match is not None, reply
    return int(json.loads(match.group(0))["Score"])


def prompt_for(reply: str, extra: str = "") -> str:
    return f"Evaluate.{extra}\nResponse to Evaluate:\n{reply}\nEnd."


async def test_noisy_judge_varies_with_the_seed_by_the_promised_noise(make_endpoint):
    ep = await make_endpoint(EndpointConfig(models={"noisy": noisy_judge()}))
    replies = [tagged_reply(f"q{i}") for i in range(30)]
    async with client_for(ep) as client:
        rows = []
        for reply in replies:
            answers = await asyncio.gather(
                *(ask(client, prompt_for(reply), model="noisy", seed=s) for s in range(8))
            )
            rows.append([score_of(a.choices[0].message.content) for a in answers])
    scores = np.array(rows, dtype=float)
    offsets = scores - np.array([[base_score(replies_in(r)[0])] for r in replies])
    assert set(np.unique(offsets)) <= {-1.0, 0.0, 1.0}
    assert np.var(offsets) == pytest.approx(2 / 3, abs=0.12)


async def test_consistent_offset_and_length_judges_score_as_promised(make_endpoint):
    ep = await make_endpoint(
        EndpointConfig(
            models={
                "same": consistent_judge(),
                "plus2": offset_judge(2),
                "long": length_judge(),
                "model": tagged_model(),
            }
        )
    )
    async with client_for(ep) as client:
        reply = (await ask(client, "a question", model="model")).choices[0].message.content
        prompt = prompt_for(reply)
        same = [
            score_of((await ask(client, prompt, model="same", seed=s)).choices[0].message.content)
            for s in range(3)
        ]
        plus2 = score_of((await ask(client, prompt, model="plus2")).choices[0].message.content)
        long = score_of((await ask(client, prompt, model="long")).choices[0].message.content)
    assert reply == tagged_reply(
        json.dumps([{"role": "user", "content": "a question"}], sort_keys=True)
    )
    assert same == [base_score(replies_in(reply)[0])] * 3
    assert plus2 == same[0] + 2
    assert long == length_score(replies_in(reply)[0])


async def test_shifted_judge_shifts_only_the_chosen_prompts(make_endpoint):
    ep = await make_endpoint(
        EndpointConfig(models={"hist": shifted_judge(1, lambda p: "HISTORY" in p)})
    )
    reply = tagged_reply("x")
    async with client_for(ep) as client:
        plain = score_of(
            (await ask(client, prompt_for(reply), model="hist")).choices[0].message.content
        )
        shifted = score_of(
            (await ask(client, prompt_for(reply, " HISTORY"), model="hist"))
            .choices[0]
            .message.content
        )
    assert shifted == plain + 1


async def test_position_judge_has_the_promised_bias(make_endpoint):
    ep = await make_endpoint(EndpointConfig(models={"pair": position_judge(0.3)}))
    pairs = []
    async with client_for(ep) as client:
        for i in range(300):
            x, y = tagged_reply(f"x{i}"), tagged_reply(f"y{i}")
            first, second = await asyncio.gather(
                ask(client, f"Q{i} [[A]] or [[B]]?\n[A] {x}\n[B] {y}", model="pair"),
                ask(client, f"Q{i} [[A]] or [[B]]?\n[A] {y}\n[B] {x}", model="pair"),
            )
            verdicts = [
                re.search(r"\[\[(A|B)\]\]", r.choices[0].message.content).group(1)  # type: ignore[union-attr]
                for r in (first, second)
            ]
            pairs.append(PairVerdict(first=verdicts[0], second=verdicts[1], words_x=1, words_y=1))
    result = position_bias(pairs)
    # Binomial SE at n=300: 0.026 for the consistency rate; 0.019 for the share.
    assert result.consistency_rate == pytest.approx(0.7, abs=0.08)
    assert result.first_position_win_share == pytest.approx(0.65, abs=0.06)
