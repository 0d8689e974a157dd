"""Paired comparison of two runs on the same turns.

For every task both runs have, the turns scored in both (same dialogue, same
position) are matched. The difference ``B - A`` pools the matched turns as
the benchmark pools scores: per task, per category (main tasks) and for the
average (mean of the category differences, i.e. the difference of the
averages on matched turns).

* Interval: a paired bootstrap over dialogues: each replicate resamples the
  dialogues of each task with replacement (the same counts for A and B, since
  the per-dialogue differences are resampled) and recomputes the difference;
  the interval is the 2.5th-97.5th percentile of the replicates.
* p-value: a paired sign-flip permutation test at dialogue level. Under the
  null hypothesis that A and B are exchangeable within each dialogue, each
  dialogue's summed difference is equally likely to have either sign; the
  statistic (the pooled mean difference, or the average of category
  differences) is recomputed under random sign flips, and the two-sided
  p-value is ``(1 + #{|T*| >= |T|}) / (1 + R)``. When a statistic rests on
  few enough dialogues (``2**n <= n_permutations``) every sign pattern is
  enumerated and the p-value is exact.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mteval.analysis.bootstrap import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Bootstrap,
    FloatArray,
    Sample,
    make_sample,
)
from mteval.analysis.results import is_main_task
from mteval.analysis.scores import RunScores
from mteval.tasks import TASKS
from mteval.types import CATEGORIES

__all__ = [
    "DEFAULT_PERMUTATIONS",
    "Comparison",
    "PairedDifference",
    "compare_runs",
    "sign_flip_p_value",
]

DEFAULT_PERMUTATIONS = 10_000


@dataclass(frozen=True)
class PairedDifference:
    """``B - A`` on the turns scored in both runs.

    Attributes:
        scope: ``task``, ``category`` or ``average``.
        name: The task or category name (``average`` for the average).
        a: Run A's score on the matched turns.
        b: Run B's score on the matched turns.
        diff: ``b - a``.
        low: Lower bound of the paired-bootstrap interval.
        high: Upper bound.
        p_value: Two-sided sign-flip permutation p-value.
        exact: The p-value enumerates every sign pattern.
        n_turns: Matched turns.
        n_dialogues: Dialogues holding them.
        tasks: The tasks it pools.
    """

    scope: Literal["task", "category", "average"]
    name: str
    a: float | None
    b: float | None
    diff: float | None
    low: float | None
    high: float | None
    p_value: float | None
    exact: bool
    n_turns: int
    n_dialogues: int
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    """A paired comparison of run B against run A.

    Attributes:
        run_a: Run A's id (the reference).
        run_b: Run B's id.
        model_a: Run A's model.
        model_b: Run B's model.
        rows: The average, the categories, then every common task.
        n_resamples: Bootstrap replicates.
        n_permutations: Random sign patterns of the permutation test.
        seed: The seed of both.
        confidence: The interval's coverage.
    """

    run_a: str
    run_b: str
    model_a: str
    model_b: str
    rows: tuple[PairedDifference, ...]
    n_resamples: int
    n_permutations: int
    seed: int
    confidence: float

    def row(self, scope: str, name: str) -> PairedDifference | None:
        """Return the row for a scope and name, if any."""
        return next((r for r in self.rows if r.scope == scope and r.name == name), None)


@dataclass(frozen=True)
class _Matched:
    """One task's matched turns: per-dialogue sums of A, B and B - A, and counts."""

    task: str
    diff: Sample
    a: Sample
    b: Sample


def _match(a: RunScores, b: RunScores, task: str) -> _Matched | None:
    a_scores = {(t.dialogue_id, t.position): t.score for t in a.turns(task)}
    rows = [
        (t.dialogue_id, a_scores[(t.dialogue_id, t.position)], t.score)
        for t in b.turns(task)
        if (t.dialogue_id, t.position) in a_scores
    ]
    if not rows:
        return None
    return _Matched(
        task=task,
        diff=make_sample(task, ((d, 0, sb - sa) for d, sa, sb in rows), columns=(0,)),
        a=make_sample(task, ((d, 0, sa) for d, sa, _ in rows), columns=(0,)),
        b=make_sample(task, ((d, 0, sb) for d, _, sb in rows), columns=(0,)),
    )


