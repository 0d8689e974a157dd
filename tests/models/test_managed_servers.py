"""vLLM and SGLang providers against a fake engine executable: arguments, readiness,
shutdown, crash and restart, and no orphan after ``kill -9`` of mteval.

A real GPU check is documented in docs/engines.md; here a small HTTP server
(tests/models/fake_engine.py) stands in for ``vllm serve`` and
``python -m sglang.launch_server``, reached through the real provider code.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from mteval.errors import ConfigError, EndpointError
from mteval.models import Model, RetryPolicy, create_api
from mteval.models.registry import resolve_api_key
from mteval.types import ChatMessage

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


class FakeEngines:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config_path = root / "fake.json"
        self.argv_log = root / "argv.jsonl"
        self.model = root / "checkpoint"
        self.model.mkdir()
        (self.model / "config.json").write_text('{"model_type": "fake"}')
        self.configure()

    def configure(self, **behaviour: Any) -> None:
        (self.root / "starts").unlink(missing_ok=True)
        self.config_path.write_text(
            json.dumps(
                {"argv_log": str(self.argv_log), "starts_file": str(self.root / "starts")}
                | behaviour
            )
        )

    def launches(self) -> list[dict[str, Any]]:
        if not self.argv_log.exists():
            return []
        return [json.loads(line) for line in self.argv_log.read_text().splitlines()]


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeEngines:
    engines = FakeEngines(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    vllm = bin_dir / "vllm"
    vllm.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "fake_engine.py"}" "$@"\n')
    vllm.chmod(0o755)
    package = tmp_path / "pkgs" / "sglang"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "launch_server.py").write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(HERE)!r})
            from fake_engine import main
            sys.exit(main(sys.argv[1:]))
            """
        )
    )
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join([str(SRC), str(tmp_path / "pkgs"), os.environ.get("PYTHONPATH", "")]),
    )
    monkeypatch.setenv("FAKE_ENGINE_CONFIG", str(engines.config_path))
    return engines


def _model(api: Any) -> Model:
    return Model(api, retry=RetryPolicy(base_delay_s=0.0, max_attempts=4, jitter=False))


HELLO = [ChatMessage(role="user", content="hello there")]


async def test_vllm_starts_with_its_flags_and_serves_through_the_openai_path(
    fakes: FakeEngines,
) -> None:
    api = create_api(f"vllm/{fakes.model}", options={"max_model_len": 4096, "enforce_eager": True})
    assert api.default_concurrency() == 256
    model = _model(api)
    try:
        await api.preflight()
        output = await model.generate(HELLO)
        assert output.content == "echo: hello there"
        (launch,) = fakes.launches()
        argv = launch["argv"]
        assert argv[:2] == ["serve", str(fakes.model)]
        port = argv[argv.index("--port") + 1]
        assert api.endpoint == f"http://127.0.0.1:{port}/v1"
        assert argv[argv.index("--served-model-name") + 1] == str(fakes.model)
        assert "--enable-prefix-caching" in argv
        assert argv[argv.index("--max-model-len") + 1] == "4096"
        assert "--enforce-eager" in argv
        assert argv[argv.index("--max-num-seqs") + 1] == "256"
        usage = api.engine_usage()
        assert usage is not None and usage["slots"] == 256 and usage["requests"] == 1
        # The cache identity names the weights, never the port.
        identity = api.cache_identity()
        assert identity["weights"].startswith("files:") and port not in json.dumps(identity)
    finally:
        await model.aclose()
    assert not _alive(launch["pid"])


async def test_sglang_starts_with_its_flags_and_concurrency_follows_max_running_requests(
    fakes: FakeEngines,
) -> None:
    api = create_api(
        f"sglang/{fakes.model}", options={"max_running_requests": 12, "context_length": 2048}
    )
    assert api.default_concurrency() == 12
    model = _model(api)
    try:
        await api.preflight()
        assert (await model.generate(HELLO)).content == "echo: hello there"
        argv = fakes.launches()[0]["argv"]
        assert argv[argv.index("--model-path") + 1] == str(fakes.model)
        assert argv[argv.index("--max-running-requests") + 1] == "12"
        assert argv[argv.index("--context-length") + 1] == "2048"
    finally:
        await model.aclose()
    assert not _alive(fakes.launches()[0]["pid"])


