"""What MT-Eval offers a judge audit: history-free templates and checkable instructions.

The audit engine asks the benchmark three things, answered here for MT-Eval:

- which turns carry a programmatic verdict (the global-instruction
  recollection turns, checked by the instruction checkers);
- the prompt that asks the judge, in the benchmark's judging style, whether a
  reply follows such an instruction (mteval's own wording: MT-Eval judges
  these turns by checker only, so it has no such template; the prompt follows
  its judge templates' layout and JSON verdict, see docs/fidelity.md);
- which judge templates can be filled both with and without the earlier
  turns: refinement (the accumulated constraints, or the current one only,
  as its single-turn template does) and follow-up (the previous exchange, or
  the current turn only). Expansion's template never shows history;
- how to ask for a pairwise verdict between two runs' replies to one turn
  (for position bias). MT-Eval grades single replies only, so this is
  mteval's own prompt, in the style of MT-Bench's pairwise judge: the user
  message, the two answers, and ``[[A]]``, ``[[B]]`` or ``[[C]]`` (tie).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mteval.benchmarks.mt_eval.judge import fill_template
from mteval.benchmarks.mt_eval.tasks.base import JudgeContext, JudgeFields, TaskSpec
from mteval.benchmarks.mt_eval.tasks.follow_up import follow_up_single_fields
from mteval.benchmarks.mt_eval.tasks.refinement import refinement_single_fields
from mteval.instructions import describe
from mteval.types import Dialogue

__all__ = [
    "FOLLOWS_THRESHOLD",
    "INSTRUCTION_FOLLOW_TEMPLATE",
    "PAIRWISE_TEMPLATE",
    "NoHistoryJudge",
    "has_checker",
    "instruction_follow_prompt",
    "judge_prompt",
    "no_history_judge",
    "pairwise_prompt",
    "parse_pairwise_verdict",
]

INSTRUCTION_FOLLOW_TEMPLATE = """\
Evaluate whether the response provided below follows the instruction. Provide an integer \
score from 1 to 10, where 10 means the response fully follows the instruction and 1 means \
it does not follow it at all. Judge only whether the instruction is followed, not the \
quality of the content. Before giving your score, you should first provide a rationale to \
explain it.

Instruction:
{instruction}

Response to Evaluate:
{response}

The evaluation must be structured in the following JSON format:
```json
{
  "Rationale": "<Explain the rationale of your score.>",
  "Score": <An integer score from 1 to 10.>
}
```"""
"""mteval's "does this reply follow the instruction" prompt, in MT-Eval's judging style."""

FOLLOWS_THRESHOLD = 6
"""A score of at least this reads as "follows the instruction" (the upper half of 1-10)."""


@dataclass(frozen=True, kw_only=True)
class NoHistoryJudge:
    """How to judge a turn without its earlier turns.

    Attributes:
        template: The judge template to fill.
        fields: Fills it for one turn.
    """

    template: str
    fields: JudgeFields


_NO_HISTORY = {
    "refinement_multi_evaluation": NoHistoryJudge(
        template="refinement_single_evaluation", fields=refinement_single_fields
    ),
}


def no_history_judge(spec: TaskSpec) -> NoHistoryJudge | None:
    """The history-free judging of ``spec``'s turns, or None when its template has no history."""
    if spec.scorer != "judge" or spec.judge_template is None or spec.setting == "single":
        return None
    if spec.category == "follow-up":
        return NoHistoryJudge(template=spec.judge_template, fields=follow_up_single_fields)
    return _NO_HISTORY.get(spec.judge_template)


def has_checker(spec: TaskSpec) -> bool:
    """Whether ``spec``'s turns carry a programmatic verdict (the instruction checkers)."""
    return spec.scorer == "instruction"


def instruction_follow_prompt(dialogue: Dialogue, response: str) -> str | None:
    """The prompt asking whether ``response`` follows ``dialogue``'s instruction.

    Returns:
        The filled prompt, or None when the dialogue has no checkable instruction.
    """
    if dialogue.inst_name is None:
        return None
    instruction = describe(dialogue.inst_name, dialogue.inst_args or {}, dialect="mt-eval")
    return INSTRUCTION_FOLLOW_TEMPLATE.replace("{instruction}", instruction).replace(
        "{response}", response
    )


PAIRWISE_TEMPLATE = """\
You are an impartial judge. Compare the two AI assistants' answers to the user's message \
below and decide which one answers it better, considering helpfulness, relevance, accuracy \
and how well it follows the user's instructions. The order in which the answers are shown \
and their length must not influence you. Explain your comparison briefly, then give your \
verdict in exactly this format: "[[A]]" if assistant A is better, "[[B]]" if assistant B is \
better, "[[C]]" for a tie.

[User Message]
{question}

[Assistant A's Answer]
{answer_a}
[End of Assistant A's Answer]

[Assistant B's Answer]
{answer_b}
[End of Assistant B's Answer]"""
"""mteval's pairwise prompt for MT-Eval turns (MT-Eval itself grades single replies)."""


def pairwise_prompt(dialogue: Dialogue, position: int, answer_a: str, answer_b: str) -> str:
    """The prompt asking which of two replies to ``dialogue.turns[position]`` is better."""
    fields = {
        "{question}": dialogue.turns[position].user,
        "{answer_a}": answer_a,
        "{answer_b}": answer_b,
    }
    # One pass: an answer quoting "{answer_b}" stays as written.
    return re.sub(
        r"\{question\}|\{answer_a\}|\{answer_b\}", lambda m: fields[m.group(0)], PAIRWISE_TEMPLATE
    )


def parse_pairwise_verdict(reply: str) -> str | None:
    """``"A"``, ``"B"`` or ``"tie"`` from a pairwise reply; None when it gives no verdict."""
    for mark, verdict in (("[[A]]", "A"), ("[[B]]", "B"), ("[[C]]", "tie")):
        if mark in reply:
            return verdict
    return None


def judge_prompt(
    sources: Any,
    *,
    template: str,
    fields: JudgeFields,
    dialogue: Dialogue,
    position: int,
    response: str,
) -> str:
    """A judge prompt for a stored reply: ``template`` filled by ``fields``, as MT-Eval fills it."""
    context = JudgeContext(
        dialogue=dialogue, position=position, response=response, documents=sources.documents
    )
    return fill_template(sources.template(template), fields(context))
