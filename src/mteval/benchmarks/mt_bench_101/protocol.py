r"""How MT-Bench-101 turns a dialogue into model requests and judge inputs.

As OpenCompass's ``MTBench101Dataset.load`` and its chat inferencer do it:

- A dialogue's turns are all evaluated, except the first turn of the
  :data:`~.taxonomy.SKIP_FIRST_TASKS`, which is context only.
- Under the benchmark's (golden) protocol the model answering turn *k* sees
  the golden earlier turns (user, golden reply) and turn *k*'s user message,
  with no system message. Every evaluated turn is therefore independent.
- The judge reads the dialogue as text: for each earlier turn
  ``"\n\n Human: " + user + "\n\nAssistant: " + reply``, then the current
  ``"\n\n Human: " + user + "\n\nAssistant: "``; the answer follows it.
- For MR and GR the judge also gets a "reference solution", which is the
  Python ``str()`` of the golden dialogue as a list of ``{'role', 'content'}``
  dicts up to and including the current turn's golden reply (OpenCompass
  passes its chat list where a reference text was meant).
- A reply that is empty is left out of the chat list, as ``add_format`` does.

mteval's optional ``own`` history replaces the golden reply of every
*evaluated* earlier turn by the model's own reply, in the model's messages
and in the judge's dialogue text; context-only first turns keep their
golden replies (they set the task up, e.g. the planted mistake of SC), and
the MR/GR reference stays the golden dialogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mteval.types import ChatMessage

from .source import Mtb101Dialogue
from .taxonomy import REFERENCE_TASKS, SKIP_FIRST_TASKS

__all__ = [
    "EvaluatedTurn",
    "evaluated_indices",
    "evaluated_turns",
    "judge_history",
    "model_messages",
    "reference_text",
]


@dataclass(frozen=True)
class EvaluatedTurn:
    """One turn the model answers and the judge rates, under golden history.

    Attributes:
        task: Task abbreviation.
        dialogue_id: The dialogue's id.
        index: 0-based turn index in the dialogue.
        messages: What the model receives.
        history: The judge's dialogue text, ending with ``"Assistant: "``.
        reference: The MR/GR reference solution text, else ``None``.
        golden: The golden reply to this turn.
    """

    task: str
    dialogue_id: int
    index: int
    messages: tuple[ChatMessage, ...]
    history: str
    reference: str | None
    golden: str

    @property
    def turn_id(self) -> str:
        """OpenCompass's turn id: the 1-based turn number as text."""
        return str(self.index + 1)


def evaluated_indices(dialogue: Mtb101Dialogue) -> list[int]:
    """Return the 0-based indices of the turns the judge rates."""
    start = 1 if dialogue.task in SKIP_FIRST_TASKS else 0
    return list(range(start, len(dialogue.turns)))


def _reply(dialogue: Mtb101Dialogue, index: int, own: Mapping[int, str] | None) -> str:
    golden = dialogue.turns[index][1]
    if own is None or (dialogue.task in SKIP_FIRST_TASKS and index == 0):
        return golden
    return own[index]


def model_messages(
    dialogue: Mtb101Dialogue, index: int, own: Mapping[int, str] | None = None
) -> tuple[ChatMessage, ...]:
    """Return the messages the model answers for turn ``index``.

    Args:
        dialogue: The dialogue.
        index: 0-based index of the turn to answer.
        own: The model's own replies by turn index (``own`` history), or
            ``None`` for the benchmark's golden history.
    """
    messages: list[ChatMessage] = []
    for earlier in range(index):
        messages.append(ChatMessage(role="user", content=dialogue.turns[earlier][0]))
        reply = _reply(dialogue, earlier, own)
        if reply:
            messages.append(ChatMessage(role="assistant", content=reply))
    messages.append(ChatMessage(role="user", content=dialogue.turns[index][0]))
    return tuple(messages)


def judge_history(
    dialogue: Mtb101Dialogue, index: int, own: Mapping[int, str] | None = None
) -> str:
    """Return the judge's dialogue text for turn ``index``, up to ``"Assistant: "``."""
    parts: list[str] = []
    for earlier in range(index):
        user = dialogue.turns[earlier][0]
        parts.append("\n\n Human: " + user + "\n\nAssistant: " + _reply(dialogue, earlier, own))
    parts.append("\n\n Human: " + dialogue.turns[index][0] + "\n\nAssistant: ")
    return "".join(parts)


def reference_text(dialogue: Mtb101Dialogue, index: int) -> str | None:
    """Return the MR/GR reference: the printed golden dialogue through turn ``index``."""
    if dialogue.task not in REFERENCE_TASKS:
        return None
    chat: list[dict[str, str]] = []
    for user, golden in dialogue.turns[: index + 1]:
        chat.append({"role": "user", "content": user})
        if golden:
            chat.append({"role": "assistant", "content": golden})
    return str(chat)


def evaluated_turns(dialogue: Mtb101Dialogue) -> list[EvaluatedTurn]:
    """Return every evaluated turn of a dialogue under golden history."""
    return [
        EvaluatedTurn(
            task=dialogue.task,
            dialogue_id=dialogue.id,
            index=index,
            messages=model_messages(dialogue, index),
            history=judge_history(dialogue, index),
            reference=reference_text(dialogue, index),
            golden=dialogue.turns[index][1],
        )
        for index in evaluated_indices(dialogue)
    ]
