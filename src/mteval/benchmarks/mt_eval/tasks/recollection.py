"""Recollection: recalling something stated many turns earlier.

MT-Eval §3 (Kwan et al. 2024, arXiv 2401.16745), two sub-tasks scored
programmatically:

* Document classification (``cls``): an instruction turn lists the 13 topics
  and asks for one label per document; ten documents follow, one per turn
  (10 dialogues, 100 answered turns). Score 10 when the label appears in the
  reply, else 0.
* Global instruction following (``global-inst``): a first turn sets an
  IFEval-style instruction for the whole conversation; ten open questions
  follow (28 dialogues, 280 answered turns). Score 10 when the reply follows
  the instruction, else 0.

The single-turn versions put the instruction and the document (or question)
in the same turn.
"""

from __future__ import annotations

import random
from typing import Any

from mteval.benchmarks.mt_eval.loaders import TOPICS, GlobalInstRecord, SourceFiles
from mteval.benchmarks.mt_eval.tasks.base import TaskSpec
from mteval.instructions import describe, sample_mteval_args
from mteval.types import Dialogue, TaskSet, Turn

__all__ = [
    "GLOBAL_INST_IDS",
    "RECOLLECTION_MULTI_CLS",
    "RECOLLECTION_MULTI_CLS_GOLD",
    "RECOLLECTION_MULTI_GLOBAL_INST",
    "RECOLLECTION_SINGLE_CLS",
    "RECOLLECTION_SINGLE_GLOBAL_INST",
    "build_recollection_cls",
    "build_recollection_global_inst",
    "classification_instruction",
    "strip_document",
]

_SHUFFLE_SEED = 111
_ARGS_SEED = 11
_SESSIONS = 10
_DOCUMENTS_PER_SESSION = 10
_SESSIONS_PER_INSTRUCTION = 2
_QUESTIONS_PER_SESSION = 10
_LENGTH_SUFFIX = " Keep all your responses under 200 words."
_NUMBER_WORDS = "length_constraints:number_words"

GLOBAL_INST_IDS: tuple[str, ...] = (
    "startend:start_char",
    "startend:start_emoji",
    "startend:end_phrase",
    "language:response_language",
    "format:json_format",
    "format:bullet_list",
    "length_constraints:number_sentences",
    "keywords:existence",
    "change_case:capital_letter",
    "change_case:lowercase",
    "punctuation:no_comma",
    "combination:two_responses",
    "format:constrained_response",
    "content:placeholder",
)
"""The instructions the benchmark builds dialogues for. ``length_constraints:number_words``
appears in the source file but the benchmark's registry leaves it out."""


def _topic_lines() -> str:
    return "\n".join(TOPICS)


def classification_instruction(*, indent: str = "") -> str:
    """The multi-turn classification instruction turn.

    Args:
        indent: Leading spaces of the continuation lines. The benchmark's
            ablation files were generated from an indented source literal, so
            their instruction carries 4 spaces; the main task carries none.
    """
    return (
        "You are given one document at each turn where each of them belongs to one of the "
        f"following categories: \n{indent}{_topic_lines()}\n\n{indent}You task is to classify "
        "the document. You should only output the category and nothing else. Reply OK if you "
        "understand my instructions."
    )


def _single_classification_prompt(document: str) -> str:
    return (
        "You are given a document below which belongs to one of the following categories: \n"
        f"{_topic_lines()}\n\nYou task is to classify the document. You should only output "
        f"the category and nothing else.\nDocument: {document}\nCategory:"
    )


def strip_document(text: str, *, joiner: str) -> str:
    """Drop a document's last three paragraphs and rejoin the rest with ``joiner``."""
    return joiner.join(text.split("\n\n")[:-3])


def _collapse_blank_lines(text: str) -> str:
    while "\n\n" in text:
        text = text.replace("\n\n", "\n")
    return text


def build_recollection_cls(sources: SourceFiles) -> tuple[TaskSet, TaskSet]:
    """Build ``recollection_single_cls`` (100) and ``recollection_multi_cls`` (10 x 10).

    The 100 documents (without their last three paragraphs) are shuffled with
    ``random.Random(111)`` and cut into ten sessions of ten.
    """
    memo_key = "recollection_cls:both"
    cached = sources.memo.get(memo_key)
    if cached is not None:
        single_set, multi_set = cached
        assert isinstance(single_set, TaskSet) and isinstance(multi_set, TaskSet)
        return single_set, multi_set

    articles = [
        (number, strip_document(doc.text, joiner="\n\n"), doc.topic)
        for number, doc in enumerate(sources.documents, start=1)
    ]
    random.Random(_SHUFFLE_SEED).shuffle(articles)
    instruction = classification_instruction()
    singles: list[Dialogue] = []
    multis: list[Dialogue] = []
    for session in range(_SESSIONS):
        batch = articles[session * _DOCUMENTS_PER_SESSION : (session + 1) * _DOCUMENTS_PER_SESSION]
        turns = [Turn(id="instruction", user=instruction, reference="OK", do_inference=False)]
        for number, content, topic in batch:
            content = _collapse_blank_lines(content)
            single_id = f"{session + 1}#{number}"
            singles.append(
                Dialogue(
                    id=single_id,
                    turns=(
                        Turn(
                            id=single_id,
                            user=_single_classification_prompt(content),
                            reference=topic,
                            do_inference=True,
                        ),
                    ),
                )
            )
            turns.append(Turn(id=str(number), user=content, reference=topic, do_inference=True))
        multis.append(Dialogue(id=str(session + 1), turns=tuple(turns)))
    result = (
        TaskSet(name="recollection_single_cls", dialogues=tuple(singles)),
        TaskSet(name="recollection_multi_cls", dialogues=tuple(multis)),
    )
    sources.memo[memo_key] = result
    return result


