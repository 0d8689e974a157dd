"""The benchmark seam: what a benchmark package provides and what the engine asks of it.

A benchmark is one package, ``mteval.benchmarks.<name>``, registered with one
line in :data:`mteval.benchmarks.REGISTRY`. Its ``__init__`` exposes a
:class:`Benchmark` as ``BENCHMARK``. The engine (runner, scoring, store,
analysis, report, pipeline, cli) only ever sees these types, and finds the
package through the registry by name, never by import.

What a benchmark declares:

- **Data** (:attr:`Benchmark.source`, :attr:`Benchmark.load_sources`): a
  :class:`~mteval.data.PinnedSource` (files, commit, sha256s, environment
  variable) and a function turning ``--data-dir`` (or None: environment
  variable, cache, download) into the package's own sources object.
- **Tasks** (:class:`TaskSpec`): each builds a :class:`~mteval.types.TaskSet`
  from the sources, names its scorer (a key of :mod:`mteval.scoring`'s
  registry) and how it is played. A history variant of a task is derived with
  :meth:`TaskSpec.variant` (MT-Eval's ``*_gold`` tasks), not written by hand.
- **Play protocol** (:class:`PlayProtocol`): which turns are answered, and for
  each the messages sent, the history used and per-turn generation overrides
  (MT-Bench's per-category temperature). :class:`OwnHistory` and
  :class:`GoldHistory` cover own-history dialogues (MT-Eval, MT-Bench) and
  golden-history turns that are all independent (MT-Eval's gold variants,
  MT-Bench-101). A dynamic protocol (simulated user, "are you sure?" turns)
  implements :meth:`PlayProtocol.play` itself: it asks the
  :class:`TurnPlayer` for each reply, and the runner supplies concurrency,
  the completion cache, resumption and error records.
- **Scorers**: registered in :mod:`mteval.scoring` by name (the package
  registers them when imported). A scorer returns a
  :class:`~mteval.records.JudgmentRecord` (its verdict) with every
  :class:`~mteval.records.JudgeCall` it made.
- **Aggregation** (:attr:`Benchmark.score_table`): a declarative
  :class:`ScoreTable` for the selected tasks (which turns each headline
  score pools, how), stored with the run so that any stored run can be
  scored again without the package's code.
- **Report** (:attr:`Benchmark.report`): optional hooks for its report tables
  and figures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from mteval.data.pinned import PinnedSource
from mteval.errors import TaskNotFoundError
from mteval.resources import Resource
from mteval.types import ChatMessage, Dialogue, TaskSet

__all__ = [
    "GOLD_HISTORY",
    "OWN_HISTORY",
    "AuditHooks",
    "Benchmark",
    "GenerateOverrides",
    "GoldHistory",
    "NoHistoryPlan",
    "OwnHistory",
    "PairwiseResult",
    "PlayProtocol",
    "RunAnswers",
    "ScoreColumn",
    "ScoreTable",
    "TaskSpec",
    "TurnPlayer",
    "answered_positions",
    "build_messages",
    "protocol_for",
]


# -- playing a dialogue ---------------------------------------------------------------


def answered_positions(dialogue: Dialogue) -> tuple[int, ...]:
    """Positions of the turns the model answers (``do_inference``), in order."""
    return tuple(i for i, turn in enumerate(dialogue.turns) if turn.do_inference)


def build_messages(
    dialogue: Dialogue,
    position: int,
    *,
    replies: Mapping[int, str],
    history: str,
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
        history: Whose replies form the history: ``own`` or ``gold``.
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


GenerateOverrides = Callable[[Dialogue, int], Mapping[str, Any] | None]
"""Per-turn generation settings (``GenerateConfig`` fields) for (dialogue, position).

