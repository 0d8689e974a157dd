"""A run's scored turns, the input of every analysis.

Each analysis of the paper is a pure function of these rows: which dialogue
and turn a score belongs to (the dialogue is the unit the bootstrap
resamples), its answered-turn index (the per-turn curves) and its position in
the dialogue (the distance to the relevant content).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from mteval.config import DEFAULT_BENCHMARK
from mteval.records import JudgmentRecord, TurnRecord
from mteval.store.sqlite import RunStore

__all__ = ["RunScores", "ScoredTurn", "load_run_scores", "run_scores_from_records"]


@dataclass(frozen=True)
class ScoredTurn:
    """One scored turn.

    Attributes:
        dialogue_id: The dialogue it belongs to.
        position: Its index in the dialogue's turns (answered or not).
        turn_index: Its 1-based index among the dialogue's answered turns.
        score: The benchmark score (0-10).
    """

    dialogue_id: str
    position: int
    turn_index: int
    score: float


@dataclass(frozen=True)
class RunScores:
    """The scored turns of one run, by task.

    Attributes:
        run_id: The run's id.
        model: The evaluated model.
        judge: The judge model, if any.
        status: The run's status.
        tasks: The tasks the run covers (scored or not), in run order.
        scored: Per task, its scored turns (errors, not-run turns and failed
            judgments are absent), ordered by dialogue and position.
        unanswered_before: Per task and dialogue, how many turns the model did
            not answer before its latest recorded answered turn (for the
            irrelevant-context ablations: the number of chit-chat turns).
        first_answered: Per task and dialogue, the position of its first
            answered turn (the document turn of refinement and expansion).
        benchmark: The run's benchmark.
    """

    run_id: str
    model: str
    judge: str | None = None
    status: str = "finished"
    tasks: tuple[str, ...] = ()
    scored: Mapping[str, tuple[ScoredTurn, ...]] = field(default_factory=dict)
    unanswered_before: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    first_answered: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    benchmark: str = DEFAULT_BENCHMARK

    def turns(self, task: str) -> tuple[ScoredTurn, ...]:
        """Return a task's scored turns (empty when the run lacks the task)."""
        return self.scored.get(task, ())

    def has(self, task: str) -> bool:
        """Whether the run has at least one scored turn of ``task``."""
        return bool(self.scored.get(task))


def run_scores_from_records(
    *,
    run_id: str,
    model: str,
    judgments: Iterable[JudgmentRecord],
    turns: Iterable[TurnRecord] = (),
    tasks: Iterable[str] | None = None,
    judge: str | None = None,
    status: str = "finished",
) -> RunScores:
    """Build :class:`RunScores` from stored records.

    Args:
        run_id: The run's id.
        model: The evaluated model.
        judgments: The run's judgment records; only ``scored`` ones count.
        turns: The run's turn records, which locate each dialogue's answered
            turns even where they were not scored.
        tasks: The run's tasks (default: those seen in the records).
        judge: The judge model.
        status: The run's status.
    """
    scored: dict[str, list[ScoredTurn]] = defaultdict(list)
    located: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    seen: dict[str, None] = {}
    for judgment in judgments:
        seen.setdefault(judgment.task)
        located[judgment.task][judgment.dialogue_id].append(
            (judgment.position, judgment.turn_index)
        )
        if judgment.status == "scored" and judgment.score is not None:
            scored[judgment.task].append(
                ScoredTurn(
                    dialogue_id=judgment.dialogue_id,
                    position=judgment.position,
                    turn_index=judgment.turn_index,
                    score=float(judgment.score),
                )
            )
    for turn in turns:
        seen.setdefault(turn.task)
        located[turn.task][turn.dialogue_id].append((turn.position, turn.turn_index))
    first: dict[str, dict[str, int]] = {}
    unanswered: dict[str, dict[str, int]] = {}
    for task, places_by_dialogue in located.items():
        first[task] = {}
        unanswered[task] = {}
        for dialogue_id, places in places_by_dialogue.items():
            first[task][dialogue_id] = min(p - i + 1 for p, i in places)
            # A turn at position p with answered index i has p - (i - 1) unanswered
            # turns before it; the latest turn has seen them all.
            unanswered[task][dialogue_id] = max(p - i + 1 for p, i in places)
    for task, positions in first.items():
        # The first answered turn's own position, where the records hold it.
        for dialogue_id in positions:
            exact = [p for p, i in located[task][dialogue_id] if i == 1]
            if exact:
                positions[dialogue_id] = min(exact)
    ordered = {
        task: tuple(sorted(rows, key=lambda t: (t.dialogue_id, t.position)))
        for task, rows in scored.items()
    }
    return RunScores(
        run_id=run_id,
        model=model,
        judge=judge,
        status=status,
        tasks=tuple(tasks) if tasks is not None else tuple(seen),
        scored=ordered,
        unanswered_before=unanswered,
        first_answered=first,
    )


def load_run_scores(store: RunStore, run_id: str) -> RunScores:
    """Load a run's scored turns from the store.

    Raises:
        StoreError: No such run.
    """
    info = store.get_run(run_id)
    scores = run_scores_from_records(
        run_id=info.run_id,
        model=info.model,
        judge=info.judge,
        status=info.status,
        tasks=info.tasks,
        judgments=store.judgments(run_id, text=False),
        turns=store.turns(run_id, text=False),
    )
    benchmark = str(info.config.get("benchmark", DEFAULT_BENCHMARK))
    return replace(scores, benchmark=benchmark) if benchmark != scores.benchmark else scores
