"""Paired comparison of two runs on the same turns.

For every task both runs have, the turns scored in both (same dialogue, same
position) are matched. The difference ``B - A`` pools the matched turns as
the benchmark pools scores: per task, per category (main tasks) and for the
average (mean of the category differences, i.e. the difference of the
averages on matched turns).

* p-value: a paired sign-flip permutation test at dialogue level. Under the
  null hypothesis that A and B are exchangeable within each dialogue, each
  dialogue's summed difference is equally likely to have either sign; the
  statistic (the pooled mean difference, or the average of category
  differences) is recomputed under random sign flips, and the two-sided
  p-value is ``(1 + #{|T*| >= |T|}) / (1 + R)``. When a statistic rests on
  few enough dialogues (``2**n <= n_permutations``) every sign pattern is
  enumerated and the p-value is exact.
* Interval: the same test, inverted. A shift ``δ`` is inside the interval when
  the test of "B − A = δ" (each dialogue's summed difference minus ``δ`` times
  its turn count, under the same sign patterns) does not reject it at the
  interval's level. So the interval excludes 0 exactly when ``p`` is below
  ``1 - confidence``: the two never disagree. (A percentile bootstrap used to
  give the interval; with few dialogues it is too narrow, and its interval
  could exclude 0 while the exact test gave p = 0.2.) Every sign pattern's
  acceptance set is an interval around the observed difference, so the
  interval's ends are order statistics of those sets' ends; when the
  dialogues are too few for any shift to be rejected, the interval is
  unbounded and reported as missing.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mteval.analysis._tasks import benchmark_tasks
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
from mteval.config import DEFAULT_BENCHMARK
from mteval.types import CATEGORIES

__all__ = [
    "DEFAULT_PERMUTATIONS",
    "Comparison",
    "PairedDifference",
    "SignFlipTest",
    "compare_runs",
    "sign_flip_p_value",
    "sign_flip_test",
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
        low: Lower end of the interval (the sign-flip test inverted; None
            when unbounded: too few dialogues to reject any difference).
        high: Upper end.
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


def _sign_patterns(
    n: int, n_permutations: int, rng: np.random.Generator | None
) -> tuple[FloatArray, bool]:
    """Every sign pattern of ``n`` dialogues when few enough, else random ones."""
    exact = n <= 20 and 2**n <= max(n_permutations, 1)
    if exact:
        return np.array(list(itertools.product((1.0, -1.0), repeat=n))), True
    generator = rng or np.random.default_rng(DEFAULT_SEED)
    return generator.choice(np.array([1.0, -1.0]), size=(n_permutations, n)), False


@dataclass(frozen=True)
class SignFlipTest:
    """A paired sign-flip test and the interval obtained by inverting it.

    Attributes:
        p_value: Two-sided p-value of "no difference" (None without data).
        exact: Every sign pattern was enumerated.
        low: Lower end of the interval (None when unbounded or without data).
        high: Upper end.
    """

    p_value: float | None
    exact: bool
    low: float | None
    high: float | None


def sign_flip_test(
    groups: Sequence[tuple[FloatArray, FloatArray]],
    *,
    confidence: float = 0.95,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    rng: np.random.Generator | None = None,
) -> SignFlipTest:
    """Paired sign-flip test of a mean of pooled differences, with its inverted interval.

    Args:
        groups: Per group (a category, or one task), the per-dialogue sums of
            differences and the per-dialogue turn counts. The statistic is the
            mean over groups of ``sum(differences) / sum(counts)``.
        confidence: The interval's level: it holds every shift whose test gives
            ``p > 1 - confidence``.
        n_permutations: Random sign patterns when enumeration is too large.
        rng: The generator of the random patterns.
    """
    groups = [(d, c) for d, c in groups if len(d)]
    if not groups:
        return SignFlipTest(p_value=None, exact=False, low=None, high=None)
    n = sum(len(d) for d, _ in groups)
    signs, exact = _sign_patterns(n, n_permutations, rng)
    # The statistic is linear in the signs: T* = signs @ wd; shifted by δ it is
    # signs @ (wd - δ wc), while the observed one becomes T - δ.
    wd = np.concatenate([d / float(c.sum()) for d, c in groups]) / len(groups)
    wc = np.concatenate([c / float(c.sum()) for _, c in groups]) / len(groups)
    observed = float(wd.sum())
    flipped = signs @ wd  # A_k
    weights = signs @ wc  # B_k, within [-1, 1]
    tolerance = 1e-9 * max(1.0, abs(observed))
    extreme = int(np.count_nonzero(np.abs(flipped) >= abs(observed) - tolerance))
    total = signs.shape[0]
    if exact:
        p_value = extreme / total
        needed = int(np.floor((1 - confidence) * total)) + 1
    else:
        p_value = (1 + extreme) / (1 + total)
        needed = int(np.floor((1 - confidence) * (1 + total) - 1)) + 1
    low, high = _inverted_interval(flipped, weights, observed, needed)
    # Ties at exactly 0 are decided by floating-point noise in the roots; the
    # p-value decides them, so that the two always agree.
    alpha = 1 - confidence
    if low is not None and high is not None:
        if p_value > alpha and not low <= 0.0 <= high:
            low, high = min(low, 0.0), max(high, 0.0)
        elif p_value <= alpha and low <= 0.0 <= high:
            edge = float(np.nextafter(0.0, observed))
            low, high = (low, edge) if observed < 0 else (edge, high)
    return SignFlipTest(p_value=p_value, exact=exact, low=low, high=high)


def _inverted_interval(
    flipped: FloatArray, weights: FloatArray, observed: float, needed: int
) -> tuple[float | None, float | None]:
    """The shifts δ at which at least ``needed`` patterns are as extreme as observed.

    Pattern k is as extreme at δ when ``|A_k - δ B_k| >= |T - δ|``: a quadratic
    in δ that opens downwards (``|B_k| <= 1``) and holds at δ = T, so it holds
    on an interval ``[r1_k, r2_k]`` around T (everywhere when ``|B_k| = 1``).
    The count is then non-decreasing up to T and non-increasing after it.
    """
    if needed > len(flipped):
        return None, None
    a = weights**2 - 1.0
    b = -2.0 * (flipped * weights - observed)
    c = flipped**2 - observed**2
    always = np.abs(a) < 1e-12
    safe_a = np.where(always, -1.0, a)
    root = np.sqrt(np.maximum(b**2 - 4.0 * safe_a * c, 0.0))
    r1 = np.where(always, -np.inf, np.minimum((-b + root) / (2 * safe_a), observed))
    r2 = np.where(always, np.inf, np.maximum((-b - root) / (2 * safe_a), observed))
    low = float(np.sort(r1)[needed - 1])
    high = float(np.sort(r2)[::-1][needed - 1])
    return (
        None if not np.isfinite(low) else low,
        None if not np.isfinite(high) else high,
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
    test = sign_flip_test(groups, n_permutations=n_permutations, rng=rng)
    return test.p_value, test.exact


def _pooled_mean(samples: Sequence[Sample]) -> float:
    total = sum(float(s.sums[:, 0].sum()) for s in samples)
    count = sum(float(s.counts[:, 0].sum()) for s in samples)
    return total / count


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
    diffs, a_means, b_means = [], [], []
    for group in groups:
        diffs.append(_pooled_mean([m.diff for m in group]))
        a_means.append(_pooled_mean([m.a for m in group]))
        b_means.append(_pooled_mean([m.b for m in group]))
    flat = [
        (
            np.concatenate([m.diff.sums[:, 0] for m in group]),
            np.concatenate([m.diff.counts[:, 0] for m in group]),
        )
        for group in groups
    ]
    test = sign_flip_test(
        flat,
        confidence=boot.confidence,
        n_permutations=n_permutations,
        rng=_rng(seed, f"{scope}:{name}"),
    )
    members = [m for group in groups for m in group]
    return PairedDifference(
        scope=scope,
        name=name,
        a=float(np.mean(a_means)),
        b=float(np.mean(b_means)),
        diff=float(np.mean(diffs)),
        low=test.low,
        high=test.high,
        p_value=test.p_value,
        exact=test.exact,
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
    mt_eval = a.benchmark == DEFAULT_BENCHMARK
    for task in benchmark_tasks() if mt_eval else a.tasks:
        if a.has(task) and b.has(task):
            found = _match(a, b, task)
            if found is not None:
                matched[task] = found
    by_category: dict[str, list[_Matched]] = {}
    for task, m in matched.items():
        spec = benchmark_tasks()[task] if mt_eval else None
        if spec is not None and is_main_task(spec):
            by_category.setdefault(spec.category, []).append(m)
    rows: list[PairedDifference] = []
    if not mt_eval and matched:
        # Other benchmarks: their average pools every matched turn (MT-Bench's does).
        rows.append(
            _row(boot, "average", "average", [list(matched.values())], n_permutations, seed)
        )
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
