"""FastChat's MT-Bench rules, restated for tests independently of mteval's code.

Everything here reads FastChat's files directly (plain ``json``) and follows
``fastchat/llm_judge`` at commit 0e6d3e4beaab: ``gen_api_answer`` (temperatures,
system message), ``gen_judgment`` (which prompt for which category and turn),
``common.run_judge_single`` / ``run_judge_pair`` (``str.format`` filling, done
here by splicing values between the template's literal pieces),
``common``'s verdict parsing and ``show_result``'s aggregation.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from mteval_test_support import MTBENCH_DIR

TEMPERATURE = {
    "writing": 0.7,
    "roleplay": 0.7,
    "extraction": 0.0,
    "math": 0.0,
    "coding": 0.0,
    "reasoning": 0.0,
    "stem": 0.1,
    "humanities": 0.1,
}
NEED_REF = ("math", "reasoning", "coding")
CHATGPT_SYSTEM = "You are a helpful assistant."

_PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)\}")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def questions() -> dict[int, dict[str, Any]]:
    return {q["question_id"]: q for q in _jsonl(MTBENCH_DIR / "question.jsonl")}


def references() -> dict[int, list[str]]:
    rows = _jsonl(MTBENCH_DIR / "reference_answer" / "gpt-4.jsonl")
    return {r["question_id"]: r["choices"][0]["turns"] for r in rows}


def prompts() -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in _jsonl(MTBENCH_DIR / "judge_prompts.jsonl")}


def splice(template: str, values: dict[str, str]) -> str:
    """``template.format(**values)`` without ``str.format``."""
    assert "{{" not in template and "}}" not in template
    pieces = _PLACEHOLDER.split(template)
    return "".join(values[p] if i % 2 else p for i, p in enumerate(pieces))


def single_prompt_name(category: str, turn: int) -> str:
    base = "single-math-v1" if category in NEED_REF else "single-v1"
    return base if turn == 1 else base + "-multi-turn"


def pair_prompt_name(category: str, turn: int) -> str:
    base = "pair-math-v1" if category in NEED_REF else "pair-v2"
    return base if turn == 1 else base + "-multi-turn"


def _ref_values(question: dict[str, Any]) -> dict[str, str]:
    if question["category"] not in NEED_REF:
        return {}
    ref = references()[question["question_id"]]
    return {"ref_answer_1": ref[0], "ref_answer_2": ref[1]}


def single_messages(question: dict[str, Any], answers: list[str], turn: int) -> tuple[str, str]:
    """(system, user) of run_judge_single's OpenAI request."""
    prompt = prompts()[single_prompt_name(question["category"], turn)]
    values = _ref_values(question)
    if turn == 1:
        values.update(question=question["turns"][0], answer=answers[0])
    else:
        values.update(
            question_1=question["turns"][0],
            question_2=question["turns"][1],
            answer_1=answers[0],
            answer_2=answers[1],
        )
    return prompt["system_prompt"], splice(prompt["prompt_template"], values)


def pair_messages(
    question: dict[str, Any], answers_a: list[str], answers_b: list[str], turn: int
) -> tuple[str, str]:
    """(system, user) of run_judge_pair's OpenAI request."""
    prompt = prompts()[pair_prompt_name(question["category"], turn)]
    values = _ref_values(question)
    if turn == 1:
        values.update(question=question["turns"][0], answer_a=answers_a[0], answer_b=answers_b[0])
    else:
        values.update(
            question_1=question["turns"][0],
            question_2=question["turns"][1],
            answer_a_1=answers_a[0],
            answer_b_1=answers_b[0],
            answer_a_2=answers_a[1],
            answer_b_2=answers_b[1],
        )
    return prompt["system_prompt"], splice(prompt["prompt_template"], values)


def rating(judgment: str) -> float:
    """run_judge_single's parse (-1: none)."""
    match = re.search(r"\[\[(\d+\.?\d*)\]\]", judgment) or re.search(r"\[(\d+\.?\d*)\]", judgment)
    return float(ast.literal_eval(match.groups()[0])) if match else -1


def winner(judgment: str) -> str:
    """run_judge_pair's parse."""
    if "[[A]]" in judgment:
        return "A"
    if "[[B]]" in judgment:
        return "B"
    if "[[C]]" in judgment:
        return "tie"
    return "error"


def show_result_single(rows: list[tuple[str, int, float]]) -> dict[str, float]:
    """display_result_single over (category, turn, score) rows, plus category means."""
    kept = [(c, t, s) for c, t, s in rows if s != -1]

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    out = {
        "turn_1": mean([s for _, t, s in kept if t == 1]),
        "turn_2": mean([s for _, t, s in kept if t == 2]),
        "average": mean([s for _, _, s in kept]),
    }
    by_category: dict[str, list[float]] = defaultdict(list)
    for c, _, s in kept:
        by_category[c].append(s)
    out.update({c: mean(v) for c, v in by_category.items()})
    return out


def show_result_pairwise(
    games: list[tuple[str, str, str, str]], baseline: str | None
) -> dict[str, dict[str, float]]:
    """display_result_pairwise over (model_1, model_2, g1 verdict, g2 verdict) rows."""
    g1_map = {"A": "model_1", "B": "model_2"}
    g2_map = {"A": "model_2", "B": "model_1"}
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for m1, m2, v1, v2 in games:
        w1, w2 = g1_map.get(v1, v1), g2_map.get(v2, v2)
        if w1 == "error" or w2 == "error":
            continue
        if baseline is not None and baseline not in (m1, m2):
            continue
        if w1 == "tie" or w1 != w2:
            tally[m1][2] += 1
            tally[m2][2] += 1
        else:
            win, lose = (m1, m2) if w1 == "model_1" else (m2, m1)
            tally[win][0] += 1
            tally[lose][1] += 1
    out = {}
    for model, (w, lo, t) in tally.items():
        if model == baseline:
            continue
        n = w + lo + t
        out[model] = {
            "win": w,
            "loss": lo,
            "tie": t,
            "win_rate": w / n,
            "loss_rate": lo / n,
            "win_rate_adjusted": (w + 0.5 * t) / n,
        }
    return out
