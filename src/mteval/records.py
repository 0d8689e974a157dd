"""Typed, versioned records of what happened to each turn, written as it happens.

The bottom layer: the runner writes them, the store persists them, analyses
read them. A benchmark's scorer returns a :class:`JudgmentRecord` (its
*verdict*) carrying every :class:`JudgeCall` it made, so one verdict can rest
on several judge calls (pairwise in two orders, repeated samples, several
judges), each stored on its own.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

__all__ = [
    "RECORD_VERSION",
    "JudgeCall",
    "JudgmentRecord",
    "RequestRecord",
    "RunSink",
    "TurnKey",
    "TurnRecord",
]

RECORD_VERSION = 1

TurnKey = tuple[str, str, int]
"""(task name, dialogue id, position): identifies an answered turn within a run."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TurnRecord(_Record):
    """The fate of one answered turn.

    Attributes:
        task: Task name.
        dialogue_id: Dialogue id within the task.
        position: Index of the turn in the dialogue.
        turn_id: The benchmark's turn id.
        turn_index: 1-based index among the dialogue's answered turns.
        status: ``answered``; ``error`` (the request failed for good);
            ``not_run`` (an earlier turn of the dialogue failed, so this
            turn's history does not exist).
        response: The model's reply (``answered`` only).
        finish_reason: Why generation stopped.
        completion_key: Cache key of the completion (links to the stored request).
        error: Why it failed, for ``error`` and ``not_run``.
        attempts: HTTP attempts it took.
        latency_s: Wall time of the successful attempt.
        prompt_tokens: Tokens in the prompt, as reported.
        completion_tokens: Tokens generated, as reported.
        cached: Served from the completion cache.
    """

    task: str
    dialogue_id: str
    position: int
    turn_id: str
    turn_index: int
    status: Literal["answered", "error", "not_run"]
    response: str | None = None
    finish_reason: str | None = None
    completion_key: str | None = None
    error: str | None = None
    attempts: int = 0
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False


class JudgeCall(_Record):
    """One request to a judge and what became of its reply.

    Attributes:
        index: 0-based order of the call within its verdict.
        template: The judge template (prompt) used, e.g. ``refinement_multi_evaluation``.
        label: What the call stands for within the verdict (e.g. ``AB`` / ``BA``
            for the two orders of a pairwise game); empty for a single grade.
        prompt_key: SHA-256 of the filled prompt (system and user text).
        judge_key: Cache key of the judge completion (links to the stored request).
        reply: The judge's reply text (None when the request failed).
        value: The value the template's parser read from the reply (a score,
            ``A``/``B``/``tie``, ...); None when unusable.
        error: Why the reply was unusable or the request failed.
    """

    index: int
    template: str | None = None
    label: str = ""
    prompt_key: str | None = None
    judge_key: str | None = None
    reply: str | None = None
    value: float | str | None = None
    error: str | None = None


class JudgmentRecord(_Record):
    """The verdict on one answered turn: its score and the judge calls it rests on.

    Attributes:
        task: Task name.
        dialogue_id: Dialogue id.
        position: Index of the turn in the dialogue.
        turn_index: 1-based index among the dialogue's answered turns.
        method: The scorer's registry name (MT-Eval: ``judge``, ``cls`` or
            ``instruction``).
        status: ``scored`` or ``error`` (the judge's replies were unusable or
            its requests failed: excluded from every mean, counted apart).
        score: The score on the benchmark's 0-10 scale (``scored`` only).
        rationale: The judge's rationale, or the programmatic check's verdict.
        judge_key: Cache key of the (last) judge completion.
        prompt_key: Hash of the filled judge prompt.
        error: Why judging failed.
        attempts: Judge requests made for this turn, over every attempt at the
            run (unusable replies are asked again, with another seed).
        calls: Every judge call made for this verdict, in order (empty for
            programmatic scorers). Not part of the ``judgments`` row: the
            store keeps them in their own table.
    """

    task: str
    dialogue_id: str
    position: int
    turn_index: int
    method: str
    status: Literal["scored", "error"]
    score: float | None = None
    rationale: str | None = None
    judge_key: str | None = None
    prompt_key: str | None = None
    error: str | None = None
    attempts: int = 0
    calls: tuple[JudgeCall, ...] = ()

    @property
    def reasked(self) -> bool:
        """Whether this verdict came from a re-ask (an earlier judge reply was unusable)."""
        return self.method == "judge" and self.status == "scored" and self.attempts > 1


class RequestRecord(_Record):
    """A finished request (one per completion, cached or not)."""

    key: str
    role: Literal["model", "judge"]
    request: dict[str, Any]
    content: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    attempts: int = 1


class RunSink(Protocol):
    """Where the runner reports records as they happen (the store implements it)."""

    def turn_finished(self, record: TurnRecord) -> None:
        """Record a turn's outcome."""

    def judgment_finished(self, record: JudgmentRecord) -> None:
        """Record a turn's score."""
