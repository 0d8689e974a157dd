"""A real store written by real `mteval run`s, and a real `mteval view` process."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from mteval_test_support import DATA_DIR, EndpointProcess, reference_replies, subprocess_env

TASKS = "refinement_multi,expansion_multi,follow-up_multi,recollection_multi_cls"
LIMIT = 2
# Replies that must render as text, keyed by the refinement dialogue's answered turns.
ESCAPES = (
    "<script>alert('xss')</script> plain <b>bold?</b>",
    "</textarea><textarea>broken out",
    '[click me](javascript:alert(1)) and <a href="javascript:alert(2)">raw link</a>',
    "A **safe** [link](https://example.com/page) and `code`",
)
MT_BENCH_VERDICTS = ["Rating: [[8]]", "Fine. Rating: [[5]]", "Rating: [[3]]", "No rating."]
BIG_REPLY = ("One megabyte of reply. " * 46_000)[:1_000_000] + "<script>END</script>"


def escape_replies() -> dict[str, str]:
    """Replay map: the reference replies, with the escaping cases on refinement dialogue 0."""
    from mteval.benchmarks.mt_eval import SourceFiles
    from mteval.benchmarks.mt_eval.tasks import TASKS as SPECS

    replies = reference_replies(TASKS.split(","))
    dialogue = SPECS["refinement_multi"].load(SourceFiles(DATA_DIR)).dialogues[0]
    answered = [t for t in dialogue.turns if t.do_inference]
    for turn, reply in zip(answered, (*ESCAPES, BIG_REPLY), strict=False):
        replies[hashlib.sha256(turn.user.encode("utf-8")).hexdigest()] = reply
    return replies


def run_args(model: str, base_url: str, judge_url: str, db: Path, out: Path) -> list[str]:
    return [
        "run",
        "--model",
        f"openai/{model}",
        "--model-base-url",
        base_url,
        "--judge",
        "openai/judge",
        "--judge-base-url",
        judge_url,
        "--tasks",
        TASKS,
        "--limit",
        str(LIMIT),
        "--db",
        str(db),
        "--output-dir",
        str(out),
        "--max-connections",
        "16",
        "--no-progress",
    ]


def has_mt_bench() -> bool:
    """Whether this mteval can run MT-Bench (its plug-in is registered)."""
    from mteval.benchmarks import REGISTRY

    return "mt-bench" in REGISTRY


def mt_bench_args(base_url: str, db: Path, out: Path) -> list[str]:
    return [
        "run",
        "--benchmark",
        "mt-bench",
        "--model",
        "openai/echo",
        "--model-base-url",
        base_url,
        "--judge",
        "openai/rating-judge",
        "--judge-base-url",
        base_url,
        "--tasks",
        "writing,math",
        "--db",
        str(db),
        "--output-dir",
        str(out),
        "--no-progress",
    ]


def start_endpoints(workdir: Path) -> tuple[EndpointProcess, EndpointProcess]:
    """A clean endpoint (replay, echo, judge) and a faulty one (20% HTTP 500s)."""
    replies = workdir / "replies.json"
    workdir.mkdir(parents=True, exist_ok=True)
    replies.write_text(json.dumps(escape_replies()), encoding="utf-8")
    models = {
        "judge": {"kind": "judge"},
        "echo": {"kind": "echo"},
        "replay": {"kind": "replay", "path": str(replies)},
        # MT-Bench's judge answers "Rating: [[N]]"; one reply in four has no rating.
        "rating-judge": {"kind": "choice", "replies": MT_BENCH_VERDICTS},
    }
    clean = EndpointProcess({"models": models}, workdir / "clean")
    faulty = EndpointProcess(
        {"models": models, "faults": {"p": 0.2, "kinds": ["http_500"], "seed": 3}},
        workdir / "faulty",
    )
    return clean, faulty


def run_mteval(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mteval.cli", *args],
        cwd=cwd,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


class ViewerProcess:
    """`mteval view` in its own process; ``url`` is where it listens."""

    def __init__(self, db: Path, *extra: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mteval.cli", "view", "--db", str(db), "--port", "0", *extra],
            cwd=cwd,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"(http://\S+/)", line)
        if not found:
            self.stop()
            raise RuntimeError(f"mteval view did not start: {line!r} {self.stderr()}")
        self.url = found.group(1).rstrip("/")
        deadline = time.monotonic() + 30
        while True:
            try:
                self.get("/api/runs")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def json(self, path: str) -> Any:
        return json.loads(self.get(path)[1])

    def stderr(self) -> str:
        if self.process.poll() is None:
            return ""
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