def sign_flip_p_value(
    groups: Sequence[tuple[FloatArray, FloatArray]],
    *,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    rng: np.random.Generator | None = None,
) -> tuple[float | None, bool]:
    """Two-sided paired sign-flip p-value of a mean of pooled differences.

    Args:
        groups: Per group (a category, or one task), the per-dialogue sums of
            differences and the per-dialogue turn counts. The statistic is the
            mean over groups of ``sum(differences) / sum(counts)``.
        n_permutations: Random sign patterns when enumeration is too large.
        rng: The generator of the random patterns.

    Returns:
        The p-value (None without data) and whether it is exact.
    """
    groups = [(d, c) for d, c in groups if len(d)]
    if not groups:
        return None, False
    sizes = [len(d) for d, _ in groups]
    n = sum(sizes)
    exact = n <= 20 and 2**n <= max(n_permutations, 1)
    if exact:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
    else:
        generator = rng or np.random.default_rng(DEFAULT_SEED)
        signs = generator.choice(np.array([1.0, -1.0]), size=(n_permutations, n))
    stats = np.zeros(signs.shape[0])
    observed = 0.0
    start = 0
    for (d, c), size in zip(groups, sizes, strict=True):
        total = float(c.sum())
        stats += signs[:, start : start + size] @ d / total
        observed += float(d.sum()) / total
        start += size
    stats /= len(groups)
    observed /= len(groups)
    tolerance = 1e-9 * max(1.0, abs(observed))
    extreme = int(np.count_nonzero(np.abs(stats) >= abs(observed) - tolerance))
    if exact:
        return extreme / signs.shape[0], True
    return (1 + extreme) / (1 + signs.shape[0]), False


def _rng(seed: int, name: str) -> np.random.Generator:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "little")])


def _row(
    boot: Bootstrap,
    scope: Literal["task", "category", "average"],
    name: str,
    groups: Sequence[Sequence[_Matched]],
    n_permutations: int,
    seed: int,
) -> PairedDifference:
    """A difference: the mean over groups of each group's pooled difference."""
    diffs, a_means, b_means, reps = [], [], [], []
    for group in groups:
        value, group_reps = boot.pooled([m.diff for m in group])
        diffs.append(float(value[0]))
        reps.append(group_reps[:, 0])
        a_means.append(float(boot.pooled([m.a for m in group])[0][0]))
        b_means.append(float(boot.pooled([m.b for m in group])[0][0]))
    replicates = np.mean(np.stack(reps), axis=0)
    low, high = boot.interval(replicates.reshape(-1, 1))
    flat = [
        (
            np.concatenate([m.diff.sums[:, 0] for m in group]),
            np.concatenate([m.diff.counts[:, 0] for m in group]),
        )
        for group in groups
    ]
    p_value, exact = sign_flip_p_value(
        flat, n_permutations=n_permutations, rng=_rng(seed, f"{scope}:{name}")
    )
    members = [m for group in groups for m in group]
    return PairedDifference(
        scope=scope,
        name=name,
        a=float(np.mean(a_means)),
        b=float(np.mean(b_means)),
        diff=float(np.mean(diffs)),
        low=None if np.isnan(low[0]) else float(low[0]),
        high=None if np.isnan(high[0]) else float(high[0]),
        p_value=p_value,
        exact=exact,
        n_turns=int(sum(m.diff.counts.sum() for m in members)),
        n_dialogues=sum(m.diff.n_dialogues for m in members),
        tasks=tuple(m.task for m in members),
    )


def compare_runs(
    a: RunScores,
    b: RunScores,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    bootstrap: Bootstrap | None = None,
) -> Comparison:
    """Compare run B with run A on the turns both scored.

    Args:
        a: The reference run.
        b: The run compared with it.
        n_resamples: Bootstrap replicates (ignored when ``bootstrap`` is given).
        n_permutations: Random sign patterns of the permutation test.
        seed: Seed of the bootstrap and of the permutations.
        bootstrap: A bootstrap to use instead of a new one.

    Returns:
        The average and per-category differences (main tasks), then one row
        per task both runs have, in registry order. Tasks without a matched
        turn have no row.
    """
    boot = bootstrap or Bootstrap(n_resamples=n_resamples, seed=seed)
    matched: dict[str, _Matched] = {}
    for task in TASKS:
        if a.has(task) and b.has(task):
            found = _match(a, b, task)
            if found is not None:
                matched[task] = found
    by_category: dict[str, list[_Matched]] = {}
    for task, m in matched.items():
        spec = TASKS[task]
        if is_main_task(spec):
            by_category.setdefault(spec.category, []).append(m)
    rows: list[PairedDifference] = []
    categories = [c for c in CATEGORIES if c in by_category]
    if categories:
        rows.append(
            _row(
                boot,
                "average",
                "average",
                [by_category[c] for c in categories],
                n_permutations,
                seed,
            )
        )
    for category in categories:
        rows.append(_row(boot, "category", category, [by_category[category]], n_permutations, seed))
    for task, m in matched.items():
        rows.append(_row(boot, "task", task, [[m]], n_permutations, seed))
    return Comparison(
        run_a=a.run_id,
        run_b=b.run_id,
        model_a=a.model,
        model_b=b.model,
        rows=tuple(rows),
        n_resamples=boot.n_resamples,
        n_permutations=n_permutations,
        seed=seed,
        confidence=boot.confidence,
    )
