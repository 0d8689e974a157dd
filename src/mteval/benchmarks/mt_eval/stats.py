"""The benchmark's statistics table, computed from the built task sets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mteval.benchmarks.mt_eval.loaders import SourceFiles
from mteval.benchmarks.mt_eval.tasks import GROUPS, TASKS
from mteval.types import CATEGORIES, TaskSet

__all__ = ["SetStatistics", "benchmark_statistics", "set_statistics"]


@dataclass(frozen=True)
class SetStatistics:
    """Counts and lengths of one task set (or a pool of them).

    Word counts split on whitespace. "Words per turn" counts the user message of
    each answered turn; "words in prompt" counts every message the model
    receives for an answered turn when the history holds the reference replies.
    """

    name: str
    dialogues: int
    turns: int
    answered: int
    avg_turns_per_dialogue: float
    avg_words_per_turn: float
    max_words_per_turn: int
    avg_words_in_prompt: float
    max_words_in_prompt: int


def set_statistics(name: str, task_sets: Iterable[TaskSet]) -> SetStatistics:
    """Compute the statistics of one or more task sets pooled under ``name``."""
    dialogues = turns = answered = 0
    turn_words: list[int] = []
    prompt_words: list[int] = []
    for task_set in task_sets:
        for dialogue in task_set.dialogues:
            dialogues += 1
            running = 0
            for turn in dialogue.turns:
                turns += 1
                words = len(turn.user.split())
                running += words
                if turn.do_inference:
                    answered += 1
                    turn_words.append(words)
                    prompt_words.append(running)
                running += len(turn.reference.split())
    return SetStatistics(
        name=name,
        dialogues=dialogues,
        turns=turns,
        answered=answered,
        avg_turns_per_dialogue=answered / dialogues if dialogues else 0.0,
        avg_words_per_turn=sum(turn_words) / len(turn_words) if turn_words else 0.0,
        max_words_per_turn=max(turn_words, default=0),
        avg_words_in_prompt=sum(prompt_words) / len(prompt_words) if prompt_words else 0.0,
        max_words_in_prompt=max(prompt_words, default=0),
    )


def benchmark_statistics(sources: SourceFiles) -> list[SetStatistics]:
    """The statistics table of the main (multi-turn) sets: one row per category, then All."""
    main = [TASKS[name] for name in GROUPS["main"]]
    rows = []
    for category in CATEGORIES:
        sets = [spec.load(sources) for spec in main if spec.category == category]
        rows.append(set_statistics(category, sets))
    rows.append(set_statistics("all", [spec.load(sources) for spec in main]))
    return rows
