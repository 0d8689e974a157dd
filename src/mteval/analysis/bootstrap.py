"""Bootstrap confidence intervals over dialogues, vectorised with numpy.

The dialogue is the unit of resampling: turns of one dialogue share a history
and are not independent. Each task's dialogues are resampled with
replacement (a multinomial count per dialogue and replicate), and every score
built from that task (the task's mean, its category's pooled mean, the
average of the categories, a per-turn or per-distance mean) is recomputed in
each replicate from the same counts, so the intervals are consistent with one
another. The interval is the percentile interval of the replicates.

Counts are drawn from a generator seeded by the seed and a hash of the
resampling key and the dialogue ids, so a task's replicates do not depend on
which other tasks are analysed with it; two samples with the same key and the
same dialogues get the same counts, which makes the difference of a task and
its gold-history twin (same dialogues) a paired bootstrap.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "CONFIDENCE",
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "Bootstrap",
    "Estimate",
    "Sample",
    "make_sample",
]

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
CONFIDENCE = 0.95

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Estimate:
    """A score with its bootstrap confidence interval.

    Attributes:
        value: The point estimate (None when nothing was scored).
        low: Lower bound of the interval (None without an interval).
        high: Upper bound of the interval.
        n_turns: Scored turns behind the value.
        n_dialogues: Dialogues behind the value.
        tasks: The tasks the value pools.
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    n_turns: int = 0
    n_dialogues: int = 0
    tasks: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        """Whether there is a value."""
        return self.value is not None


@dataclass(frozen=True)
class Sample:
    """Per-dialogue sums and counts of scores, in one or more columns.

    A column is a sub-statistic (a turn index, a distance); scalar statistics
    have one column.

    Attributes:
        key: The resampling key (usually the task name).
        dialogue_ids: The dialogues, sorted.
        columns: The column labels.
        sums: Sum of scores per dialogue and column, shape (dialogues, columns).
        counts: Number of scores per dialogue and column, same shape.
        tasks: The tasks the sample's scores come from.
    """

    key: str
    dialogue_ids: tuple[str, ...]
    columns: tuple[Hashable, ...]
    sums: FloatArray = field(repr=False)
    counts: FloatArray = field(repr=False)
    tasks: tuple[str, ...] = ()

    @property
    def n_dialogues(self) -> int:
        """Number of dialogues."""
        return len(self.dialogue_ids)


def make_sample(
    key: str,
    rows: Iterable[tuple[str, Hashable, float]],
    *,
    columns: Sequence[Hashable] | None = None,
    tasks: Sequence[str] | None = None,
) -> Sample:
    """Build a :class:`Sample` from ``(dialogue_id, column, score)`` rows.

    Args:
        key: The resampling key.
        rows: The scores, each with its dialogue and column.
        columns: The columns, in order (default: the sorted columns seen).
        tasks: The tasks behind the rows (default: ``(key,)``).
    """
    grouped: dict[str, dict[Hashable, list[float]]] = defaultdict(lambda: defaultdict(list))
    seen: set[Hashable] = set()
    for dialogue_id, column, score in rows:
        grouped[dialogue_id][column].append(score)
        seen.add(column)
    cols = tuple(columns) if columns is not None else tuple(sorted(seen, key=_sort_key))
    index = {c: j for j, c in enumerate(cols)}
    ids = tuple(sorted(grouped))
    sums = np.zeros((len(ids), len(cols)))
    counts = np.zeros((len(ids), len(cols)))
    for i, dialogue_id in enumerate(ids):
        for column, scores in grouped[dialogue_id].items():
            j = index.get(column)
            if j is None:
                continue
            sums[i, j] = sum(scores)
            counts[i, j] = len(scores)
    return Sample(
        key=key,
        dialogue_ids=ids,
        columns=cols,
        sums=sums,
        counts=counts,
        tasks=tuple(tasks) if tasks is not None else (key,),
    )


def _sort_key(value: Hashable) -> tuple[int, str]:
    return (0, f"{value:020d}") if isinstance(value, int) else (1, str(value))


def _seed_of(seed: int, key: str, ids: tuple[str, ...]) -> list[int]:
    digest = hashlib.sha256("\x00".join((key, *ids)).encode("utf-8")).digest()
    return [seed, int.from_bytes(digest[:8], "little")]


