"""The scorer registry: a task names its scorer; the registry builds and dispatches to it.

A benchmark package registers its scorers when imported, one line each::

    register_scorer("cls", lambda ctx: ClassificationScorer(), needs_judge=False)

A scorer implements :class:`~mteval.runner.TurnScorer`: it receives one
answered turn and returns a :class:`~mteval.records.JudgmentRecord` (the
verdict: score, method, and every judge call it made). Failures it can
foresee are error verdicts, counted and never scored; an exception it raises
is recorded by the runner as a scoring error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mteval.benchmarks.base import TaskSpec
from mteval.errors import ConfigError, MtevalError
from mteval.models import Model
from mteval.records import JudgmentRecord, TurnKey
from mteval.runner import TurnScorer
from mteval.types import Dialogue

__all__ = [
    "SCORERS",
    "ScorerContext",
    "ScorerEntry",
    "ScorerSet",
    "get_scorer",
    "register_scorer",
]


@dataclass(frozen=True, kw_only=True)
class ScorerContext:
    """What a scorer may use, given when the run's scorers are built.

    Attributes:
        judge: The judge model (None when the run has no judge).
        sources: The benchmark's sources object (templates, documents, references).
        reply_attempts: Times to ask a judge whose reply is unusable, in total.
        options: Benchmark-specific settings.
        replies: The run's replies so far by (task, dialogue id, position), filled
            by the runner before each turn is scored (earlier turns of a dialogue
            are always there when a later one is scored).
    """

    judge: Model | None
    sources: Any
    reply_attempts: int = 3
    options: dict[str, Any] | None = None
    replies: Mapping[TurnKey, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ScorerEntry:
    """A registered scorer.

    Attributes:
        name: Its registry name (recorded as a verdict's ``method``).
        factory: Builds it for a run.
        needs_judge: Whether a run using it needs ``--judge``.
        description: One line for listings.
    """

    name: str
    factory: Callable[[ScorerContext], TurnScorer]
    needs_judge: bool
    description: str = ""


SCORERS: dict[str, ScorerEntry] = {}
"""Registered scorers by name."""


def register_scorer(
    name: str,
    factory: Callable[[ScorerContext], TurnScorer],
    *,
    needs_judge: bool,
    description: str = "",
) -> ScorerEntry:
    """Register a scorer under ``name`` (idempotent for the same factory).

    Raises:
        ConfigError: Another factory already holds the name.
    """
    existing = SCORERS.get(name)
    if existing is not None and existing.factory is not factory:
        raise ConfigError(f"a scorer named {name!r} is already registered")
    entry = ScorerEntry(
        name=name, factory=factory, needs_judge=needs_judge, description=description
    )
    SCORERS[name] = entry
    return entry


def get_scorer(name: str) -> ScorerEntry:
    """Return the scorer registered as ``name``.

    Raises:
        ConfigError: No such scorer (its benchmark package is not loaded).
    """
    try:
        return SCORERS[name]
    except KeyError:
        raise ConfigError(
            f"no scorer named {name!r} is registered (known: {', '.join(SCORERS) or 'none'})"
        ) from None


class ScorerSet:
    """Scores any task's turns with the scorer the task names (implements ``TurnScorer``).

    Scorers are built on first use, once per run.

    Args:
        context: What the scorers may use.
    """

    def __init__(self, context: ScorerContext) -> None:
        self.context = context
        self._built: dict[str, TurnScorer] = {}

    def scorer(self, spec: TaskSpec) -> TurnScorer:
        """The scorer for ``spec``.

        Raises:
            MtevalError: It needs a judge and the run has none.
        """
        built = self._built.get(spec.scorer)
        if built is None:
            entry = get_scorer(spec.scorer)
            if entry.needs_judge and self.context.judge is None:
                raise MtevalError(f"task {spec.name} needs a judge (--judge)")
            built = self._built[spec.scorer] = entry.factory(self.context)
        return built

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
        """Score one answered turn with its task's scorer."""
        return await self.scorer(spec).score(
            spec, dialogue, position, turn_index, response, previous_attempts=previous_attempts
        )
