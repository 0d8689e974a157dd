"""MT-Bench end to end: the real CLI, real HTTP to scripted endpoints, a real SQLite store.

Every expectation comes from FastChat's rules restated in ``mt_bench_fastchat``
(no mteval code): the judge messages each (question, turn) must produce, the
temperature each category's answers are sampled at, and show_result's
aggregates of the scripted judge's verdicts.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import mt_bench_fastchat as fc
from mteval.testing import choice_for_prompt

from mteval_test_support import results_json, run_cli, stored_requests

# The scripted judge picks one of these by a hash of the user prompt.
SINGLE_REPLIES = [
    "The answer is helpful. Rating: [[8]]",
    "Rating: [[3]]",
    "Mostly right. Rating: [[6.5]]",
    "I cannot decide.",  # no rating: FastChat's -1
    "See [2] for details. Score [7]",  # backup pattern: the first [number] is 2
    "Rating: [[10]]",
]
PAIR_REPLIES = ["[[A]]", "Assistant B is better. [[B]]", "A tie: [[C]]", "No verdict."]


def endpoint_config() -> dict[str, Any]:
    return {
        "models": {
            "judge": {"kind": "choice", "replies": SINGLE_REPLIES},
            "pair-judge": {"kind": "choice", "replies": PAIR_REPLIES},
            "echo": {"kind": "echo"},
            "fixed": {"kind": "fixed", "text": "A fixed answer."},
            "other": {"kind": "fixed", "text": "Another fixed answer, {question} with braces."},
        }
    }


def run_args(url: str, db: Path, out: Path, *extra: str, model: str = "echo") -> list[str]:
    return [
        "run",
        "--benchmark",
        "mt-bench",
        "--model",
        f"openai/{model}",
        "--model-base-url",
        url,
        "--judge",
        "openai/judge",
        "--judge-base-url",
        url,
        "--db",
        str(db),
        "--output-dir",
        str(out),
        "--retry-base-delay",
        "0.01",
        "--no-progress",
        *extra,
    ]


EXIT_INCOMPLETE = 3
"""``mteval run``'s status when a turn is not scored: the scripted judge leaves some
replies without a rating on purpose (FastChat's -1), so runs here end with it."""


def finished(result: Any) -> None:
    """The run finished: every turn answered, some judge replies without a rating."""
    assert result.returncode in (0, EXIT_INCOMPLETE), result.stderr
    assert "Traceback" not in result.stderr


def test_single_grading_sends_fastchats_messages_and_scores_as_show_result(
    tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process(endpoint_config())
    db, out = tmp_path / "m.db", tmp_path / "out"
    result = run_cli(run_args(endpoint.base_url, db, out), cwd=tmp_path)
    assert result.returncode == EXIT_INCOMPLETE, result.stderr
    assert "judge" in result.stderr and "--retry-errors" in result.stderr
    questions = fc.questions()
    sent = stored_requests(db)
    model_requests = [r for r in sent if r["model"] == "echo"]
    judge_requests = [r for r in sent if r["model"] == "judge"]
    assert len(model_requests) == 160 and len(judge_requests) == 160

    # Answers as gen_api_answer: the chatgpt template's system message, the turns in
    # order with the model's own first answer, the category's temperature, 1024 tokens.
    by_first_user = {q["turns"][0]: q for q in questions.values()}
    for request in model_requests:
        messages = request["messages"]
        assert messages[0] == {"role": "system", "content": fc.CHATGPT_SYSTEM}
        question = by_first_user[messages[1]["content"]]
        if len(messages) == 2:
            assert messages[1] == {"role": "user", "content": question["turns"][0]}
        else:
            assert messages[1:] == [
                {"role": "user", "content": question["turns"][0]},
                {"role": "assistant", "content": question["turns"][0]},  # echo's answer
                {"role": "user", "content": question["turns"][1]},
            ]
        assert request["settings"] == {
            "temperature": fc.TEMPERATURE[question["category"]],
            "max_tokens": 1024,
        }

    # Judge requests: byte-identical to run_judge_single's, temperature 0, 2048 tokens.
    expected: dict[tuple[str, str], tuple[str, int, float]] = {}
    for question in questions.values():
        answers = list(question["turns"])  # echo answers each turn with its question
        for turn in (1, 2):
            system, user = fc.single_messages(question, answers, turn)
            expected[(system, user)] = (
                question["category"],
                turn,
                fc.rating(choice_for_prompt(user, SINGLE_REPLIES)),
            )
    seen = set()
    for request in judge_requests:
        roles = [m["role"] for m in request["messages"]]
        assert roles == ["system", "user"]
        key = (request["messages"][0]["content"], request["messages"][1]["content"])
        assert key in expected, "a judge prompt FastChat would not send"
        seen.add(key)
        assert request["settings"] == {"temperature": 0.0, "max_tokens": 2048}
    assert seen == set(expected)

    data = results_json(out)
    assert data["benchmark"] == "mt-bench"
    hand = fc.show_result_single(list(expected.values()))
    assert list(data["scores"]) == [
        "turn_1",
        "turn_2",
        "average",
        "writing",
        "roleplay",
        "reasoning",
        "math",
        "coding",
        "extraction",
        "stem",
        "humanities",
    ]
    for key, value in hand.items():
        assert data["scores"][key] == pytest.approx(value, rel=1e-12), key
    n_errors = sum(1 for *_, score in expected.values() if score == -1)
    assert 0 < n_errors < 160
    assert sum(t["n_judge_errors"] for t in data["tasks"].values()) == n_errors
    assert sum(t["n_scored"] for t in data["tasks"].values()) == 160 - n_errors

    # The same command again: the same run, nothing sent (a judgment without a rating
    # is asked again only with --retry-errors).
    before = endpoint.stats()["requests"]
    again = run_cli(run_args(endpoint.base_url, db, tmp_path / "out2"), cwd=tmp_path)
    finished(again)
    assert endpoint.stats()["requests"] == before
    assert results_json(tmp_path / "out2")["scores"] == data["scores"]


def test_forced_temperature_overrides_every_category(tmp_path: Path, endpoint_process: Any) -> None:
    endpoint = endpoint_process(endpoint_config())
    db = tmp_path / "t.db"
    args = run_args(
        endpoint.base_url, db, tmp_path / "o", "--temperature", "0.3", "--tasks", "writing,math"
    )
    finished(run_cli(args, cwd=tmp_path))
    temperatures = Counter(
        r["settings"]["temperature"] for r in stored_requests(db) if r["model"] == "echo"
    )
    assert temperatures == {0.3: 40}


def _pairwise_args(url: str, db: Path, out: Path, *runs: str) -> list[str]:
    return [
        "pairwise",
        *runs,
        "--judge",
        "openai/pair-judge",
        "--judge-base-url",
        url,
        "--db",
        str(db),
        "--output-dir",
        str(out),
        "--retry-base-delay",
        "0.01",
    ]


def _hand_games(
    answers: dict[str, dict[int, list[str]]], pairs: list[tuple[str, str]]
) -> list[tuple[str, str, str, str]]:
    games = []
    for question in fc.questions().values():
        qid = question["question_id"]
        for turn in (1, 2):
            for first, second in pairs:
                a, b = answers[first][qid], answers[second][qid]
                _, g1_user = fc.pair_messages(question, a, b, turn)
                _, g2_user = fc.pair_messages(question, b, a, turn)
                games.append(
                    (
                        first,
                        second,
                        fc.winner(choice_for_prompt(g1_user, PAIR_REPLIES)),
                        fc.winner(choice_for_prompt(g2_user, PAIR_REPLIES)),
                    )
                )
    return games


def test_pairwise_plays_both_orders_and_counts_as_show_result(
    tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process(endpoint_config())
    db = tmp_path / "p.db"
    run_ids = {}
    for model in ("echo", "fixed", "other"):
        out = tmp_path / model
        finished(run_cli(run_args(endpoint.base_url, db, out, model=model), cwd=tmp_path))
        run_ids[model] = results_json(out)["run_id"]
    answers = {
        run_ids["echo"]: {q: list(v["turns"]) for q, v in fc.questions().items()},
        run_ids["fixed"]: {q: ["A fixed answer."] * 2 for q in fc.questions()},
        run_ids["other"]: {
            q: ["Another fixed answer, {question} with braces."] * 2 for q in fc.questions()
        },
    }
    base, x, y = run_ids["echo"], run_ids["fixed"], run_ids["other"]

    before = set(json.dumps(r, sort_keys=True) for r in stored_requests(db))
    out = tmp_path / "pw"
    done = run_cli(_pairwise_args(endpoint.base_url, db, out, base, x, y), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "pairwise.json").read_text(encoding="utf-8"))
    games = _hand_games(answers, [(x, base), (y, base)])
    hand = fc.show_result_pairwise(games, baseline=base)
    assert summary["mode"] == "pairwise-baseline"
    assert [row["run_id"] for row in summary["rows"]] == [x, y]
    for row in summary["rows"]:
        assert row["model"] in ("openai/fixed", "openai/other")
        for key in ("win", "loss", "tie", "win_rate", "loss_rate", "win_rate_adjusted"):
            assert row[key] == pytest.approx(hand[row["run_id"]][key], rel=1e-12), key
    counted = [(v1, v2) for *_, v1, v2 in games if "error" not in (v1, v2)]
    g1_map, g2_map = {"A": 1, "B": 2}, {"A": 2, "B": 1}
    agree = sum(1 for v1, v2 in counted if g1_map.get(v1, v1) == g2_map.get(v2, v2))
    assert summary["position_consistency"]["rate"] == pytest.approx(agree / len(counted))
    assert summary["games"]["counted"] == len(counted)
    assert "bradley_terry" not in summary

    # The judge's requests: the pairwise prompts, system + user, temperature 0, 2048 tokens.
    new = [r for r in stored_requests(db) if json.dumps(r, sort_keys=True) not in before]
    assert len(new) == 2 * 2 * 160
    question = fc.questions()[101]
    system, user = fc.pair_messages(question, answers[x][101], answers[base][101], 1)
    assert {
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "settings": {"temperature": 0.0, "max_tokens": 2048},
    }.items() <= next(r for r in new if r["messages"][1]["content"] == user).items()

    # --all: every pair, every run rated; the judge's earlier verdicts are reused.
    sent = endpoint.stats()["requests"]
    out_all = tmp_path / "pw-all"
    done = run_cli(
        _pairwise_args(endpoint.base_url, db, out_all, base, x, y) + ["--all"], cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((out_all / "pairwise.json").read_text(encoding="utf-8"))
    hand = fc.show_result_pairwise(
        _hand_games(answers, [(base, x), (base, y), (x, y)]), baseline=None
    )
    assert {row["run_id"] for row in summary["rows"]} == {base, x, y}
    for row in summary["rows"]:
        for key in ("win", "loss", "tie", "win_rate_adjusted"):
            assert row[key] == pytest.approx(hand[row["run_id"]][key], rel=1e-12), key
    ratings = summary["bradley_terry"]["ratings"]
    assert {r["run_id"] for r in ratings} == {base, x, y}
    assert all(r["low"] <= r["rating"] <= r["high"] for r in ratings)
    assert endpoint.stats()["requests"] - sent == 2 * 160  # only the new pair (x, y)


def test_show_export_compare_and_report_read_mt_bench_runs(
    tmp_path: Path, endpoint_process: Any
) -> None:
    endpoint = endpoint_process(endpoint_config())
    db = tmp_path / "r.db"
    ids = []
    for model in ("echo", "fixed"):
        out = tmp_path / model
        done = run_cli(
            run_args(endpoint.base_url, db, out, "--tasks", "writing,coding", model=model),
            cwd=tmp_path,
        )
        finished(done)
        ids.append(results_json(out)["run_id"])
    shown = run_cli(["show", ids[0], "--db", str(db)], cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Turn 1" in shown.stdout and "Coding" in shown.stdout
    exported = run_cli(["export", ids[0], "--db", str(db), "--format", "jsonl"], cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(rows) == 40 and {r["task"] for r in rows} == {"writing", "coding"}
    compared = run_cli(["compare", ids[0], ids[1], "--db", str(db)], cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert "writing" in compared.stdout and "coding" in compared.stdout
    report = tmp_path / "report"
    made = run_cli(["report", *ids, "--db", str(db), "--out", str(report)], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    markdown = (report / "report.md").read_text(encoding="utf-8")
    assert markdown.startswith("# MT-Bench report")
    assert "Turn 1" in markdown and "Coding" in markdown
    assert "| writing |" in markdown and "| coding |" in markdown  # task scores
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "MT-Bench score by category" in html  # the radar chart


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace("Hawaii", "Hawai'i", 1), "differs from FastChat's"),
        (lambda text: text[: len(text) // 3], "not valid JSON"),
    ],
    ids=["edited", "truncated"],
)
def test_a_bad_data_file_stops_the_run_before_any_request(
    tmp_path: Path, endpoint_process: Any, edit: Any, message: str
) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(fc.MTBENCH_DIR, data)
    question_file = data / "question.jsonl"
    question_file.chmod(0o644)
    question_file.write_text(edit(question_file.read_text(encoding="utf-8")), encoding="utf-8")
    endpoint = endpoint_process(endpoint_config())
    db = tmp_path / "bad.db"
    result = run_cli(
        run_args(endpoint.base_url, db, tmp_path / "o", "--data-dir", str(data)), cwd=tmp_path
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert lines[-1].startswith("error:") and "Traceback" not in result.stderr
    assert "question.jsonl" in result.stderr and message in " ".join(result.stderr.split())
    assert endpoint.stats()["requests"] == 0
    assert not db.exists()