class Bootstrap:
    """Seeded, vectorised bootstrap over dialogues.

    Args:
        n_resamples: Replicates (0 computes point estimates only).
        seed: The seed.
        confidence: The interval's coverage.
    """

    def __init__(
        self,
        *,
        n_resamples: int = DEFAULT_RESAMPLES,
        seed: int = DEFAULT_SEED,
        confidence: float = CONFIDENCE,
    ) -> None:
        if n_resamples < 0:
            raise ValueError("n_resamples must be >= 0")
        if not 0 < confidence < 1:
            raise ValueError("confidence must be between 0 and 1")
        self.n_resamples = n_resamples
        self.seed = seed
        self.confidence = confidence
        self._weights: dict[tuple[str, tuple[str, ...]], FloatArray] = {}

    def weights(self, sample: Sample) -> FloatArray:
        """Return how often each dialogue is drawn in each replicate, (replicates, dialogues)."""
        cache_key = (sample.key, sample.dialogue_ids)
        cached = self._weights.get(cache_key)
        if cached is None:
            n = sample.n_dialogues
            if n == 0 or self.n_resamples == 0:
                cached = np.zeros((self.n_resamples, n))
            else:
                rng = np.random.default_rng(_seed_of(self.seed, sample.key, sample.dialogue_ids))
                draws = rng.multinomial(n, np.full(n, 1.0 / n), size=self.n_resamples)
                cached = draws.astype(np.float64)
            self._weights[cache_key] = cached
        return cached

    def pooled(self, samples: Sequence[Sample]) -> tuple[FloatArray, FloatArray]:
        """Pooled means of the samples' scores, per column, and their replicates.

        All samples must have the same columns. Returns the point estimates
        (shape (columns,), NaN where nothing is scored) and the replicates
        (shape (replicates, columns)).
        """
        if not samples:
            raise ValueError("no samples to pool")
        k = len(samples[0].columns)
        total_sum = np.zeros(k)
        total_count = np.zeros(k)
        rep_sum = np.zeros((self.n_resamples, k))
        rep_count = np.zeros((self.n_resamples, k))
        for sample in samples:
            if sample.columns != samples[0].columns:
                raise ValueError("samples pooled together must share their columns")
            total_sum += sample.sums.sum(axis=0)
            total_count += sample.counts.sum(axis=0)
            if self.n_resamples and sample.n_dialogues:
                w = self.weights(sample)
                rep_sum += w @ sample.sums
                rep_count += w @ sample.counts
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(total_count > 0, total_sum / np.maximum(total_count, 1), np.nan)
            reps = np.where(rep_count > 0, rep_sum / np.maximum(rep_count, 1), np.nan)
        return value, reps

    def interval(self, reps: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Percentile interval of replicates, per column (NaN where undefined)."""
        if reps.ndim == 1:
            reps = reps[:, None]
        k = reps.shape[1]
        low = np.full(k, np.nan)
        high = np.full(k, np.nan)
        if reps.shape[0] == 0:
            return low, high
        alpha = (1 - self.confidence) / 2
        for j in range(k):
            column = reps[:, j]
            column = column[~np.isnan(column)]
            if column.size:
                low[j], high[j] = np.quantile(column, [alpha, 1 - alpha])
        return low, high

    def estimates(
        self, samples: Sequence[Sample], *, tasks: Sequence[str] | None = None
    ) -> list[Estimate]:
        """One :class:`Estimate` per column of the pooled samples."""
        value, reps = self.pooled(samples)
        return self.to_estimates(value, reps, samples, tasks=tasks)

    def estimate(self, samples: Sequence[Sample]) -> Estimate:
        """The :class:`Estimate` of single-column samples pooled (empty when none)."""
        if not samples or all(s.n_dialogues == 0 for s in samples):
            return Estimate(value=None, tasks=_tasks_of(samples))
        return self.estimates(samples)[0]

    def to_estimates(
        self,
        value: FloatArray,
        reps: FloatArray,
        samples: Sequence[Sample],
        *,
        tasks: Sequence[str] | None = None,
    ) -> list[Estimate]:
        """Package point estimates and replicates as :class:`Estimate` per column."""
        low, high = self.interval(reps)
        out = []
        for j in range(len(value)):
            n_turns = int(sum(s.counts[:, j].sum() for s in samples))
            n_dialogues = int(sum((s.counts[:, j] > 0).sum() for s in samples))
            out.append(
                Estimate(
                    value=_num(value[j]),
                    low=_num(low[j]) if n_turns else None,
                    high=_num(high[j]) if n_turns else None,
                    n_turns=n_turns,
                    n_dialogues=n_dialogues,
                    tasks=tuple(tasks) if tasks is not None else _tasks_of(samples),
                )
            )
        return out

    def scalar(
        self,
        value: float | None,
        reps: FloatArray | None,
        *,
        n_turns: int = 0,
        n_dialogues: int = 0,
        tasks: Sequence[str] = (),
    ) -> Estimate:
        """An :class:`Estimate` from a scalar statistic and its replicates."""
        if value is None or reps is None:
            return Estimate(
                value=None, n_turns=n_turns, n_dialogues=n_dialogues, tasks=tuple(tasks)
            )
        low, high = self.interval(np.asarray(reps, dtype=np.float64).reshape(-1, 1))
        return Estimate(
            value=float(value),
            low=_num(low[0]),
            high=_num(high[0]),
            n_turns=n_turns,
            n_dialogues=n_dialogues,
            tasks=tuple(tasks),
        )


def _tasks_of(samples: Sequence[Sample]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for sample in samples:
        for task in sample.tasks:
            seen.setdefault(task)
    return tuple(seen)


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
