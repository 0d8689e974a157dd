"""The 13 tasks of MT-Bench-101, their abilities and tiers, and per-task protocol facts.

The three-tier taxonomy (tier -> ability -> task) is the paper's (Bai et al.,
ACL 2024, Figure 1 and Table 2). The protocol facts are OpenCompass's
``skip_first_tasks`` and ``need_ref_tasks``.
"""

from __future__ import annotations

__all__ = [
    "ABILITIES",
    "REFERENCE_TASKS",
    "SKIP_FIRST_TASKS",
    "TASKS",
    "TASK_NAMES",
    "TIERS",
    "ability_of",
    "tier_of",
]

TASKS: tuple[str, ...] = (
    "CM",
    "SI",
    "AR",
    "TS",
    "CC",
    "CR",
    "FR",
    "SC",
    "SA",
    "MR",
    "GR",
    "IC",
    "PI",
)
"""Task abbreviations in the paper's column order (also OpenCompass's rubric order)."""

TASK_NAMES: dict[str, str] = {
    "CM": "Context Memory",
    "SI": "Separate Input",
    "AR": "Anaphora Resolution",
    "TS": "Topic Shift",
    "CC": "Content Confusion",
    "CR": "Content Rephrasing",
    "FR": "Format Rephrasing",
    "SC": "Self-correction",
    "SA": "Self-affirmation",
    "MR": "Mathematical Reasoning",
    "GR": "General Reasoning",
    "IC": "Instruction Clarification",
    "PI": "Proactive Interaction",
}

ABILITIES: dict[str, tuple[str, ...]] = {
    "Memory": ("CM",),
    "Understanding": ("SI", "AR"),
    "Interference": ("TS", "CC"),
    "Rephrasing": ("CR", "FR"),
    "Reflection": ("SC", "SA"),
    "Reasoning": ("MR", "GR"),
    "Questioning": ("IC", "PI"),
}
"""The seven detailed abilities and their tasks."""

TIERS: dict[str, tuple[str, ...]] = {
    "perceptivity": ("Memory", "Understanding", "Interference"),
    "adaptability": ("Rephrasing", "Reflection", "Reasoning"),
    "interactivity": ("Questioning",),
}
"""The three overarching abilities and their detailed abilities."""

SKIP_FIRST_TASKS: frozenset[str] = frozenset({"FR", "CR", "AR", "SA", "SC", "CM"})
"""Tasks whose first turn is context, not evaluated: its golden reply is always history."""

REFERENCE_TASKS: frozenset[str] = frozenset({"MR", "GR"})
"""Tasks whose judge prompt carries a reference solution."""


def ability_of(task: str) -> str:
    """Return the detailed ability a task measures (e.g. ``"Memory"`` for ``"CM"``)."""
    for ability, tasks in ABILITIES.items():
        if task in tasks:
            return ability
    raise KeyError(task)


def tier_of(task: str) -> str:
    """Return the tier a task belongs to (e.g. ``"perceptivity"`` for ``"CM"``)."""
    ability = ability_of(task)
    for tier, abilities in TIERS.items():
        if ability in abilities:
            return tier
    raise KeyError(task)  # pragma: no cover - every ability has a tier
