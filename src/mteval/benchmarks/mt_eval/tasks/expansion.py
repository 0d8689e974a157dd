"""Expansion: several different queries about one document.

MT-Eval §3 (Kwan et al. 2024, arXiv 2401.16745): a dialogue opens with a
document and a first query; six more queries of other task types follow (10
dialogues, 7 turns). The judge sees the document, the current instruction and
the reply. The single-turn version repeats the document in every query.
"""

from __future__ import annotations

import random

from mteval.benchmarks.mt_eval.loaders import TOPICS, SourceFiles
from mteval.benchmarks.mt_eval.tasks.base import JudgeContext, TaskSpec
from mteval.types import Dialogue, TaskSet, Turn

__all__ = [
    "EXPANSION_MULTI",
    "EXPANSION_MULTI_GOLD",
    "EXPANSION_SINGLE",
    "build_expansion",
    "expansion_fields",
]

_INSTRUCTION_MARK = "Instruction: "
_SHUFFLE_SEED = 111
_CLASSIFY_INSTRUCTION = (
    "Instruction: Classify the initially provided content into one of the"
    f" following labels: {', '.join(TOPICS)}. Just provide the correct"
    " label without any further explanations or extra output."
)


def build_expansion(sources: SourceFiles) -> tuple[TaskSet, TaskSet]:
    """Build ``expansion_single`` (70 turns) and ``expansion_multi`` (10 x 7 turns) together.

    Per document: the first turn of every task type; the long-form ``qa`` is
    replaced by ``short-qa`` (renamed ``qa``), a classification query is added,
    ``rewrite`` is left out, and the order is shuffled with the benchmark's
    seeded generator (one ``random.Random(111)`` across documents).
    """
    memo_key = "expansion:both"
    cached = sources.memo.get(memo_key)
    if cached is not None:
        single_set, multi_set = cached
        assert isinstance(single_set, TaskSet) and isinstance(multi_set, TaskSet)
        return single_set, multi_set

    documents = sources.documents
    first_turns: dict[str, dict[str, tuple[str, str, str]]] = {}
    for session in sources.refinement_multi_inst:
        document, task_type, _ = session[0].id.split("_")
        first = session[0]
        first_turns.setdefault(document, {})[task_type] = (first.user, first.sys, first.id)

    rng = random.Random(_SHUFFLE_SEED)
    singles: list[Dialogue] = []
    multis: list[Dialogue] = []
    for number, (document, queries) in enumerate(first_turns.items(), start=1):
        # Dict order matters for the shuffle below: "qa" moves to the end.
        queries.pop("qa")
        queries["qa"] = queries.pop("short-qa")
        queries["cls"] = (
            queries["qa"][0].split("Instruction")[0] + _CLASSIFY_INSTRUCTION,
            documents[int(document) - 1].topic,
            f"{document}_cls_1",
        )
        order = [name for name in queries if name != "rewrite"]
        rng.shuffle(order)
        turns: list[Turn] = []
        for index, name in enumerate(order):
            full_user, reference, turn_id = queries[name]
            user = full_user.split(_INSTRUCTION_MARK)[1] if index > 0 else full_user
            inst = user.split(_INSTRUCTION_MARK)[-1]
            turns.append(
                Turn(id=turn_id, user=user, reference=reference, do_inference=True, inst=inst)
            )
            single_id = f"{number}#{turn_id}"
            single_turn = Turn(
                id=single_id, user=full_user, reference=reference, do_inference=True, inst=inst
            )
            singles.append(Dialogue(id=single_id, turns=(single_turn,)))
        multis.append(Dialogue(id=str(number), turns=tuple(turns)))
    result = (
        TaskSet(name="expansion_single", dialogues=tuple(singles)),
        TaskSet(name="expansion_multi", dialogues=tuple(multis)),
    )
    sources.memo[memo_key] = result
    return result


def _document_index(turn_id: str) -> int:
    # Multi-turn ids are "{doc}_{type}_1"; single-turn ids prefix "{dialogue}#".
    return int(turn_id.split("#")[-1].split("_")[0]) - 1


def expansion_fields(ctx: JudgeContext) -> list[tuple[str, str]]:
    """Fill the expansion template: the stripped reply, the document, the instruction."""
    turn = ctx.dialogue.turns[ctx.position]
    return [
        ("{response}", ctx.response.strip()),
        ("{content}", ctx.documents[_document_index(turn.id)].text),
        ("{constraints}", turn.inst or ""),
    ]


EXPANSION_SINGLE = TaskSpec(
    name="expansion_single",
    category="expansion",
    setting="single",
    groups=("single",),
    build=lambda sources: build_expansion(sources)[0],
    scorer="judge",
    judge_template="expansion_evaluation",
    judge_fields=expansion_fields,
    description="Expansion, single-turn: each query with its document (70 turns)",
)

EXPANSION_MULTI = TaskSpec(
    name="expansion_multi",
    category="expansion",
    setting="multi",
    groups=("main",),
    build=lambda sources: build_expansion(sources)[1],
    scorer="judge",
    judge_template="expansion_evaluation",
    judge_fields=expansion_fields,
    description="Expansion, multi-turn: seven queries about one document (10 dialogues, 70 turns)",
)

EXPANSION_MULTI_GOLD = EXPANSION_MULTI.variant(
    "gold",
    description="Expansion, multi-turn with the reference replies as history (70 turns)",
)