They fill in only settings the run leaves unset (None): a value given for the
whole run wins, as FastChat's ``--force-temperature`` beats its per-category table.
"""


class TurnPlayer(Protocol):
    """What the runner offers a protocol while it plays one dialogue.

    ``answer`` sends one request (through the model wrapper: cache, retries,
    limits), records the turn and schedules its scoring; on resumption it
    returns the stored reply without a request. A turn whose request fails
    for good is recorded as an error and ``answer`` returns None.
    """

    system_message: str | None
    """The run's system message (None: none)."""

    async def answer(
        self,
        position: int,
        messages: Sequence[ChatMessage],
        *,
        remaining: int = 0,
        overrides: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Get the model's reply to ``dialogue.turns[position]`` given ``messages``.

        Args:
            position: The turn's index in the dialogue (an answered turn).
            messages: Exactly what is sent.
            remaining: Answered turns still to come after this one in the same
                chain (sets the request's priority: longer chains go first).
            overrides: Generation settings for this request only.
        """
        ...

    def not_run(self, position: int, reason: str) -> None:
        """Record that an answered turn was not run (its history does not exist)."""
        ...


class PlayProtocol(Protocol):
    """How a benchmark plays one dialogue."""

    @property
    def name(self) -> str:
        """``own``, ``gold``, or the protocol's own name."""
        ...

    def positions(self, dialogue: Dialogue) -> tuple[int, ...]:
        """The answered turns, in order: each gets exactly one turn record."""
        ...

    async def play(self, dialogue: Dialogue, player: TurnPlayer) -> None:
        """Play the dialogue, asking ``player`` for each answered turn."""
        ...


@dataclass(frozen=True, kw_only=True)
class OwnHistory:
    """Turns in order, each seeing the model's own earlier replies.

    If a turn fails for good, the dialogue's later turns are recorded as not
    run: their history does not exist.

    Attributes:
        overrides: Per-turn generation settings (e.g. a per-category temperature);
            they fill in settings the run leaves unset, so a setting given for the
            whole run (``--temperature``) wins.
    """

    name: str = "own"
    overrides: GenerateOverrides | None = None

    def positions(self, dialogue: Dialogue) -> tuple[int, ...]:
        """The dialogue's answered turns."""
        return answered_positions(dialogue)

    async def play(self, dialogue: Dialogue, player: TurnPlayer) -> None:
        """Answer each turn after the previous one, with the replies so far as history."""
        positions = self.positions(dialogue)
        replies: dict[int, str] = {}
        failure: str | None = None
        for k, position in enumerate(positions):
            if failure is not None:
                player.not_run(position, failure)
                continue
            messages = build_messages(
                dialogue,
                position,
                replies=replies,
                history="own",
                system_message=player.system_message,
            )
            reply = await player.answer(
                position,
                messages,
                remaining=len(positions) - k - 1,
                overrides=self.overrides(dialogue, position) if self.overrides else None,
            )
            if reply is None:
                failure = f"not run: turn {dialogue.turns[position].id} of this dialogue failed"
            else:
                replies[position] = reply


@dataclass(frozen=True, kw_only=True)
class GoldHistory:
    """Every answered turn sees the reference replies as history: all run at once.

    Attributes:
        overrides: Per-turn generation settings.
    """

    name: str = "gold"
    overrides: GenerateOverrides | None = None

    def positions(self, dialogue: Dialogue) -> tuple[int, ...]:
        """The dialogue's answered turns."""
        return answered_positions(dialogue)

    async def play(self, dialogue: Dialogue, player: TurnPlayer) -> None:
        """Answer every turn concurrently: none depends on another's reply."""

        async def one(position: int) -> None:
            messages = build_messages(
                dialogue,
                position,
                replies={},
                history="gold",
                system_message=player.system_message,
            )
            await player.answer(
                position,
                messages,
                overrides=self.overrides(dialogue, position) if self.overrides else None,
            )

        await asyncio.gather(*(one(p) for p in self.positions(dialogue)))


OWN_HISTORY = OwnHistory()
GOLD_HISTORY = GoldHistory()


def protocol_for(history: str) -> PlayProtocol:
    """The standard protocol for a history name (``own`` or ``gold``).

    Raises:
        ValueError: Another name (such tasks set their own ``play``).
    """
    if history == "own":
        return OWN_HISTORY
    if history == "gold":
        return GOLD_HISTORY
    raise ValueError(f"no standard protocol for history {history!r}: set TaskSpec.play")


# -- tasks ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TaskSpec:
    """One runnable task set of a benchmark.

    Attributes:
        name: Task name, unique within its benchmark (``refinement_multi``).
        category: The benchmark's category the task feeds (free text).
        setting: The benchmark's setting (MT-Eval: ``multi``, ``single``,
            ``ablation``).
        history: The play protocol's name: ``own`` (the model's earlier
            replies are the history), ``gold`` (the reference replies are),
            or a custom protocol's name.
        groups: Selection groups it belongs to (for ``--tasks``).
        build: Builds the task set from the benchmark's sources object.
        scorer: Name of its scorer in the :mod:`mteval.scoring` registry.
        judge_template: Judge template name, for judge-scored tasks.
        judge_fields: Benchmark-specific filler of that template's fields.
        description: One line for ``mteval tasks``.
        provenance: ``benchmark`` when built exactly as the benchmark's code
            builds it; ``mteval`` when mteval's documented construction
            stands in (see docs/fidelity.md).
        play: The play protocol (default: the standard one for ``history``).
        base: For a variant, the task it derives from.
        requires: What its scorer needs from the environment (NLTK models, word
            lists), checked before a run starts.
    """

    name: str
    category: str
    setting: str = "multi"
    history: str = "own"
    groups: tuple[str, ...]
    build: Callable[[Any], TaskSet]
    scorer: str
    judge_template: str | None = None
    judge_fields: Callable[[Any], list[tuple[str, str]]] | None = None
    description: str
    provenance: Literal["benchmark", "mteval"] = "benchmark"
    play: PlayProtocol | None = None
    base: str | None = None
    requires: tuple[Resource, ...] = ()

    @property
    def resources(self) -> tuple[Resource, ...]:
        """What this task's scorer needs from the environment."""
        return self.requires

    @property
    def protocol(self) -> PlayProtocol:
        """How the task's dialogues are played."""
        return self.play if self.play is not None else protocol_for(self.history)

    def load(self, sources: Any) -> TaskSet:
        """Build this task's set once per sources object (memoised in ``sources.memo``)."""
        memo: dict[str, Any] | None = getattr(sources, "memo", None)
        key = f"taskset:{self.name}"
        cached = memo.get(key) if memo is not None else None
        if cached is None:
            cached = self.build(sources)
            if memo is not None:
                memo[key] = cached
        assert isinstance(cached, TaskSet)
        return cached

    def variant(
        self,
        history: str,
        *,
        description: str,
        name: str | None = None,
        groups: tuple[str, ...] | None = None,
        play: PlayProtocol | None = None,
    ) -> TaskSpec:
        """The same dialogues and scorer played with another history.

        Args:
            history: The variant's history (``gold``).
            description: Its line for ``mteval tasks``.
            name: Its name (default: ``<name>_<history>``).
            groups: Its groups (default: ``(history,)``).
            play: Its protocol (default: the standard one for ``history``).
        """
        variant_name = name or f"{self.name}_{history}"
        base = self

        def build(sources: Any) -> TaskSet:
            return TaskSet(name=variant_name, dialogues=base.load(sources).dialogues)

        return replace(
            self,
            name=variant_name,
            history=history,
            groups=groups if groups is not None else (history,),
            build=build,
            description=description,
            play=play,
            base=self.name,
        )

    def info(self) -> dict[str, Any]:
        """The task's metadata as stored with a run (readable without this code)."""
        return {
            "category": self.category,
            "setting": self.setting,
            "history": self.history,
            "provenance": self.provenance,
            "scorer": self.scorer,
            "groups": list(self.groups),
            "description": self.description,
        }


# -- aggregation --------------------------------------------------------------------


class ScoreColumn(BaseModel):
    """One headline score of a benchmark's score table.

    Either pools scored turns (``tasks``, optionally one ``turn_index``) or
    averages other columns (``of``).

    Attributes:
        key: Its key in ``results.json`` ``scores``.
        label: Its heading in tables.
        tasks: Tasks whose scored turns it pools, in run order.
        turn_index: Only turns with this 1-based answered index (MT-Bench's turn 1/2).
        reduce: ``mean`` (mean over pooled turns) or ``dialogue_min`` (each
            dialogue's minimum over its scored turns, then the mean over
            dialogues, as MT-Bench-101 scores a dialogue).
        of: Keys of earlier columns whose available values it averages.
        digits: Report the value rounded with Python's ``round(value, digits)``, as a
            benchmark's reference code reports it (None: unrounded). Columns
            averaging it (``of``) use the rounded value; keep an unrounded twin
            column when the unrounded value matters.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    label: str = ""
    tasks: tuple[str, ...] = ()
    turn_index: int | None = None
    reduce: Literal["mean", "dialogue_min"] = "mean"
    of: tuple[str, ...] = ()
    digits: int | None = None


class ScoreTable(BaseModel):
    """A benchmark's headline scores for one run: its columns, in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: tuple[ScoreColumn, ...]


# -- judge audit ---------------------------------------------------------------------


class NoHistoryPlan(Protocol):
    """How to judge a turn without its earlier turns: a template and its filling."""

    @property
    def template(self) -> str:
        """The judge template to fill."""
        ...

    @property
    def fields(self) -> Any:
        """The benchmark's filler for that template (passed back to ``judge_prompt``)."""
        ...


class AuditHooks(Protocol):
    """What a benchmark offers ``mteval judge-audit`` (:mod:`mteval.audit`).

    The audit engine is generic; these answer the benchmark-specific
    questions. A module with these names satisfies it (MT-Eval's:
    ``mteval.benchmarks.mt_eval.tasks.audit``).
    """

    FOLLOWS_THRESHOLD: int
    """A score of at least this reads as "follows the instruction"."""

    def has_checker(self, spec: TaskSpec) -> bool:
        """Whether ``spec``'s turns carry a programmatic verdict."""
        ...

    def judge_prompt(
        self,
        sources: Any,
        *,
        template: str,
        fields: Any,
        dialogue: Dialogue,
        position: int,
        response: str,
    ) -> str:
        """A stored reply's judge prompt: ``template`` filled by ``fields``, the benchmark's way."""
        ...

    def instruction_follow_prompt(self, dialogue: Dialogue, response: str) -> str | None:
        """The prompt asking whether ``response`` follows the dialogue's checkable instruction."""
        ...

    def no_history_judge(self, spec: TaskSpec) -> NoHistoryPlan | None:
        """How to judge ``spec``'s turns without history (None: its template has none)."""
        ...

    def pairwise_prompt(
        self, dialogue: Dialogue, position: int, answer_a: str, answer_b: str
    ) -> str:
        """The prompt asking which of two replies to one turn is better (``[[A]]``/...)."""
        ...

    def parse_pairwise_verdict(self, reply: str) -> str | None:
        """``A``, ``B`` or ``tie`` from a pairwise reply; None when it has no verdict."""
        ...


# -- pairwise comparison ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RunAnswers:
    """A stored run's answers, handed to a benchmark's pairwise comparison.

    Attributes:
        run_id: The run.
        model: Its model spec.
        answers: ``(task, dialogue id) -> {turn index: reply}`` for answered turns.
    """

    run_id: str
    model: str
    answers: Mapping[tuple[str, str], Mapping[int, str]]


@dataclass(frozen=True, kw_only=True)
class PairwiseResult:
    """What a pairwise comparison produced.

    Attributes:
        summary: The content of ``pairwise.json`` (its ``rows`` list first).
        games: One row per game (written as ``pairwise_games.jsonl``).
        table: Markdown table for the terminal and ``pairwise.md``.
    """

    summary: Mapping[str, Any]
    games: Sequence[Mapping[str, Any]]
    table: str


# -- the benchmark ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Benchmark:
    """A benchmark plugged into mteval.

    Attributes:
        name: Registry name (``mt-eval``).
        title: Display name (``MT-Eval``).
        citation: Paper and reference code it reproduces.
        tasks: Its tasks by name, in display/run order.
        groups: Named selections of tasks for ``--tasks``.
        default_tasks: The default selection.
        categories: Its categories, in display order.
        source: Its pinned data source.
        load_sources: ``(data_dir, download=...) -> sources``; nothing is read
            before first use.
        system_message: The system message its reference inference sends.
        default_judge: The judge its paper used (``provider/model``), if any.
        judge_max_tokens: The judge's ``max_tokens`` in its reference code.
        temperature: The model's temperature unless ``--temperature`` is given
            (None: set per turn by the play protocol's overrides, else omitted).
        seed: The seed sent with model and judge requests (None: none).
        score_table: The score table for a selection of tasks.
        prepare: ``(sources, specs, judged=...)``: checks, before anything is
            spent or recorded, what the run will need (e.g. judge templates).
        headline_title: Title of the headline table ``mteval run``/``show`` print.
        headline_labels: Score key -> column label of that table, in display order.
        headline_groups: Group label -> the score keys it spans in that table (a
            header row over the labels in reports), e.g. MT-Bench-101's three tiers.
        report: Optional report hooks (benchmark-defined object).
        audit: What it offers ``mteval judge-audit`` (:class:`AuditHooks`;
            MT-Eval's: ``mt_eval.tasks.audit``), or None.
        pairwise: Compares stored runs' answers with a judge (``mteval pairwise``),
            if the benchmark defines a pairwise protocol: an async callable
            ``(sources=, runs=, judge=, all_pairs=, n_resamples=, seed=)`` returning
            a :class:`PairwiseResult`.
        extras: Benchmark-specific helpers some commands use by name
            (MT-Eval: ``export_task_set``, ``benchmark_statistics``, ``set_statistics``).
    """

    name: str
    title: str
    citation: str
    tasks: Mapping[str, TaskSpec]
    groups: Mapping[str, tuple[str, ...]]
    default_tasks: str
    categories: tuple[str, ...]
    source: PinnedSource
    load_sources: Callable[..., Any]
    system_message: str | None
    default_judge: str | None = None
    judge_max_tokens: int = 1024
    temperature: float | None = 0.0
    seed: int | None = 111
    score_table: Callable[[Sequence[TaskSpec]], ScoreTable]
    prepare: Callable[..., None] | None = None
    headline_title: str = ""
    headline_labels: Mapping[str, str] = field(default_factory=dict)
    headline_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    report: Any = None
    audit: AuditHooks | None = None
    pairwise: Callable[..., Awaitable[PairwiseResult]] | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def data_id(self) -> str:
        """What identifies its data in a run's fingerprint (the pinned commit)."""
        return self.source.commit

    def get_task(self, name: str) -> TaskSpec:
        """Return the task named ``name``.

        Raises:
            TaskNotFoundError: No such task; the message lists the known names.
        """
        try:
            return self.tasks[name]
        except KeyError:
            raise TaskNotFoundError(
                f"unknown task {name!r}: use one of {', '.join(self.tasks)}, or a group: "
                f"{', '.join(self.groups)}"
            ) from None

    def with_history(self, specs: Sequence[TaskSpec], history: str) -> tuple[TaskSpec, ...]:
        """The same tasks played with another history (``--history``): each spec's variant.

        A task already played with ``history`` stays; another is replaced by the
        registered variant of the same base task with that history.

        Args:
            specs: The selected tasks.
            history: ``own`` or ``gold`` (or a protocol name the benchmark's tasks use).

        Raises:
            TaskNotFoundError: A task has no variant with that history.
        """
        chosen: dict[str, TaskSpec] = {}
        for spec in specs:
            if spec.history == history:
                chosen.setdefault(spec.name, spec)
                continue
            base = spec.base or spec.name
            match = next(
                (
                    t
                    for t in self.tasks.values()
                    if t.history == history and (t.base or t.name) == base
                ),
                None,
            )
            if match is None:
                having = sorted(
                    {t.base or t.name for t in self.tasks.values() if t.history == history}
                )
                raise TaskNotFoundError(
                    f"task {spec.name} has no variant played with {history!r} history"
                    + (f" (tasks that have one: {', '.join(having)})" if having else "")
                )
            chosen.setdefault(match.name, match)
        return tuple(spec for name, spec in self.tasks.items() if name in chosen)

    def resolve_tasks(self, selection: str | Sequence[str]) -> tuple[TaskSpec, ...]:
        """Turn a ``--tasks`` selection into task specs, in registry order, without duplicates.

        Args:
            selection: Group names and/or task names, comma-separated or as a list.

        Raises:
            TaskNotFoundError: A name is neither a group nor a task.
        """
        items = selection.split(",") if isinstance(selection, str) else list(selection)
        names: set[str] = set()
        for raw in items:
            item = raw.strip()
            if not item:
                continue
            if item in self.groups:
                names.update(self.groups[item])
            else:
                names.add(self.get_task(item).name)
        if not names:
            raise TaskNotFoundError(
                f"no task selected: use one of {', '.join(self.groups)} or task names "
                f"({', '.join(self.tasks)})"
            )
        return tuple(spec for name, spec in self.tasks.items() if name in names)
