"""Statistics of a judge audit: how far a run's judged scores can be trusted.

Pure functions over numbers; the audit runner gathers the numbers (repeated
judgments, a second judge's scores, checker verdicts, pairwise verdicts in
both orders, judgments with and without history, canary scores) and these
functions turn them into the figures of ``audit.json``.

Choices a reader should know:

- **ICC(1,1)** (one-way random effects, single rating; Shrout & Fleiss 1979)
  measures self-consistency. The k repeats of one judge are exchangeable draws,
  not k distinct raters with their own bias, so there is no rater effect to
  model: ICC(2,1)/ICC(3,1) would need one. ICC(2,1) is provided for two
  different judges.
- **Quadratic-weighted kappa** uses its closed form
  ``1 - N·Σ(a_i-b_i)² / Σ_i Σ_j (a_i-b_j)²``, which equals the confusion-matrix
  definition with weights ``(i-j)²`` (empty categories add nothing to either
  sum), so no category list is needed.
- **Krippendorff's alpha (interval)** is written out (about fifteen lines of
  numpy over the coincidence form) rather than taken from the ``krippendorff``
  package: the audit needs only the interval metric, it must accept missing
  ratings, and the test suite pins it to Krippendorff's own worked example.
- **Intervals** come from :class:`mteval.analysis.bootstrap.Bootstrap`, the
  bootstrap of every other figure: dialogues are resampled, and the statistic
  is recomputed on the rows of the drawn dialogues (a dialogue drawn twice
  contributes its rows twice).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from mteval.analysis.bootstrap import Bootstrap, Estimate, make_sample

__all__ = [
    "LENGTH_RATIO_BINS",
    "CheckerAgreement",
    "JudgeAgreement",
    "PairVerdict",
    "PositionBias",
    "bootstrap_rows",
    "canary_drift",
    "changed_share",
    "checker_agreement",
    "icc",
    "judge_agreement",
    "krippendorff_alpha_interval",
    "length_correlation",
    "mean_offset",
    "noise_share_of_variance",
    "pearson",
    "position_bias",
    "rank_flip_probability",
    "resolvable_gap",
    "spearman",
    "weighted_kappa",
    "within_turn_sd",
    "within_turn_variance",
]

FloatArray = npt.NDArray[np.float64]
Numbers = Sequence[float] | FloatArray
"""Scores or lengths: a sequence or a 1-d array."""


def _matrix(scores: Sequence[Sequence[float]] | FloatArray) -> FloatArray:
    array = np.asarray(scores, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError("expected a (turns, repeats) matrix")
    return array


def _complete(scores: FloatArray) -> FloatArray:
    """Rows with every repeat present (a judge error leaves a NaN)."""
    return scores[~np.isnan(scores).any(axis=1)]


# -- self-consistency -----------------------------------------------------------------------


def within_turn_variance(scores: Sequence[Sequence[float]] | FloatArray) -> float | None:
    """Pooled within-turn variance of repeated scores.

    Each turn's sample variance (ddof=1) over its repeats, averaged over turns
    with at least two repeats (NaN repeats, judge errors, are left out).

    Args:
        scores: Shape (turns, repeats).

    Returns:
        The variance, or None when no turn has two repeats.
    """
    array = _matrix(scores)
    variances = []
    for row in array:
        row = row[~np.isnan(row)]
        if row.size >= 2:
            variances.append(float(np.var(row, ddof=1)))
    return float(np.mean(variances)) if variances else None


def within_turn_sd(scores: Sequence[Sequence[float]] | FloatArray) -> float | None:
    """Square root of :func:`within_turn_variance`: the judge's noise, in score points."""
    variance = within_turn_variance(scores)
    return None if variance is None else math.sqrt(variance)


def changed_share(scores: Sequence[Sequence[float]] | FloatArray) -> float | None:
    """Share of turns (with at least two repeats) whose repeats are not all equal."""
    array = _matrix(scores)
    changed = []
    for row in array:
        row = row[~np.isnan(row)]
        if row.size >= 2:
            changed.append(bool(np.ptp(row) > 0))
    return float(np.mean(changed)) if changed else None


