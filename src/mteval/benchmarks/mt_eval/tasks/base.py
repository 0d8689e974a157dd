"""MT-Eval's task vocabulary: the judge context its templates draw on.

A task is the generic :class:`mteval.benchmarks.base.TaskSpec`; MT-Eval's
judge-scored tasks fill their template from a :class:`JudgeContext`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mteval.benchmarks.base import TaskSpec
from mteval.benchmarks.mt_eval.loaders import DocumentRecord
from mteval.resources import IFEVAL_WORD_LIST, LANGDETECT_PROFILES, PUNKT_TAB, Resource
from mteval.types import Dialogue

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
"""MT-Eval's scorers, by their :mod:`mteval.scoring` registry names."""


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
"""What each MT-Eval scorer needs from the environment (each task's ``requires``)."""
