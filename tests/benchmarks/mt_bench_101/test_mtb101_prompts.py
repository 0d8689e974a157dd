"""The judge's message and the model's input, byte for byte as OpenCompass builds them."""

from __future__ import annotations

import hashlib
import re

import pytest

from mt_bench_101_opencompass import MTB101_FILE, oracle_items, oracle_judge_message, read_rows
from mteval.benchmarks.mt_bench_101 import (
    TASKS,
    evaluated_turns,
    judge_message,
    load_dialogues,
    system_prompt,
)
from mteval.benchmarks.mt_bench_101.rubrics import PREAMBLE, RUBRICS, SCORE_FORMAT

# SHA-256 of each text in OpenCompass's opencompass/datasets/subjective/mtbench101.py
# (``judge``, ``score_format``, ``eval_<TASK>``), taken from the reference file.
REFERENCE_SHA256 = {
    "judge": "a89ea6ac0cc01401f372ae101c1fa83646ae54829ea749910f0277861803f2af",
    "score_format": "cdadb1455a1ed175f6e47ecd8207028d44d0f8cf7a21fa6120f2da175ee6d299",
    "CM": "876b7eca763cf0d988fa270c88e40ed7e742be9e1a50cadf2c3dcad22e2c681a",
    "SI": "2e50f49aa8074efe208786c48c69add71f46b88c72aadf1e3d689b4dcb5977ae",
    "AR": "9438e8dd5b93a7501bfd1d3a29d9985d2574ec870b7b376c809c8806bc2eabac",
    "TS": "77f9bd0e0574d0448e06e1c0aa5b7bfedeaa1f131d84f037b9022293b1ac33e8",
    "CC": "aceed61d8d0484f7d05e00308257266770991b133202132da60f8aaa689dbe77",
    "CR": "04d8a6dc6688afaece1d2ccfa7bf838bebaed765d89cd3e8583d3cb628a74f35",
    "FR": "04d8a6dc6688afaece1d2ccfa7bf838bebaed765d89cd3e8583d3cb628a74f35",
    "SC": "78a6351a853d9b3a630f04425ac89ab088ee9401d4c3b357b708e6e3b878e1f0",
    "SA": "c28c83c1039b5c6a172d2e8b1ebfb06d60a31e5a8cbfc05c7069e4a5b5873494",
    "MR": "8e9cb2241c50df485ccb4a696af00313fd16185f115b69e89b81e94e51520c3c",
    "GR": "4f5337011f9063b69bb3bad789ecf9d09441bda7a333c59f44558e84707bb847",
    "IC": "2ce61a001ad6f1d2f5da028ac67fd6b85e53185a66f99ac5212f44397fbf1fdf",
    "PI": "622140c59587ada393f0716ea9e1abd742ea5ec242492b5d6b9a7f4ddbea64f4",
}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("name", sorted(REFERENCE_SHA256))
def test_rubric_texts_match_the_reference_checksums(name: str) -> None:
    text = {"judge": PREAMBLE, "score_format": SCORE_FORMAT}.get(name) or RUBRICS[name]
    assert _sha(text) == REFERENCE_SHA256[name]


def test_rubrics_keep_the_reference_typos() -> None:
    assert "groud truth history" in PREAMBLE
    assert "The DIALGUE need to be judged" in SCORE_FORMAT
    assert "ta///sk request" in RUBRICS["SI"]
    assert RUBRICS["CR"] == RUBRICS["FR"]  # the reference reuses the paraphrasing rubric


def test_rubrics_have_no_braces_that_later_fills_could_touch() -> None:
    for text in (PREAMBLE, SCORE_FORMAT, *RUBRICS.values()):
        assert "{" not in text and "}" not in text


def test_system_prompt_is_preamble_rubric_and_score_format() -> None:
    for task in TASKS:
        assert system_prompt(task) == PREAMBLE + RUBRICS[task] + SCORE_FORMAT


@pytest.fixture(scope="module")
def oracle() -> list[dict[str, object]]:
    prompts = {task: system_prompt(task) for task in TASKS}
    return [item for row in read_rows() for item in oracle_items(row, prompts)]


@pytest.fixture(scope="module")
def turns() -> list[object]:
    return [turn for d in load_dialogues(MTB101_FILE) for turn in evaluated_turns(d)]


def test_every_evaluated_turn_and_only_those(oracle: list[dict], turns: list) -> None:
    assert len(turns) == len(oracle) == 3615
    assert [(t.task, t.dialogue_id, t.turn_id) for t in turns] == [
        (o["task"], o["id"], str(o["turn"])) for o in oracle
    ]


def test_model_receives_golden_history_and_the_user_turn_only(
    oracle: list[dict], turns: list
) -> None:
    for turn, item in zip(turns, oracle, strict=True):
        got = [{"role": m.role, "content": m.content} for m in turn.messages]
        assert got == item["model_input"]
        assert turn.golden == item["golden"]
        assert all(m.role != "system" for m in turn.messages)


@pytest.mark.parametrize(
    "prediction",
    [
        "The answer is 28.",
        "",
        "A reply with {braces}, {history} and a literal {prediction} inside.\n\nRating: [[3]]",
        "Ünïcödé — 多语言 reply \\n with a backslash-n",
    ],
)
def test_judge_messages_are_byte_identical_for_every_turn(
    oracle: list[dict], turns: list, prediction: str
) -> None:
    for turn, item in zip(turns, oracle, strict=True):
        got = judge_message(turn.task, turn.history, turn.reference, prediction)
        assert got.encode("utf-8") == oracle_judge_message(item, prediction).encode("utf-8")


def test_reference_is_the_printed_golden_dialogue_through_the_current_turn(turns: list) -> None:
    mr = next(t for t in turns if t.task == "MR" and t.index == 1)
    assert mr.reference.startswith("[{'role': 'user', 'content': ")
    assert mr.reference.endswith("}]")
    assert repr(mr.golden) in mr.reference  # the answer being judged is in the "reference"
    others = {t.task for t in turns if t.reference is not None}
    assert others == {"MR", "GR"}


def test_first_turn_is_context_only_for_the_six_tasks(turns: list) -> None:
    first_turn_tasks = {t.task for t in turns if t.index == 0}
    assert first_turn_tasks == {"SI", "TS", "CC", "MR", "GR", "IC", "PI"}


def test_judge_message_layout_for_a_plain_task() -> None:
    message = judge_message("CC", "\n\n Human: hi\n\nAssistant: ", None, "hello")
    system, _, rest = message.partition("\nThe dialogue need to be judged is:")
    assert system == system_prompt("CC")
    assert rest == " \n *** \n \n\n Human: hi\n\nAssistant:  hello \n ***"
    assert re.search(r"Assistant:  hello \n \*\*\*$", message)
