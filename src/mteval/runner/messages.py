"""Build the chat messages for one turn exactly as the benchmark's inference does."""

from __future__ import annotations

from collections.abc import Mapping

from mteval.tasks.base import History
from mteval.types import ChatMessage, Dialogue

__all__ = ["build_messages"]


def build_messages(
    dialogue: Dialogue,
    position: int,
    *,
    replies: Mapping[int, str],
    history: History,
    system_message: str | None,
) -> list[ChatMessage]:
    """Return the messages sent to the model for ``dialogue.turns[position]``.

    The system message, then for each earlier turn its user message and an
    assistant message — the reference reply for turns that are not answered,
    and for answered turns the model's own reply (``history="own"``) or the
    reference reply (``history="gold"``) — then the current user message.

    Args:
        dialogue: The dialogue.
        position: Index of the current turn.
        replies: The model's replies to earlier answered turns, by position
            (needed only with ``history="own"``).
        history: Whose replies form the history.
        system_message: The system message, or None for none.

    Raises:
        KeyError: An earlier answered turn has no reply in own-history mode.
    """
    messages: list[ChatMessage] = []
    if system_message is not None:
        messages.append(ChatMessage(role="system", content=system_message))
    for index in range(position):
        turn = dialogue.turns[index]
        messages.append(ChatMessage(role="user", content=turn.user))
        if turn.do_inference and history == "own":
            reply = replies[index]
        else:
            reply = turn.reference
        messages.append(ChatMessage(role="assistant", content=reply))
    messages.append(ChatMessage(role="user", content=dialogue.turns[position].user))
    return messages
