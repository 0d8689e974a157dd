"""MT-Bench-101: 13 fine-grained multi-turn abilities, scored exactly as OpenCompass scores them.

Paper: Ge Bai et al., "MT-Bench-101: A Fine-Grained Benchmark for Evaluating
Large Language Models in Multi-Turn Dialogues", ACL 2024 (arXiv 2402.14762):
1,388 dialogues, 4,208 turns, 13 tasks in three tiers (perceptivity,
adaptability, interactivity).

Data: ``data/subjective/mtbench101.jsonl`` of ``mtbench101/mt-bench-101`` at
commit ``bc18b3e2c18c`` (:mod:`.source`).

Reference code (the benchmark's only public evaluation code), OpenCompass
``open-compass/opencompass`` at commit ``a5acc4bba3b6``:
``opencompass/datasets/subjective/mtbench101.py`` (rubrics, judge prompt,
turns evaluated, references, rating parser),
``opencompass/summarizers/subjective/mtbench101.py`` (aggregation) and
``opencompass/configs/datasets/subjective/multiround/mtbench101_judge.py``
(what the model under test receives). Every reproduced quirk and every
choice is listed in ``docs/fidelity.md``.

Modules, top to bottom: :mod:`.taxonomy` (tasks, abilities, tiers),
:mod:`.source` (the data file), :mod:`.protocol` (model messages and judge
inputs per turn), :mod:`.rubrics` and :mod:`.prompts` (the judge message),
:mod:`.parse` (the rating), :mod:`.scores` (aggregation).
"""

from __future__ import annotations

from .benchmark import BENCHMARK
from .parse import parse_rating
from .prompts import judge_message, prompt_template, system_prompt
from .protocol import (
    EvaluatedTurn,
    evaluated_indices,
    evaluated_turns,
    judge_history,
    model_messages,
    reference_text,
)
from .scores import Mtb101Scores, TaskScore, TurnVerdict, aggregate
from .source import SOURCE, Mtb101Dialogue, data_file, load_dialogues
from .taxonomy import ABILITIES, REFERENCE_TASKS, SKIP_FIRST_TASKS, TASK_NAMES, TASKS, TIERS

__all__ = [
    "ABILITIES",
    "BENCHMARK",
    "REFERENCE_TASKS",
    "SKIP_FIRST_TASKS",
    "TASKS",
    "TASK_NAMES",
    "SOURCE",
    "TIERS",
    "EvaluatedTurn",
    "Mtb101Dialogue",
    "Mtb101Scores",
    "TaskScore",
    "TurnVerdict",
    "aggregate",
    "data_file",
    "evaluated_indices",
    "evaluated_turns",
    "judge_history",
    "judge_message",
    "load_dialogues",
    "model_messages",
    "parse_rating",
    "prompt_template",
    "reference_text",
    "system_prompt",
]
