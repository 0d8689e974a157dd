"""MT-Bench-101 end to end: the real CLI, real HTTP to scripted endpoints, a real SQLite store.

Every expectation comes from OpenCompass's rules restated in
``mt_bench_101_opencompass`` (no mteval code): what the model receives for
each evaluated turn, the judge's one message, the rating read from each
scripted reply, and the summarizer's numbers.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mt_bench_101_opencompass import (
    MTB101_DIR,
    first_bracketed_integer,
    oracle_items,
    oracle_judge_message,
    read_rows,
    summarize,
)
from mteval.benchmarks.mt_bench_101 import TASKS, system_prompt
from mteval.testing import choice_for_prompt

from mteval_test_support import results_json, run_cli, stored_requests, subprocess_env

# The scripted judge picks one of these by a hash of its prompt.
JUDGE_REPLIES = [
    "The response recalls the details. Rating: [[8]]",
    "Rating: [[3]]",
    "Step [2] is wrong, so Rating: [[6]]",  # the first bracketed integer is 2
    "I cannot rate this response.",  # no rating: dropped by OpenCompass, a judge error here
    "Rating: [[10]]",
]
LIMIT = 3


def endpoint_config(**extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "models": {
            "judge": {"kind": "choice", "replies": JUDGE_REPLIES},
            "echo": {"kind": "echo"},
        }
    }
    config.update(extra)
    return config


def run_args(url: str, db: Path, out: Path, *extra: str, progress: bool = False) -> list[str]:
    return [
        "run",
        "--benchmark",
        "mt-bench-101",
        "--model",
        "openai/echo",
        "--model-base-url",
        url,
        "--judge",
        "openai/judge",
        "--judge-base-url",
        url,
        "--data-dir",
        str(MTB101_DIR),
        "--db",
        str(db),
        "--output-dir",
        str(out),
        "--retry-base-delay",
        "0.01",
        "--progress" if progress else "--no-progress",
        *extra,
    ]


def expected_items(limit: int) -> list[dict[str, Any]]:
    """The oracle's evaluated turns of the first ``limit`` dialogues of each task, file order."""
    prompts = {task: system_prompt(task) for task in TASKS}
    seen: Counter[str] = Counter()
    items = []
    for row in read_rows():
        seen[row["task"]] += 1
        if seen[row["task"]] <= limit:
            items.extend(oracle_items(row, prompts))
    return items


