"""What a task is: how to build its dialogues, how to play them, how to score them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mteval.data.loaders import DocumentRecord, SourceFiles
from mteval.resources import IFEVAL_WORD_LIST, LANGDETECT_PROFILES, PUNKT_TAB, Resource
from mteval.types import Category, Dialogue, TaskSet

__all__ = [
    "History",
    "JudgeContext",
    "JudgeFields",
    "SCORER_RESOURCES",
    "ScorerKind",
    "Setting",
    "TaskSpec",
]

Setting = Literal["multi", "single", "ablation"]
History = Literal["own", "gold"]
ScorerKind = Literal["judge", "cls", "instruction"]


@dataclass(frozen=True, kw_only=True)
class JudgeContext:
    """Everything a judge prompt may draw on for one answered turn.

    Attributes:
        dialogue: The dialogue the turn belongs to.
        position: Index of the turn in ``dialogue.turns``.
        response: The model's reply to that turn, exactly as received.
        documents: The benchmark's documents (for the article shown to the judge).
    """

    dialogue: Dialogue
    position: int
    response: str
    documents: tuple[DocumentRecord, ...]


JudgeFields = Callable[[JudgeContext], list[tuple[str, str]]]
"""Returns (placeholder, value) pairs in the order the benchmark fills them."""

SCORER_RESOURCES: dict[str, tuple[Resource, ...]] = {
    # Judge prompts show the reply's sentence count (refinement, follow-up).
    "judge": (PUNKT_TAB,),
    "cls": (),
    # Sentence and word counts, keyword arguments, language detection.
    "instruction": (PUNKT_TAB, IFEVAL_WORD_LIST, LANGDETECT_PROFILES),
}
"""What each scorer kind needs from the environment, unless a task says otherwise."""


@dataclass(frozen=True, kw_only=True)
class TaskSpec:
    """One runnable task set of the benchmark.

    Attributes:
        name: Task name, as in the benchmark's files (``refinement_multi``).
        category: The interaction pattern whose score it feeds.
        setting: ``multi`` (the main table), ``single`` (single-turn versions)
            or ``ablation``.
        history: ``own`` (the model's earlier replies are the history) or
            ``gold`` (the reference replies are).
        groups: Selection groups it belongs to (``main``, ``single``, ``gold``,
            ``ablations``).
        build: Builds the task set from the sources.
        scorer: ``judge`` (LLM judge), ``cls`` (label match) or
            ``instruction`` (verifiable-instruction check).
        judge_template: Judge prompt template name, for ``judge`` tasks.
        judge_fields: Fills that template's placeholders, for ``judge`` tasks.
        description: One line for ``mteval tasks``.
        provenance: ``benchmark`` when built exactly as the benchmark's code
            builds it; ``mteval`` when the benchmark's construction is not public
            and mteval's documented construction stands in (see docs/fidelity.md).
        requires: What its scorer needs from the environment, checked before a
            run starts (default: :data:`SCORER_RESOURCES` for its scorer).
    """

    name: str
    category: Category
    setting: Setting
    history: History = "own"
    groups: tuple[str, ...]
    build: Callable[[SourceFiles], TaskSet]
    scorer: ScorerKind
    judge_template: str | None = None
    judge_fields: JudgeFields | None = None
    description: str
    provenance: Literal["benchmark", "mteval"] = "benchmark"
    requires: tuple[Resource, ...] | None = None

    @property
    def resources(self) -> tuple[Resource, ...]:
        """What this task's scorer needs from the environment."""
        if self.requires is not None:
            return self.requires
        return SCORER_RESOURCES.get(self.scorer, ())

    def load(self, sources: SourceFiles) -> TaskSet:
        """Build this task's set once per :class:`SourceFiles` (memoised there)."""
        key = f"taskset:{self.name}"
        cached = sources.memo.get(key)
        if cached is None:
            cached = self.build(sources)
            sources.memo[key] = cached
        assert isinstance(cached, TaskSet)
        return cached
