"""Follow-up: questions that build on the assistant's previous reply.

MT-Eval §3 (Kwan et al. 2024, arXiv 2401.16745): the 80 MT-Bench questions
extended to five turns; the first two turns are given (with reference
replies) and the last three are answered (240 turns). The judge sees the
previous user turn with its reference reply, then the current turn and the
model's reply.

The single-turn version: the benchmark published one (``follow-up_single``)
whose construction step is not in its public code or sources. When that
published file is present in the data folder mteval uses it as is;
otherwise it builds a documented stand-in (provenance ``mteval``): each
answered turn becomes one turn whose message carries the conversation so
far, with the reference replies, followed by the current query. See
docs/fidelity.md.
"""

from __future__ import annotations

from mteval.benchmarks.mt_eval.loaders import SourceFiles
from mteval.benchmarks.mt_eval.tasks.base import JudgeContext, TaskSpec
from mteval.text import count_sentences, count_whitespace_words
from mteval.types import Dialogue, TaskSet, Turn

__all__ = [
    "FOLLOW_UP_MULTI",
    "FOLLOW_UP_MULTI_GOLD",
    "FOLLOW_UP_SINGLE",
    "PUBLISHED_SINGLE_FILE",
    "build_follow_up_multi",
    "build_follow_up_single",
    "follow_up_multi_fields",
    "follow_up_single_fields",
    "single_turn_query",
]

_GIVEN_TURNS = 2
PUBLISHED_SINGLE_FILE = "follow-up_single.jsonl"
"""The benchmark's published single-turn file, used when placed in the data folder."""


def build_follow_up_multi(sources: SourceFiles) -> TaskSet:
    """Build ``follow-up_multi``: 80 five-turn dialogues, the last three answered."""
    dialogues = []
    for row in sources.mt_bench_extended:
        turns = []
        question_id = ""
        for index, raw in enumerate(row.conversation):
            question_id, turn_number = raw.id.split("_")
            turns.append(
                Turn(
                    id=str(int(turn_number) + 1),
                    user=raw.user,
                    reference=raw.sys,
                    do_inference=index >= _GIVEN_TURNS,
                )
            )
        dialogues.append(Dialogue(id=question_id, turns=tuple(turns)))
    return TaskSet(name="follow-up_multi", dialogues=tuple(dialogues))


def single_turn_query(history: list[tuple[str, str]], query: str) -> str:
    """Render a follow-up query with its conversation so far as one user message.

    Args:
        history: Earlier (user message, reference reply) pairs, in order.
        query: The current user query.
    """
    lines = ["Here is our conversation so far:", ""]
    for user, reply in history:
        lines.append(f"User: {user.strip()}")
        lines.append(f"Assistant: {reply.strip()}")
    lines.extend(["", "Reply to my next message, which continues that conversation:", query])
    return "\n".join(lines)


def build_follow_up_single(sources: SourceFiles) -> TaskSet:
    """Build ``follow-up_single`` (240 one-turn dialogues, ids ``{question}#{turn}``).

    Uses the benchmark's published file when it is in the data folder, else
    mteval's documented construction (:func:`single_turn_query`).
    """
    published = sources.root / PUBLISHED_SINGLE_FILE
    if published.is_file():
        records = sources.published(PUBLISHED_SINGLE_FILE, expected=240)
        dialogues = tuple(
            Dialogue(
                id=record.id,
                turns=tuple(
                    Turn(
                        id=turn.id,
                        user=turn.user,
                        reference=turn.sys,
                        do_inference=turn.do_inference,
                        inst=turn.inst,
                    )
                    for turn in record.conv
                ),
            )
            for record in records
        )
        return TaskSet(name="follow-up_single", dialogues=dialogues)

    dialogues_built = []
    for dialogue in FOLLOW_UP_MULTI.load(sources).dialogues:
        history: list[tuple[str, str]] = []
        for turn in dialogue.turns:
            if turn.do_inference:
                single_id = f"{dialogue.id}#{turn.id}"
                single = Turn(
                    id=single_id,
                    user=single_turn_query(history, turn.user),
                    reference=turn.reference,
                    do_inference=True,
                )
                dialogues_built.append(Dialogue(id=single_id, turns=(single,)))
            history.append((turn.user, turn.reference))
    return TaskSet(name="follow-up_single", dialogues=tuple(dialogues_built))


def _counts(response: str) -> list[tuple[str, str]]:
    return [
        ("{num_words}", str(count_whitespace_words(response))),
        ("{num_sent}", str(count_sentences(response))),
    ]


def follow_up_multi_fields(ctx: JudgeContext) -> list[tuple[str, str]]:
    """Fill the MT-Bench-style template with the previous exchange and the current one.

    The previous assistant message is the *reference* reply, even when the
    model answered that turn: the benchmark's judge shows it so.
    """
    turns = ctx.dialogue.turns
    previous, current = turns[ctx.position - 1], turns[ctx.position]
    response = ctx.response.strip()
    conversation = "\n".join(
        [
            f"User: {previous.user.strip()}",
            f"Assistant: {previous.reference.strip()}",
            f"User: {current.user.strip()}",
            f"Assistant: {response}",
        ]
    )
    return [("{conversation}", conversation), *_counts(response)]


def follow_up_single_fields(ctx: JudgeContext) -> list[tuple[str, str]]:
    """Fill the MT-Bench-style template with the single turn and the reply."""
    current = ctx.dialogue.turns[ctx.position]
    response = ctx.response.strip()
    conversation = "\n".join([f"User: {current.user.strip()}", f"Assistant: {response}"])
    return [("{conversation}", conversation), *_counts(response)]


FOLLOW_UP_SINGLE = TaskSpec(
    name="follow-up_single",
    category="follow-up",
    setting="single",
    groups=("single",),
    build=build_follow_up_single,
    scorer="judge",
    judge_template="mt-bench_evaluation",
    judge_fields=follow_up_single_fields,
    description="Follow-up, single-turn: each answered turn with its history in one message "
    "(240 turns)",
    provenance="mteval",
)

FOLLOW_UP_MULTI = TaskSpec(
    name="follow-up_multi",
    category="follow-up",
    setting="multi",
    groups=("main",),
    build=build_follow_up_multi,
    scorer="judge",
    judge_template="mt-bench_evaluation",
    judge_fields=follow_up_multi_fields,
    description="Follow-up, multi-turn: extended MT-Bench, last three turns answered "
    "(80 dialogues, 240 turns)",
)

FOLLOW_UP_MULTI_GOLD = FOLLOW_UP_MULTI.variant(
    "gold",
    description="Follow-up, multi-turn with the reference replies as history (240 turns)",
)