def test_sends_opencompass_messages_and_scores_as_its_summarizer(
    tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process(endpoint_config())
    db, out = tmp_path / "m.db", tmp_path / "out"
    result = run_cli(run_args(endpoint.base_url, db, out, "--limit", str(LIMIT)), cwd=tmp_path)
    # Replies without a rating are judge errors: the run ends incomplete (exit 3).
    assert result.returncode == 3, result.stderr
    items = expected_items(LIMIT)
    sent = stored_requests(db)
    model_requests = [r for r in sent if r["model"] == "echo"]
    judge_requests = [r for r in sent if r["model"] == "judge"]

    # The model: golden history plus the current user turn, no system message, no seed.
    expected_inputs = Counter(json.dumps(i["model_input"], sort_keys=True) for i in items)
    sent_inputs = Counter(json.dumps(r["messages"], sort_keys=True) for r in model_requests)
    assert sent_inputs == expected_inputs
    assert all("seed" not in r["settings"] for r in model_requests)

    # The judge: one user message, byte-identical to OpenCompass's (echo answers with the
    # user's own message, so every answer is known).
    expected_prompts = Counter(
        oracle_judge_message(i, i["model_input"][-1]["content"]) for i in items
    )
    got_prompts = Counter()
    for request in judge_requests:
        assert len(request["messages"]) == 1 and request["messages"][0]["role"] == "user"
        got_prompts[request["messages"][0]["content"]] += 1
    assert got_prompts == expected_prompts
    assert len(judge_requests) == len(items)  # asked once each, even when unparsable

    # Scores: the summarizer's rules over the scripted replies, computed by hand.
    ratings = []
    for item in items:
        prompt = oracle_judge_message(item, item["model_input"][-1]["content"])
        ratings.append(
            (
                item["task"],
                item["id"],
                first_bracketed_integer(choice_for_prompt(prompt, JUDGE_REPLIES)),
            )
        )
    unparsable = [(t, d) for t, d, r in ratings if r is None]
    assert unparsable, "the scripted judge must leave some turns without a rating"
    expected = summarize(ratings)
    data = results_json(out)
    assert data["benchmark"] == "mt-bench-101"
    assert data["scores"]["average"] == expected["average"]
    assert data["scores"]["average_unrounded"] == expected["average_unrounded"]
    for task in TASKS:
        assert data["scores"][task] == expected[task], task
        assert data["tasks"][task]["score"] == expected[task], task
        assert data["tasks"][task]["n_judge_errors"] == sum(1 for t, _ in unparsable if t == task)
        assert data["tasks"][task]["n_turns"] == sum(1 for i in items if i["task"] == task)
    assert "MT-Bench-101" in result.stdout

    # The same command again: answered from the store, nothing sent, same scores.
    before = endpoint.stats()["requests"]
    again = run_cli(
        run_args(endpoint.base_url, db, tmp_path / "out2", "--limit", str(LIMIT)), cwd=tmp_path
    )
    assert again.returncode == 3, again.stderr
    assert endpoint.stats()["requests"] == before
    assert results_json(tmp_path / "out2")["scores"] == data["scores"]


def test_own_history_plays_the_models_replies_and_shows_them_to_the_judge(
    tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process(endpoint_config())
    db, out = tmp_path / "own.db", tmp_path / "own"
    args = run_args(endpoint.base_url, db, out, "--limit", "1", "--history", "own")
    result = run_cli(args, cwd=tmp_path)
    assert result.returncode in (0, 3), result.stderr  # 3: some replies without a rating
    data = results_json(out)
    assert set(data["tasks"]) == {f"{task}_own" for task in TASKS}
    assert {"average", *TASKS} <= set(data["scores"])
    sent = stored_requests(db)
    rows = {row["task"]: row for row in read_rows()}
    cm = next(row for row in read_rows() if row["task"] == "CM")
    last = [
        r
        for r in sent
        if r["model"] == "echo" and r["messages"][-1]["content"] == cm["history"][-1]["user"]
    ]
    assert len(last) == 1
    messages = last[0]["messages"]
    # The context-only first turn keeps its golden reply; later turns carry echo's replies.
    assert messages[1] == {"role": "assistant", "content": cm["history"][0]["bot"]}
    for k in range(1, len(cm["history"]) - 1):
        assert messages[2 * k + 1] == {"role": "assistant", "content": cm["history"][k]["user"]}
    judge_texts = [r["messages"][0]["content"] for r in sent if r["model"] == "judge"]
    assert any(
        "\n\n Human: " + cm["history"][1]["user"] + "\n\nAssistant: " + cm["history"][1]["user"]
        in text
        for text in judge_texts
    )
    assert rows  # the data was read


def test_report_groups_the_13_tasks_by_tier_with_intervals_and_a_figure(
    tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process(endpoint_config())
    db, out = tmp_path / "r.db", tmp_path / "out"
    ran = run_cli(run_args(endpoint.base_url, db, out, "--limit", "4"), cwd=tmp_path)
    assert ran.returncode == 3, ran.stderr  # some scripted replies have no rating
    run_id = results_json(out)["run_id"]
    report = run_cli(
        [
            "report",
            run_id,
            "--db",
            str(db),
            "--out",
            str(tmp_path / "report"),
            "--resamples",
            "200",
        ],
        cwd=tmp_path,
    )
    assert report.returncode == 0, report.stderr
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert (
        "perceptivity: CM, SI, AR, TS, CC; adaptability: CR, FR, SC, SA, MR, GR; "
        "interactivity: IC, PI" in markdown
    )
    scores = results_json(out)["scores"]
    header = next(line for line in markdown.splitlines() if line.startswith("| Model | Avg."))
    assert header.split(" | ")[1:4] == ["Avg.", "CM", "SI"]
    row = markdown.splitlines()[markdown.splitlines().index(header) + 2]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1].startswith(f"{scores['average']:.2f} [")  # value [low, high]
    assert cells[2].startswith(f"{scores['CM']:.2f} [")
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert '<th colspan="5" class="group">perceptivity</th>' in html
    assert '<th colspan="6" class="group">adaptability</th>' in html
    assert "MT-Bench-101 by task, grouped by tier" in html
    assert html.count("<svg") >= 1


def test_progress_bar_counts_every_evaluated_turn(tmp_path: Path, endpoint_process: Any) -> None:
    endpoint = endpoint_process(endpoint_config())
    args = run_args(
        endpoint.base_url, tmp_path / "p.db", tmp_path / "out", "--limit", "1", progress=True
    )
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mteval.cli", *args],
        cwd=tmp_path,
        env=subprocess_env(COLUMNS="160"),
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=120) == 3  # some scripted replies have no rating
    screen = b"".join(chunks).decode("utf-8", "replace")
    n = len(expected_items(1))  # the evaluated turns of each task's first dialogue
    assert f"{n}/{n}" in screen
    assert "turns" in screen and "scores" in screen


def _data_copy(tmp_path: Path, edit: Any) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    lines = (MTB101_DIR / "mtbench101.jsonl").read_text(encoding="utf-8").split("\n")
    edit(lines)
    (folder / "mtbench101.jsonl").write_text("\n".join(lines), encoding="utf-8")
    return folder


def _drop_history(lines: list[str]) -> None:
    row = json.loads(lines[6])
    del row["history"]
    lines[6] = json.dumps(row)


def _retitle(lines: list[str]) -> None:
    lines[9] = lines[9].replace('"user": "', '"user": "Edited: ', 1)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda lines: lines.__setitem__(4, lines[4][:50]), "line 5: not valid JSON"),
        (_drop_history, "line 7, field 'history': required field is missing"),
        (_retitle, "differs from the pinned MT-Bench-101 data"),
    ],
    ids=["truncated line", "missing field", "edited content"],
)
def test_bad_data_is_one_clear_error_and_nothing_is_sent(
    tmp_path: Path, endpoint_process: Any, edit: Any, expected: str
) -> None:
    endpoint = endpoint_process(endpoint_config())
    folder = _data_copy(tmp_path, edit)
    args = run_args(endpoint.base_url, tmp_path / "b.db", tmp_path / "out", "--limit", "1")
    args[args.index("--data-dir") + 1] = str(folder)
    result = run_cli(args, cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("error:")
    message = " ".join(result.stderr.split())
    assert str(folder / "mtbench101.jsonl") in message and expected in message
    assert "Traceback" not in result.stderr
    assert endpoint.stats()["requests"] == 0


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--tasks", "XX"], "unknown task 'XX'"),
        (["--history", "sideways"], "task CM has no variant played with 'sideways' history"),
    ],
)
def test_bad_options_are_one_clear_error(tmp_path: Path, extra: list[str], expected: str) -> None:
    args = run_args("http://127.0.0.1:9/v1", tmp_path / "o.db", tmp_path / "out", *extra)
    result = run_cli(args, cwd=tmp_path)
    assert result.returncode == 2
    assert expected in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_history_flag_is_generic_and_names_tasks_without_the_variant(tmp_path: Path) -> None:
    # MT-Eval's main table has gold-history variants except global-instruction recollection.
    result = run_cli(
        [
            "run",
            "--model",
            "openai/m",
            "--model-base-url",
            "http://127.0.0.1:9/v1",
            "--history",
            "gold",
            "--db",
            str(tmp_path / "g.db"),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "task recollection_multi_global-inst has no variant played with 'gold' history" in (
        message
    )
