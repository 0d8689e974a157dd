"""MT-Bench-101 as OpenCompass builds it, restated for tests: the shared data and a prompt oracle.

The oracle rebuilds OpenCompass's judge inputs from the rules written out in
docs/fidelity.md, in the reference's own shape (one pass over each dialogue
accumulating a history string and a chat list, templates filled with
``str.format``, then the prediction slot filled and the system prompt merged
in front), without calling mteval's protocol or prompt code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mteval_test_support import MTBENCH101_DIR

MTB101_DIR = MTBENCH101_DIR
MTB101_FILE = MTB101_DIR / "mtbench101.jsonl"

SKIP_FIRST = ("FR", "CR", "AR", "SA", "SC", "CM")
NEEDS_REFERENCE = ("MR", "GR")

PLAIN_TEMPLATE = "The dialogue need to be judged is: \n *** \n {history} {prediction} \n ***"
REFERENCE_TEMPLATE = (
    "The dialogue need to be judged is: \n *** \n {history} {prediction} \n ***\n\n"
    "                    The reference solution is: \n ### \n {ref_answer} \n ###\n\n"
)


def read_rows(path: Path = MTB101_FILE) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def oracle_items(row: dict[str, Any], system_prompts: dict[str, str]) -> list[dict[str, Any]]:
    """Per evaluated turn: what the model gets, and the judge message template."""
    task = row["task"]
    items = []
    history = ""
    chat: list[dict[str, str]] = []
    for number, turn in enumerate(row["history"], start=1):
        user, bot = turn["user"], turn["bot"]
        if task in SKIP_FIRST and number == 1:
            chat = [{"role": "user", "content": user}, {"role": "assistant", "content": bot}]
            history = "\n\n Human: " + user + "\n\nAssistant: " + bot
            continue
        model_input = [dict(m) for m in chat] + [{"role": "user", "content": user}]
        history = history + "\n\n Human: " + user + "\n\nAssistant: "
        chat.append({"role": "user", "content": user})
        chat.append({"role": "assistant", "content": bot})
        if task in NEEDS_REFERENCE:
            template = REFERENCE_TEMPLATE.format(
                history=history, prediction="{prediction}", ref_answer=chat
            )
        else:
            template = PLAIN_TEMPLATE.format(history=history, prediction="{prediction}")
        items.append(
            {
                "task": task,
                "id": row["id"],
                "turn": number,
                "model_input": model_input,
                "golden": bot,
                "judge_template": system_prompts[task] + "\n" + template,
            }
        )
        history = history + bot
    return items


def oracle_judge_message(item: dict[str, Any], prediction: str) -> str:
    return str(item["judge_template"]).replace("{prediction}", prediction)


FILE_ORDER = ("GR", "IC", "AR", "FR", "MR", "CC", "TS", "CR", "SA", "SI", "CM", "PI", "SC")


def first_bracketed_integer(reply: str) -> int | None:
    """OpenCompass's ``post_process_mtbench101``: ``re.search(r'\\[([0-9]+)\\]', reply)``."""
    import re

    match = re.search(r"\[([0-9]+)\]", reply)
    return int(match.group(1)) if match else None


def summarize(ratings: list[tuple[str, int, int | None]]) -> dict[str, float]:
    """``MTBench101Summarizer``'s numbers from (task, dialogue id, rating or None) in file order.

    Unparsable turns are dropped; each dialogue scores its minimum; each task the
    mean of its dialogues; the average is the task means summed in order of first
    appearance, divided by their number, and rounded to 2 places.
    """
    by_dialogue: dict[tuple[str, int], list[int]] = {}
    for task, dialogue, rating in ratings:
        if rating is not None:
            by_dialogue.setdefault((task, dialogue), []).append(rating)
    by_task: dict[str, list[int]] = {}
    for (task, _dialogue), values in by_dialogue.items():
        by_task.setdefault(task, []).append(min(values))
    means = {task: sum(mins) / len(mins) for task, mins in by_task.items()}
    unrounded = sum(means.values()) / len(means)
    return {**means, "average": round(unrounded, 2), "average_unrounded": unrounded}