def icc(scores: Sequence[Sequence[float]] | FloatArray, *, form: str = "1,1") -> float | None:
    """Intraclass correlation of a (targets, raters) matrix (Shrout & Fleiss 1979).

    Rows with a missing rating are dropped.

    Args:
        scores: Shape (targets, raters); for self-consistency the raters are
            the repeats.
        form: ``"1,1"`` (one-way random, single rating: exchangeable repeats)
            or ``"2,1"`` (two-way random, absolute agreement: distinct judges).

    Returns:
        The ICC, or None with fewer than two complete rows or two raters, or
        when every score is equal (0/0). 1.0 when all raters agree on every
        row and rows differ.
    """
    array = _complete(_matrix(scores))
    n, k = array.shape
    if n < 2 or k < 2:
        return None
    grand = array.mean()
    row_means = array.mean(axis=1)
    col_means = array.mean(axis=0)
    ss_rows = k * float(((row_means - grand) ** 2).sum())
    ss_cols = n * float(((col_means - grand) ** 2).sum())
    ss_total = float(((array - grand) ** 2).sum())
    ms_rows = ss_rows / (n - 1)
    if form == "1,1":
        ms_within = (ss_total - ss_rows) / (n * (k - 1))
        denominator = ms_rows + (k - 1) * ms_within
        numerator = ms_rows - ms_within
    elif form == "2,1":
        ms_cols = ss_cols / (k - 1)
        ms_error = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1))
        denominator = ms_rows + (k - 1) * ms_error + k * (ms_cols - ms_error) / n
        numerator = ms_rows - ms_error
    else:
        raise ValueError(f"unknown ICC form {form!r}: use '1,1' or '2,1'")
    if denominator == 0:
        return None
    return numerator / denominator


def noise_share_of_variance(
    *, noise_variance: float, n_turns: int, total_variance: float
) -> float | None:
    """Share of a task mean's variance that the judge's noise explains.

    A task mean over ``n_turns`` turns carries judge noise of variance
    ``noise_variance / n_turns`` (each turn judged once, noise independent
    across turns). ``total_variance`` is the variance of the mean's bootstrap
    replicates (dialogues and judge noise together).

    Returns:
        The share in [0, 1] (capped: with few dialogues the bootstrap can
        underestimate), or None when undefined.
    """
    if n_turns <= 0 or total_variance <= 0 or not math.isfinite(total_variance):
        return None
    return min(1.0, max(0.0, noise_variance / n_turns / total_variance))


def rank_flip_probability(
    *, gap: float, noise_sd: float, n_a: int, n_b: int | None = None
) -> float | None:
    """Probability that judge noise alone reverses two models' order.

    Two task means ``gap`` points apart, each over ``n`` turns judged once by a
    judge whose per-turn noise has SD ``noise_sd``: their difference carries
    noise of SD ``noise_sd * sqrt(1/n_a + 1/n_b)``, and the order flips when
    the noise exceeds the gap (normal approximation to the mean of the noise).

    Returns:
        The probability (0 for a noiseless judge and a non-zero gap; 0.5 for a
        zero gap), or None when ``n_a`` or ``n_b`` is not positive.
    """
    n_b = n_a if n_b is None else n_b
    if n_a <= 0 or n_b <= 0:
        return None
    sd = noise_sd * math.sqrt(1 / n_a + 1 / n_b)
    if gap == 0:
        return 0.5
    if sd == 0:
        return 0.0
    return float(sps.norm.sf(abs(gap) / sd))


def resolvable_gap(
    *, noise_sd: float, n_a: int, n_b: int | None = None, flip_probability: float = 0.05
) -> float | None:
    """The smallest gap that judge noise flips with at most ``flip_probability``."""
    n_b = n_a if n_b is None else n_b
    if n_a <= 0 or n_b <= 0 or not 0 < flip_probability < 0.5:
        return None
    return float(sps.norm.isf(flip_probability) * noise_sd * math.sqrt(1 / n_a + 1 / n_b))


# -- agreement between judges ---------------------------------------------------------------


def _pair(a: Numbers, b: Numbers) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("expected two equally long sequences")
    keep = ~(np.isnan(x) | np.isnan(y))
    return x[keep], y[keep]


