"""Play dialogues under their benchmark's protocol, many at once, and score each turn at once.

Each task's :class:`~mteval.benchmarks.base.PlayProtocol` decides which
messages each turn sends and in what order turns go: with the model's own
history, turns within a dialogue run in order; with a golden history every
turn is independent and all are dispatched at once. The runner supplies
what every protocol needs: concurrency across dialogues, the completion
cache (through the model wrapper), resumption of finished turns, error and
not-run records, and scoring of each turn the moment it is answered, while
its dialogue goes on.

Requests carry a priority equal to the length of the chain of work still
behind them (turns left in the dialogue plus the final judgment), so when
the endpoint's slots are scarce the longest dialogues go first and do not
become the run's tail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mteval.benchmarks.base import TaskSpec
from mteval.errors import EndpointError, ResourceError
from mteval.models import Model, RequestFailed
from mteval.records import JudgmentRecord, RunSink, TurnKey, TurnRecord
from mteval.types import ChatMessage, Dialogue, GenerateConfig, TaskSet

__all__ = ["ResumeState", "RunProgress", "Runner", "TurnKey", "TurnScorer"]


class TurnScorer(Protocol):
    """Scores one answered turn (programmatic check or LLM judge)."""

    async def score(
        self,
        spec: TaskSpec,
        dialogue: Dialogue,
        position: int,
        turn_index: int,
        response: str,
        *,
        previous_attempts: int = 0,
    ) -> JudgmentRecord:
        """Return the turn's judgment; failures are judgment records, not exceptions.

        Raises:
            EndpointError: The judge's endpoint cannot serve the run at all.
        """


@dataclass
class ResumeState:
    """What an earlier, interrupted attempt at the same run already finished.

    Attributes:
        turns: Answered turns, by key: their replies are reused, not requested.
        judgments: Scored turns, by key: not judged again.
        judge_attempts: Judge requests already spent on turns whose judging
            failed, so a retry asks afresh instead of replaying cached replies.
        failed_judgments: Judgments that failed after spending their
            attempts: kept as they are (not judged again) unless the errors
            are retried on purpose (``--retry-errors``).
    """

    turns: Mapping[TurnKey, TurnRecord] = field(default_factory=dict)
    judgments: Mapping[TurnKey, JudgmentRecord] = field(default_factory=dict)
    judge_attempts: Mapping[TurnKey, int] = field(default_factory=dict)
    failed_judgments: Mapping[TurnKey, JudgmentRecord] = field(default_factory=dict)

    @classmethod
    def from_records(
        cls,
        turns: Iterable[TurnRecord],
        judgments: Iterable[JudgmentRecord],
        *,
        retry_errors: bool = False,
    ) -> ResumeState:
        """Apply the resume policy to a run's stored records.

        Answered turns and scored verdicts are kept. Failed verdicts spent their
        judge requests: they stand as they are, unless ``retry_errors`` asks to
        judge them again (afresh: the requests already spent are counted, so
        cached unusable replies are not replayed).
        """
        kept: dict[TurnKey, TurnRecord] = {}
        for record in turns:
            if record.status == "answered":
                kept[(record.task, record.dialogue_id, record.position)] = record
        scored: dict[TurnKey, JudgmentRecord] = {}
        attempts: dict[TurnKey, int] = {}
        failed: dict[TurnKey, JudgmentRecord] = {}
        for judgment in judgments:
            key = (judgment.task, judgment.dialogue_id, judgment.position)
            if judgment.status == "scored":
                scored[key] = judgment
            else:
                attempts[key] = judgment.attempts
                if not retry_errors:
                    failed[key] = judgment
        return cls(turns=kept, judgments=scored, judge_attempts=attempts, failed_judgments=failed)


@dataclass
class RunProgress:
    """Live counters of a run, for progress displays."""

    turns_total: int = 0
    turns_done: int = 0
    turn_errors: int = 0
    turns_not_run: int = 0
    judgments_done: int = 0
    judgment_errors: int = 0
    started_at: float = field(default_factory=time.monotonic)

    @property
    def turns_finished(self) -> int:
        """Turns with an outcome: answered, failed or not run."""
        return self.turns_done + self.turn_errors + self.turns_not_run


class Runner:
    """Plays task sets against a model and hands answered turns to a scorer.

    Args:
        model: The model under evaluation.
        system_message: System message sent first in every request.
        scorer: Scores answered turns (None: generation only).
        sink: Receives every record as it happens.
        resume: Work already finished by an earlier attempt at this run.
        replies: Filled with each answered turn's reply (new or resumed) before the
            turn is scored, so a scorer can see a dialogue's earlier replies (an
            MT-Bench second-turn prompt shows the first answer too).
    """

    def __init__(
        self,
        *,
        model: Model,
        system_message: str | None,
        scorer: TurnScorer | None,
        sink: RunSink,
        resume: ResumeState | None = None,
        replies: dict[TurnKey, str] | None = None,
    ) -> None:
        self.model = model
        self.system_message = system_message
        self.scorer = scorer
        self.sink = sink
        self.resume = resume or ResumeState()
        self.replies: dict[TurnKey, str] = {} if replies is None else replies
        self.progress = RunProgress()
        self._scoring: set[asyncio.Task[None]] = set()

    async def run(self, work: Sequence[tuple[TaskSpec, TaskSet]]) -> RunProgress:
        """Play every dialogue of every task set; return the final counters.

        Raises:
            EndpointError: An endpoint rejected the run outright; everything
                finished before that is already recorded.
        """
        self.progress = RunProgress(
            turns_total=sum(
                len(spec.protocol.positions(d)) for spec, ts in work for d in ts.dialogues
            )
        )
        jobs: list[asyncio.Task[None]] = []
        for spec, task_set in work:
            protocol = spec.protocol
            for dialogue in task_set.with_record_ids():
                player = _Player(self, spec, dialogue, protocol.positions(dialogue))
                jobs.append(asyncio.create_task(protocol.play(dialogue, player)))
        try:
            await asyncio.gather(*jobs)
            while self._scoring:
                await asyncio.gather(*list(self._scoring))
        except BaseException:
            pending = [t for t in [*jobs, *self._scoring] if not t.done()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            raise
        return self.progress

    async def _answer(
        self,
        spec: TaskSpec,
        dialogue: Dialogue,
        position: int,
        turn_index: int,
        messages: Sequence[ChatMessage],
        *,
        priority: float,
        overrides: Mapping[str, Any] | None = None,
    ) -> str | None:
        key: TurnKey = (spec.name, dialogue.id, position)
        turn = dialogue.turns[position]
        done = self.resume.turns.get(key)
        if done is not None and done.status == "answered" and done.response is not None:
            self.progress.turns_done += 1
            self.replies[key] = done.response
            self._schedule_scoring(spec, dialogue, position, turn_index, done.response)
            return done.response
        where: dict[str, Any] = {
            "task": spec.name,
            "dialogue_id": dialogue.id,
            "position": position,
            "turn_id": turn.id,
            "turn_index": turn_index,
        }
        try:
            config = _with_overrides(self.model.config, overrides)
            output = await self.model.generate(messages, config=config, priority=priority)
        except RequestFailed as exc:
            self.progress.turn_errors += 1
            self.sink.turn_finished(
                TurnRecord(**where, status="error", error=str(exc), attempts=exc.attempts)
            )
            return None
        usage = output.usage
        self.sink.turn_finished(
            TurnRecord(
                **where,
                status="answered",
                response=output.content,
                finish_reason=output.finish_reason,
                completion_key=output.key,
                attempts=0 if output.cached else output.attempts,
                latency_s=output.latency_s,
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                cached=output.cached,
            )
        )
        self.progress.turns_done += 1
        self.replies[key] = output.content
        self._schedule_scoring(spec, dialogue, position, turn_index, output.content)
        return output.content

    def _not_run(
        self, spec: TaskSpec, dialogue: Dialogue, position: int, turn_index: int, reason: str
    ) -> None:
        self.progress.turns_not_run += 1
        self.sink.turn_finished(
            TurnRecord(
                task=spec.name,
                dialogue_id=dialogue.id,
                position=position,
                turn_id=dialogue.turns[position].id,
                turn_index=turn_index,
                status="not_run",
                error=reason,
            )
        )

    def _schedule_scoring(
        self, spec: TaskSpec, dialogue: Dialogue, position: int, turn_index: int, response: str
    ) -> None:
        if self.scorer is None:
            return
        key: TurnKey = (spec.name, dialogue.id, position)
        done = self.resume.judgments.get(key)
        if done is not None and done.status == "scored":
            self.progress.judgments_done += 1
            return
        if key in self.resume.failed_judgments:
            self.progress.judgment_errors += 1
            return
        task = asyncio.create_task(self._score(spec, dialogue, position, turn_index, response, key))
        self._scoring.add(task)
        task.add_done_callback(self._scoring.discard)

    async def _score(
        self,
        spec: TaskSpec,
        dialogue: Dialogue,
        position: int,
        turn_index: int,
        response: str,
        key: TurnKey,
    ) -> None:
        assert self.scorer is not None
        await _yield_to_longer_chains(1)
        try:
            record = await self.scorer.score(
                spec,
                dialogue,
                position,
                turn_index,
                response,
                previous_attempts=self.resume.judge_attempts.get(key, 0),
            )
        except (EndpointError, ResourceError, asyncio.CancelledError):
            # The environment, not the model: no score from this run would be right.
            raise
        except Exception as exc:  # a scorer bug must not kill the run: record it
            record = JudgmentRecord(
                task=spec.name,
                dialogue_id=dialogue.id,
                position=position,
                turn_index=turn_index,
                method=spec.scorer,
                status="error",
                error=f"scoring failed: {type(exc).__name__}: {exc}",
            )
        if record.status == "scored":
            self.progress.judgments_done += 1
        else:
            self.progress.judgment_errors += 1
        self.sink.judgment_finished(record)


def _with_overrides(
    config: GenerateConfig, overrides: Mapping[str, Any] | None
) -> GenerateConfig | None:
    """The run's settings with a turn's overrides filled in where the run leaves them unset."""
    if not overrides:
        return None
    unset = {k: v for k, v in overrides.items() if getattr(config, k, None) is None}
    return config.model_copy(update=unset) if unset else None


async def _yield_to_longer_chains(priority: float) -> None:
    """Let work with a longer chain behind it use the CPU first.

    When a wave of replies lands at once, the event loop resumes their tasks in
    arrival order, and each spends a millisecond or two preparing its next
    request. The slot limiter orders requests only once they wait for a slot;
    with slots to spare, the CPU is what is scarce, and the longest dialogues'
    next turns would queue behind short ones and judgments, lengthening every
    link of the critical chain. Each yield moves a task to the back of the
    ready queue, so shorter chains step aside a little.
    """
    for _ in range(_YIELDS_BY_CHAIN.get(int(priority), 0)):
        await asyncio.sleep(0)


_YIELDS_BY_CHAIN = {1: 3, 2: 2, 3: 1, 4: 1}
"""Ready-queue yields by remaining chain length (judgments: 1)."""


class _Player:
    """The :class:`~mteval.benchmarks.base.TurnPlayer` a protocol plays one dialogue with."""

    def __init__(
        self, runner: Runner, spec: TaskSpec, dialogue: Dialogue, positions: Sequence[int]
    ) -> None:
        self._runner = runner
        self._spec = spec
        self._dialogue = dialogue
        self._index = {position: k + 1 for k, position in enumerate(positions)}
        self.system_message = runner.system_message

    def _turn_index(self, position: int) -> int:
        try:
            return self._index[position]
        except KeyError:
            raise ValueError(
                f"{self._spec.name}: turn {position} of dialogue {self._dialogue.id} is not one "
                "its protocol answers"
            ) from None

    async def answer(
        self,
        position: int,
        messages: Sequence[ChatMessage],
        *,
        remaining: int = 0,
        overrides: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Get (or reuse) the model's reply to one turn; None when it failed for good."""
        priority = remaining + 2
        await _yield_to_longer_chains(priority)
        return await self._runner._answer(
            self._spec,
            self._dialogue,
            position,
            self._turn_index(position),
            messages,
            priority=priority,
            overrides=overrides,
        )

    def not_run(self, position: int, reason: str) -> None:
        """Record a turn that cannot run."""
        self._runner._not_run(
            self._spec, self._dialogue, position, self._turn_index(position), reason
        )
