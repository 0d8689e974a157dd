from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import openai
import pytest
from _endpoint_helpers import ask

from mteval.testing import prompt_key, score_for_prompt

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGTERM")


async def spawn(*args: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mteval.testing.endpoint",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def test_subprocess_prints_ready_serves_and_exits_cleanly_on_sigterm(tmp_path: Path):
    (tmp_path / "replies.json").write_text(json.dumps({prompt_key("hi"): "hello!"}))
    config = {
        "models": {"judge": {"kind": "judge"}, "bot": {"kind": "replay", "path": "replies.json"}},
        "api_key": "secret",
    }
    (tmp_path / "cfg.json").write_text(json.dumps(config))
    log = tmp_path / "requests.jsonl"
    process = await spawn(
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--config",
        str(tmp_path / "cfg.json"),
        "--log",
        str(log),
    )
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line.startswith("READY http://127.0.0.1:") and line.endswith("/v1\n")
        base_url = line.split()[1]
        async with openai.AsyncOpenAI(base_url=base_url, api_key="secret", max_retries=0) as c:
            replay = await ask(c, "hi", model="bot")
            judged = await ask(c, "judge this", model="judge")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert out == b""  # READY was the one and only line
    assert replay.choices[0].message.content == "hello!"
    assert f'"Score": {score_for_prompt("judge this")}' in judged.choices[0].message.content
    records = [json.loads(x) for x in log.read_text().splitlines()]
    assert [r["model"] for r in records] == ["bot", "judge"]
    assert [r["status"] for r in records] == [200, 200]


async def test_subprocess_rejects_a_bad_config(tmp_path: Path):
    (tmp_path / "cfg.json").write_text('{"latency_s": -1}')
    process = await spawn("--config", str(tmp_path / "cfg.json"))
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert out == b""
    assert b"latency_s" in err