def _defined(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


def pearson(a: Numbers, b: Numbers) -> float | None:
    """Pearson's r (scipy); None with fewer than three pairs or a constant side."""
    x, y = _pair(a, b)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return _defined(sps.pearsonr(x, y).statistic)


def spearman(a: Numbers, b: Numbers) -> float | None:
    """Spearman's rho (scipy); None with fewer than three pairs or a constant side."""
    x, y = _pair(a, b)
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return _defined(sps.spearmanr(x, y).statistic)


def weighted_kappa(a: Numbers, b: Numbers) -> float | None:
    """Cohen's kappa with quadratic weights, for two raters on an integer scale.

    Returns:
        Kappa, or None without pairs or when both raters give one constant
        score (0/0).
    """
    x, y = _pair(a, b)
    if x.size == 0:
        return None
    observed = float(((x - y) ** 2).sum())
    expected = float(((x[:, None] - y[None, :]) ** 2).sum()) / x.size
    if expected == 0:
        return None
    return 1.0 - observed / expected


def krippendorff_alpha_interval(ratings: Sequence[Sequence[float]] | FloatArray) -> float | None:
    """Krippendorff's alpha with the interval metric.

    Args:
        ratings: Shape (raters, units); NaN marks a missing rating. Units with
            fewer than two ratings are not pairable and are left out.

    Returns:
        Alpha, or None when fewer than two pairable values remain or every
        pairable value is equal.
    """
    array = _matrix(ratings)
    units = [col[~np.isnan(col)] for col in array.T]
    units = [u for u in units if u.size >= 2]
    if not units:
        return None
    values = np.concatenate(units)
    n = values.size
    disagreement_within = sum(
        float(((u[:, None] - u[None, :]) ** 2).sum()) / (u.size - 1) for u in units
    )
    disagreement_expected = float(((values[:, None] - values[None, :]) ** 2).sum()) / (n - 1)
    if disagreement_expected == 0:
        return None
    return 1.0 - disagreement_within / disagreement_expected


def mean_offset(a: Numbers, b: Numbers) -> float | None:
    """Mean of ``b - a`` (the second judge's scores minus the first's)."""
    x, y = _pair(a, b)
    return float((y - x).mean()) if x.size else None


@dataclass(frozen=True)
class JudgeAgreement:
    """How well two judges agree on the same turns.

    Attributes:
        pearson: Pearson's r.
        spearman: Spearman's rho.
        weighted_kappa: Cohen's quadratic-weighted kappa.
        krippendorff_alpha: Krippendorff's alpha (interval).
        mean_offset: Mean of judge 2 minus judge 1.
        n_turns: Turns both judges scored.
    """

    pearson: float | None
    spearman: float | None
    weighted_kappa: float | None
    krippendorff_alpha: float | None
    mean_offset: float | None
    n_turns: int


def judge_agreement(a: Numbers, b: Numbers) -> JudgeAgreement:
    """All agreement figures between judge 1's scores ``a`` and judge 2's ``b``."""
    x, y = _pair(a, b)
    return JudgeAgreement(
        pearson=pearson(x, y),
        spearman=spearman(x, y),
        weighted_kappa=weighted_kappa(x, y),
        krippendorff_alpha=krippendorff_alpha_interval(np.vstack([x, y])),
        mean_offset=mean_offset(x, y),
        n_turns=int(x.size),
    )


# -- agreement with verifiable checks -------------------------------------------------------


@dataclass(frozen=True)
class CheckerAgreement:
    """A judge's "follows the instruction" verdicts against a programmatic checker.

    The checker is the truth; "positive" means "follows".

    Attributes:
        agreement: Share of turns where judge and checker agree.
        precision: Of the turns the judge passes, the share the checker passes.
        recall: Of the turns the checker passes, the share the judge passes.
        n_turns: Turns with both verdicts.
        n_checker_pass: Turns the checker passes.
        n_judge_pass: Turns the judge passes.
    """

    agreement: float | None
    precision: float | None
    recall: float | None
    n_turns: int
    n_checker_pass: int
    n_judge_pass: int


def checker_agreement(judge: Sequence[bool], checker: Sequence[bool]) -> CheckerAgreement:
    """Agreement, precision and recall of ``judge`` verdicts against ``checker`` ones."""
    if len(judge) != len(checker):
        raise ValueError("expected two equally long sequences")
    j = np.asarray(judge, dtype=bool)
    c = np.asarray(checker, dtype=bool)
    n = int(j.size)
    tp = int((j & c).sum())
    return CheckerAgreement(
        agreement=float((j == c).mean()) if n else None,
        precision=tp / int(j.sum()) if j.sum() else None,
        recall=tp / int(c.sum()) if c.sum() else None,
        n_turns=n,
        n_checker_pass=int(c.sum()),
        n_judge_pass=int(j.sum()),
    )


# -- position bias ---------------------------------------------------------------------------

LENGTH_RATIO_BINS: tuple[tuple[str, float, float], ...] = (
    ("<0.5", 0.0, 0.5),
    ("0.5-0.8", 0.5, 0.8),
    ("0.8-1.25", 0.8, 1.25),
    ("1.25-2", 1.25, 2.0),
    (">=2", 2.0, math.inf),
)
"""Bins of (words of the answer shown first) / (words of the answer shown second)."""


@dataclass(frozen=True)
class PairVerdict:
    """A pairwise question judged in both orders.

    Answers ``x`` and ``y``: ``first`` is the verdict with x shown as A,
    ``second`` the verdict with y shown as A. Verdicts are positional:
    ``"A"``, ``"B"`` or ``"tie"``; None when that order's verdict failed.

    Attributes:
        first: Verdict with x in position A.
        second: Verdict with y in position A.
        words_x: Words in answer x.
        words_y: Words in answer y.
    """

    first: str | None
    second: str | None
    words_x: int
    words_y: int


_WINNER = {("first", "A"): "x", ("first", "B"): "y", ("second", "A"): "y", ("second", "B"): "x"}


def _winner(order: str, verdict: str | None) -> str | None:
    if verdict is None:
        return None
    if verdict == "tie":
        return "tie"
    return _WINNER[(order, verdict)]


@dataclass(frozen=True)
class PositionBias:
    """How much a pairwise judge's verdicts depend on answer order.

    Attributes:
        consistency_rate: Share of pairs (both orders judged) whose winner is
            the same in both orders (a tie in both counts as consistent).
        first_position_win_share: Share of decisive verdicts (ties left out)
            that pick the answer shown first.
        n_pairs: Pairs judged in both orders.
        by_length_ratio: Per :data:`LENGTH_RATIO_BINS` label (words of the
            first answer over the second's), the share of decisive verdicts
            picking position A and their count.
    """

    consistency_rate: float | None
    first_position_win_share: float | None
    n_pairs: int
    by_length_ratio: dict[str, tuple[float | None, int]]


def position_bias(pairs: Sequence[PairVerdict]) -> PositionBias:
    """Consistency across the two orders, first-position wins and their length-ratio breakdown."""
    consistent = []
    first_wins: list[bool] = []
    bins: dict[str, list[bool]] = {label: [] for label, _, _ in LENGTH_RATIO_BINS}
    for pair in pairs:
        a = _winner("first", pair.first)
        b = _winner("second", pair.second)
        if a is not None and b is not None:
            consistent.append(a == b)
        for verdict, words_a, words_b in (
            (pair.first, pair.words_x, pair.words_y),
            (pair.second, pair.words_y, pair.words_x),
        ):
            if verdict not in ("A", "B"):
                continue
            won = verdict == "A"
            first_wins.append(won)
            ratio = words_a / words_b if words_b else math.inf
            for label, low, high in LENGTH_RATIO_BINS:
                if low <= ratio < high:
                    bins[label].append(won)
                    break
    return PositionBias(
        consistency_rate=float(np.mean(consistent)) if consistent else None,
        first_position_win_share=float(np.mean(first_wins)) if first_wins else None,
        n_pairs=len(consistent),
        by_length_ratio={
            label: (float(np.mean(v)) if v else None, len(v)) for label, v in bins.items()
        },
    )


# -- length bias, history, drift ------------------------------------------------------------


def length_correlation(
    scores: Numbers, words: Numbers, *, groups: Sequence[str] | None = None
) -> float | None:
    """Spearman correlation between score and reply length (words).

    Args:
        scores: The scores.
        words: The replies' lengths, in words.
        groups: When given, each group's mean is removed from both first, so
            the correlation is within groups (the same turn answered by
            different runs, or one dialogue's turns): what a longer reply gains
            against its own peers.
    """
    x = np.asarray(scores, dtype=np.float64)
    w = np.asarray(words, dtype=np.float64)
    if groups is not None:
        # Vectorised group means (this runs once per bootstrap replicate).
        _, inverse = np.unique(np.asarray(groups), return_inverse=True)
        counts = np.bincount(inverse)
        x = x - (np.bincount(inverse, weights=x) / counts)[inverse]
        w = w - (np.bincount(inverse, weights=w) / counts)[inverse]
    return spearman(w, x)


def canary_drift(
    previous: Numbers,
    current: Numbers,
    *,
    noise_sd: float | None,
    z: float = 2.0,
) -> tuple[float | None, float | None, bool | None]:
    """Whether a judge's canary scores moved beyond its own noise.

    The same canary turns judged by an earlier audit (``previous``) and now
    (``current``). With no drift, each turn's difference is the difference of
    two noisy judgments, of SD ``noise_sd * sqrt(2)``, so the mean difference
    over ``n`` turns has SD ``noise_sd * sqrt(2 / n)``; a mean shift beyond
    ``z`` of those (or any shift at all for a noiseless judge) is drift.

    Returns:
        (mean shift, threshold, drifted); None parts when there are no pairs or
        no noise estimate.
    """
    x, y = _pair(previous, current)
    if x.size == 0:
        return None, None, None
    shift = float((y - x).mean())
    if noise_sd is None:
        return shift, None, None
    threshold = z * noise_sd * math.sqrt(2 / x.size)
    return shift, threshold, bool(abs(shift) > threshold + 1e-12)


# -- bootstrap ----------------------------------------------------------------------------------


def bootstrap_rows(
    boot: Bootstrap,
    key: str,
    dialogue_ids: Sequence[str],
    statistic: Callable[[npt.NDArray[np.intp]], float | None],
    *,
    tasks: Sequence[str] = (),
) -> Estimate:
    """A statistic over rows with its bootstrap interval, resampling dialogues.

    Args:
        boot: The project's bootstrap (its seed and resample count).
        key: The resampling key (a task name, or ``"overall"``).
        dialogue_ids: Each row's dialogue.
        statistic: Computes the figure from row indices (repeated when a
            dialogue is drawn more than once); None when undefined.
        tasks: The tasks behind the rows.

    Returns:
        The estimate: the statistic on all rows, with the percentile interval
        of the replicates where it is defined.
    """
    ids = list(dialogue_ids)
    all_rows = np.arange(len(ids))
    value = statistic(all_rows) if ids else None
    n_dialogues = len(set(ids))
    if value is None:
        return Estimate(value=None, n_turns=len(ids), n_dialogues=n_dialogues, tasks=tuple(tasks))
    sample = make_sample(key, ((d, 0, 0.0) for d in ids), columns=(0,))
    index = {d: i for i, d in enumerate(sample.dialogue_ids)}
    rows_of: list[list[int]] = [[] for _ in sample.dialogue_ids]
    for row, d in enumerate(ids):
        rows_of[index[d]].append(row)
    reps = []
    for weights in boot.weights(sample):
        drawn: list[int] = []
        for i, count in enumerate(weights.astype(int)):
            if count:
                drawn.extend(rows_of[i] * count)
        rep = statistic(np.asarray(drawn, dtype=np.intp))
        if rep is not None and math.isfinite(rep):
            reps.append(rep)
    if not reps:
        return Estimate(
            value=float(value), n_turns=len(ids), n_dialogues=n_dialogues, tasks=tuple(tasks)
        )
    return boot.scalar(
        value,
        np.asarray(reps, dtype=np.float64),
        n_turns=len(ids),
        n_dialogues=n_dialogues,
        tasks=tasks,
    )