def test_local_engines_need_no_api_key_and_take_no_base_url() -> None:
    for provider in ("vllm", "sglang", "llamacpp", "hf"):
        assert resolve_api_key(provider, key_env=None, base_url=None, environ={}) is None
    with pytest.raises(ConfigError, match="starts its own vLLM server"):
        create_api("vllm/m", base_url="http://127.0.0.1:8000/v1")


async def test_an_engine_that_exits_while_loading_is_reported_with_its_log(
    fakes: FakeEngines,
) -> None:
    fakes.configure(exit_before_ready=True)
    api = create_api(f"vllm/{fakes.model}")
    with pytest.raises(EndpointError, match="(?s)exited.*CUDA out of memory while loading"):
        await api.preflight()


async def test_an_engine_not_ready_in_time_is_stopped_and_reported_with_its_log(
    fakes: FakeEngines,
) -> None:
    fakes.configure(never_ready=True)
    api = create_api(f"vllm/{fakes.model}", options={"ready_timeout": 1.5})
    with pytest.raises(EndpointError, match="(?s)not ready within 1.5 s.*loading weights"):
        await api.preflight()
    assert not _alive(fakes.launches()[0]["pid"])


async def test_an_engine_that_dies_mid_run_is_restarted_once_and_the_request_resent(
    fakes: FakeEngines,
) -> None:
    fakes.configure(die_on_starts=[1], die_after_requests=1)
    api = create_api(f"vllm/{fakes.model}")
    model = _model(api)
    try:
        await api.preflight()
        assert (await model.generate(HELLO)).content == "echo: hello there"
        second = [ChatMessage(role="user", content="second")]
        output = await model.generate(second)  # kills start 1; answered by start 2
        assert output.content == "echo: second"
        assert [launch["start"] for launch in fakes.launches()] == [1, 2]
        assert model.stats.failure_kinds.get("engine_died") == 1
    finally:
        await model.aclose()
    assert not any(_alive(launch["pid"]) for launch in fakes.launches())


async def test_a_second_death_stops_the_run_with_the_engine_log(fakes: FakeEngines) -> None:
    fakes.configure(die_on_starts=[1, 2], die_after_requests=0)
    api = create_api(f"sglang/{fakes.model}")
    model = _model(api)
    try:
        await api.preflight()
        with pytest.raises(EndpointError, match="(?s)died again after a restart.*segfault"):
            await model.generate(HELLO)
        assert len(fakes.launches()) == 2
    finally:
        await model.aclose()


def test_no_engine_outlives_a_kill_9_of_mteval(fakes: FakeEngines) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys, time
        from mteval.models import create_api

        async def main():
            api = create_api("vllm/{fakes.model}")
            await api.preflight()
            print("READY", flush=True)
            await asyncio.sleep(600)

        asyncio.run(main())
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "READY"
        engine_pid = fakes.launches()[0]["pid"]
        assert _alive(engine_pid)
        child.send_signal(signal.SIGKILL)
        child.wait()
        deadline = time.monotonic() + 10
        while _alive(engine_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(engine_pid), "the engine outlived mteval"
    finally:
        if child.poll() is None:
            child.kill()


def test_ctrl_c_of_a_cli_run_shuts_the_engine_down(fakes: FakeEngines, tmp_path: Path) -> None:
    fakes.configure(reply_delay_s=0.5)
    command = [
        sys.executable, "-m", "mteval.cli", "run", "--model", f"vllm/{fakes.model}",
        "--tasks", "recollection_multi_cls", "--limit", "1", "--judge", "",
        "--db", str(tmp_path / "mteval.db"), "--no-progress",
    ]  # fmt: skip
    run = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not fakes.launches() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # the engine is ready and answering the first turns
        engine_pid = fakes.launches()[0]["pid"]
        assert _alive(engine_pid) and run.poll() is None
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
        assert run.returncode == 130, stderr[-2000:]
        assert not _alive(engine_pid), "the engine outlived a Ctrl-C of mteval"
    finally:
        if run.poll() is None:
            run.kill()
