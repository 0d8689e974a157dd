"""Refinement: instructions that progressively constrain a task on one document.

MT-Eval §3 (Kwan et al. 2024, arXiv 2401.16745): each dialogue opens with a
document and an instruction, and every later turn adds a constraint; two task
types share a dialogue (12 turns). The judge sees the document, the reply and
the constraints accumulated within the current task type. The single-turn
version gives the document and one combined instruction in one turn.
"""

from __future__ import annotations

import random

from mteval.benchmarks.mt_eval.loaders import RawTurnRecord, SourceFiles
from mteval.benchmarks.mt_eval.tasks.base import JudgeContext, TaskSpec
from mteval.text import count_sentences, count_whitespace_words
from mteval.types import Dialogue, TaskSet, Turn

__all__ = [
    "REFINEMENT_MULTI",
    "REFINEMENT_MULTI_GOLD",
    "REFINEMENT_SINGLE",
    "build_refinement_multi",
    "build_refinement_single",
    "doc_index_of",
    "refinement_multi_fields",
    "refinement_single_fields",
    "task_type_of",
]

_INSTRUCTION_MARK = "Instruction: "
# Task types the multi-turn refinement set leaves out (they appear in expansion).
_EXCLUDED_TYPES = ("trans", "short-qa", "pos", "rel")
_SHUFFLE_SEED = 111


def doc_index_of(turn_id: str) -> int:
    """Return the 0-based document index of a ``{doc}_{type}_{n}`` turn id."""
    return int(turn_id.split("_")[0]) - 1


def task_type_of(turn_id: str) -> str:
    """Return the task type of a ``{doc}_{type}_{n}`` turn id."""
    return turn_id.split("_")[1]


def build_refinement_single(sources: SourceFiles) -> TaskSet:
    """Build ``refinement_single``: 200 one-turn dialogues (document + instruction)."""
    documents = sources.documents
    dialogues = []
    for session in sources.refinement_single_inst:
        raw = session[0]
        content = documents[doc_index_of(raw.id)].text
        turn = Turn(
            id=raw.id,
            user=f"Content: {content}\n\nInstruction: {raw.user}",
            reference="",
            do_inference=True,
            inst=raw.user,
        )
        dialogues.append(Dialogue(id=raw.id, turns=(turn,)))
    return TaskSet(name="refinement_single", dialogues=tuple(dialogues))


def build_refinement_multi(sources: SourceFiles) -> TaskSet:
    """Build ``refinement_multi``: 40 dialogues of two six-turn task types each.

    Per document, the kept task types are shuffled with the benchmark's seeded
    generator (one ``random.Random(111)`` across documents) and paired
    cyclically: (t1, t2), (t2, t3), ..., (tn, t1).
    """
    by_document: dict[str, dict[str, list[RawTurnRecord]]] = {}
    for session in sources.refinement_multi_inst:
        document, task_type, _ = session[0].id.split("_")
        if task_type in _EXCLUDED_TYPES:
            continue
        by_document.setdefault(document, {}).setdefault(task_type, []).extend(session)

    rng = random.Random(_SHUFFLE_SEED)
    dialogues = []
    number = 1
    for task_turns in by_document.values():
        order = list(task_turns)
        rng.shuffle(order)
        pairs = [(order[i], order[(i + 1) % len(order)]) for i in range(len(order))]
        for pair in pairs:
            turns: list[Turn] = []
            for task_type in pair:
                for index, raw in enumerate(task_turns[task_type]):
                    user = raw.user
                    if index == 0 and turns:
                        # The second task reuses the document already in the dialogue:
                        # keep only its instruction (text between the first two marks).
                        user = user.split(_INSTRUCTION_MARK)[1]
                    turns.append(
                        Turn(
                            id=raw.id,
                            user=user,
                            reference=raw.sys,
                            do_inference=True,
                            inst=user.split(_INSTRUCTION_MARK)[-1],
                        )
                    )
            dialogue_id = "_".join([str(number), *pair])
            dialogues.append(Dialogue(id=dialogue_id, turns=tuple(turns)))
            number += 1
    return TaskSet(name="refinement_multi", dialogues=tuple(dialogues))


def _response_counts(response: str) -> list[tuple[str, str]]:
    return [
        ("{num_words}", str(count_whitespace_words(response))),
        ("{num_sent}", str(count_sentences(response))),
    ]


def refinement_single_fields(ctx: JudgeContext) -> list[tuple[str, str]]:
    """Fill the single-turn refinement template: one constraint, the raw reply."""
    turn = ctx.dialogue.turns[ctx.position]
    return [
        ("{response}", ctx.response),
        ("{content}", ctx.documents[doc_index_of(turn.id)].text),
        *_response_counts(ctx.response),
        ("{constraints}", turn.inst or ""),
    ]


def accumulated_constraints(dialogue: Dialogue, position: int) -> list[str]:
    """Return the constraints in force at ``position``.

    These are the instructions of the answered turns of the current task-type
    segment, up to and including this turn. The list resets whenever the task
    type (from the turn id) changes, as in the benchmark's judge. Unanswered
    turns (irrelevant chit-chat in the ablations) carry no constraint and do not
    break a segment.
    """
    constraints: list[str] = []
    current_type: str | None = None
    for turn in dialogue.turns[: position + 1]:
        if not turn.do_inference:
            continue
        turn_type = task_type_of(turn.id)
        if turn_type != current_type:
            constraints = []
            current_type = turn_type
        constraints.append(turn.inst or "")
    return constraints


def refinement_multi_fields(ctx: JudgeContext) -> list[tuple[str, str]]:
    """Fill the multi-turn refinement template: a numbered list of accumulated constraints."""
    answered = [turn for turn in ctx.dialogue.turns if turn.do_inference]
    document = ctx.documents[doc_index_of(answered[0].id)].text
    constraints = accumulated_constraints(ctx.dialogue, ctx.position)
    numbered = "\n".join(f"{i}. {text}" for i, text in enumerate(constraints, 1))
    return [
        ("{response}", ctx.response),
        ("{content}", document),
        *_response_counts(ctx.response),
        ("{constraints}", numbered),
    ]


REFINEMENT_SINGLE = TaskSpec(
    name="refinement_single",
    category="refinement",
    setting="single",
    groups=("single",),
    build=build_refinement_single,
    scorer="judge",
    judge_template="refinement_single_evaluation",
    judge_fields=refinement_single_fields,
    description="Refinement, single-turn: a document and one combined instruction (200 turns)",
)

REFINEMENT_MULTI = TaskSpec(
    name="refinement_multi",
    category="refinement",
    setting="multi",
    groups=("main",),
    build=build_refinement_multi,
    scorer="judge",
    judge_template="refinement_multi_evaluation",
    judge_fields=refinement_multi_fields,
    description="Refinement, multi-turn: constraints added turn by turn (40 dialogues, 480 turns)",
)

REFINEMENT_MULTI_GOLD = REFINEMENT_MULTI.variant(
    "gold",
    description="Refinement, multi-turn with the reference replies as history (480 turns)",
)
