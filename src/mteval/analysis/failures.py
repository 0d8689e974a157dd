"""Why a run did not score everything: its failures grouped by reason, most common first."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mteval.records import JudgmentRecord, TurnRecord
from mteval.store.sqlite import RunStore

__all__ = ["FailureReason", "failure_reasons", "group_failures"]

# Parts of an error message that differ between occurrences of one reason.
_ATTEMPTS = re.compile(r"\s*\((?:after \d+ attempts?|asked \d+ times)\)")
_TURN_ID = re.compile(r"turn \S+ of this dialogue")


@dataclass(frozen=True)
class FailureReason:
    """One reason turns went unscored.

    Attributes:
        stage: ``turn`` (the model's request failed), ``not_run`` (an earlier
            turn of the dialogue failed) or ``judge`` (scoring failed).
        reason: The error message, without the parts that vary per turn.
        count: Turns that failed for this reason.
        example: Where it happened first: ``task dialogue #turn``.
        example_error: That turn's full error message.
    """

    stage: str
    reason: str
    count: int
    example: str
    example_error: str


def _reason(message: str | None) -> str:
    text = _ATTEMPTS.sub("", message or "no reason recorded")
    return _TURN_ID.sub("turn of this dialogue", text).strip()


def group_failures(
    turns: Iterable[TurnRecord], judgments: Iterable[JudgmentRecord]
) -> list[FailureReason]:
    """Group failed turns and judgments by reason, most common first."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for turn in turns:
        if turn.status == "answered":
            continue
        stage = "turn" if turn.status == "error" else "not_run"
        where = f"{turn.task} {turn.dialogue_id} #{turn.turn_index}"
        groups.setdefault((stage, _reason(turn.error)), []).append((where, turn.error or ""))
    for judgment in judgments:
        if judgment.status == "scored":
            continue
        where = f"{judgment.task} {judgment.dialogue_id} #{judgment.turn_index}"
        key = ("judge", _reason(judgment.error))
        groups.setdefault(key, []).append((where, judgment.error or ""))
    reasons = [
        FailureReason(
            stage=stage,
            reason=reason,
            count=len(items),
            example=items[0][0],
            example_error=items[0][1],
        )
        for (stage, reason), items in groups.items()
    ]
    return sorted(reasons, key=lambda r: (-r.count, r.stage, r.reason))


def failure_reasons(store: RunStore, run_id: str) -> list[FailureReason]:
    """Return run ``run_id``'s failures grouped by reason, most common first.

    Raises:
        StoreError: No such run.
    """
    store.get_run(run_id)
    return group_failures(store.turns(run_id), store.judgments(run_id))