def build_recollection_global_inst(sources: SourceFiles) -> tuple[TaskSet, TaskSet]:
    """Build ``recollection_single_global-inst`` (280) and ``..._multi_global-inst`` (28 x 10).

    Two dialogues per instruction (in order of first appearance in the source
    file); instruction arguments are drawn by a ``random.Random(11)`` shared
    across all instructions, questions by a ``random.Random(111)`` without
    replacement per instruction — the benchmark's two generators.
    """
    memo_key = "recollection_global_inst:both"
    cached = sources.memo.get(memo_key)
    if cached is not None:
        single_set, multi_set = cached
        assert isinstance(single_set, TaskSet) and isinstance(multi_set, TaskSet)
        return single_set, multi_set

    pools: dict[str, list[GlobalInstRecord]] = {}
    for row in sources.global_inst:
        for instruction_id in row.instructions:
            if instruction_id in GLOBAL_INST_IDS:
                pools.setdefault(instruction_id, []).append(row)

    args_rng = random.Random(_ARGS_SEED)
    question_rng = random.Random(_SHUFFLE_SEED)
    singles: list[Dialogue] = []
    multis: list[Dialogue] = []
    session = 1
    for group, (instruction_id, pool) in enumerate(pools.items(), start=1):
        for _ in range(_SESSIONS_PER_INSTRUCTION):
            args: dict[str, Any] = sample_mteval_args(instruction_id, args_rng)
            prompt = describe(instruction_id, args, dialect="mt-eval")
            if instruction_id != _NUMBER_WORDS:
                prompt += _LENGTH_SUFFIX
            turns = [Turn(id="instruction", user=prompt, reference="ok.", do_inference=False)]
            for _ in range(_QUESTIONS_PER_SESSION):
                question = question_rng.choice(pool)
                pool.remove(question)
                turn_id = f"{group}-{question.id}"
                turns.append(Turn(id=turn_id, user=question.query, reference="", do_inference=True))
                single_id = f"{session}_{turn_id}"
                singles.append(
                    Dialogue(
                        id=single_id,
                        inst_name=instruction_id,
                        inst_args=args,
                        turns=(
                            Turn(
                                id=single_id,
                                user=f"Instruction: {prompt}\nQuestion: {question.query}",
                                reference="",
                                do_inference=True,
                            ),
                        ),
                    )
                )
            multis.append(
                Dialogue(
                    id=str(session), inst_name=instruction_id, inst_args=args, turns=tuple(turns)
                )
            )
            session += 1
    result = (
        TaskSet(name="recollection_single_global-inst", dialogues=tuple(singles)),
        TaskSet(name="recollection_multi_global-inst", dialogues=tuple(multis)),
    )
    sources.memo[memo_key] = result
    return result


RECOLLECTION_SINGLE_CLS = TaskSpec(
    name="recollection_single_cls",
    category="recollection",
    setting="single",
    groups=("single",),
    build=lambda sources: build_recollection_cls(sources)[0],
    scorer="cls",
    description="Recollection (classification), single-turn: instruction and document together "
    "(100 turns)",
)

RECOLLECTION_MULTI_CLS = TaskSpec(
    name="recollection_multi_cls",
    category="recollection",
    setting="multi",
    groups=("main",),
    build=lambda sources: build_recollection_cls(sources)[1],
    scorer="cls",
    description="Recollection (classification), multi-turn: one document per turn after the "
    "instruction (10 dialogues, 100 turns)",
)

RECOLLECTION_MULTI_CLS_GOLD = RECOLLECTION_MULTI_CLS.variant(
    "gold",
    description="Recollection (classification), multi-turn with the reference labels as "
    "history (100 turns)",
)

RECOLLECTION_SINGLE_GLOBAL_INST = TaskSpec(
    name="recollection_single_global-inst",
    category="recollection",
    setting="single",
    groups=("single",),
    build=lambda sources: build_recollection_global_inst(sources)[0],
    scorer="instruction",
    description="Recollection (global instruction), single-turn: instruction and question "
    "together (280 turns)",
)

RECOLLECTION_MULTI_GLOBAL_INST = TaskSpec(
    name="recollection_multi_global-inst",
    category="recollection",
    setting="multi",
    groups=("main",),
    build=lambda sources: build_recollection_global_inst(sources)[1],
    scorer="instruction",
    description="Recollection (global instruction), multi-turn: an instruction for the whole "
    "dialogue, then ten questions (28 dialogues, 280 turns)",
)
