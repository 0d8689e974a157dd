"""MT-Bench-101's report: the 13 tasks grouped in the paper's three tiers, with intervals.

Each task's score is the mean over its dialogues of the dialogue's minimum
rating, so the bootstrap resamples dialogues within each task (the unit the
benchmark scores), and the average of each replicate is the mean of that
replicate's task scores, as the point estimate is. The figure draws the 13
tasks grouped by tier, one bar per run, with 95% interval whiskers.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mteval.analysis.bootstrap import Bootstrap, Estimate, make_sample

from .taxonomy import ABILITIES, TASK_NAMES, TASKS, TIERS, tier_of

__all__ = [
    "FILE_ORDER",
    "Mtb101Estimates",
    "abilities_figure",
    "abilities_markdown",
    "dialogue_minima",
    "estimate_scores",
]

FILE_ORDER: tuple[str, ...] = (
    "GR",
    "IC",
    "AR",
    "FR",
    "MR",
    "CC",
    "TS",
    "CR",
    "SA",
    "SI",
    "CM",
    "PI",
    "SC",
)
"""The order tasks first appear in the data file: the reference sums task means in it."""

_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_TIER_SHADES = {"perceptivity": "#f3f6fa", "adaptability": "#fbf6f0", "interactivity": "#f2f8f4"}


@dataclass(frozen=True)
class Mtb101Estimates:
    """One run's MT-Bench-101 scores with bootstrap intervals.

    Attributes:
        tasks: Task abbreviation -> its estimate (dialogues behind it in ``n_dialogues``).
        average: The mean of the task scores present, with its interval.
    """

    tasks: dict[str, Estimate]
    average: Estimate


def dialogue_minima(verdicts: Iterable[Any]) -> dict[str, dict[str, float]]:
    """Each task's dialogues' scores: the minimum over the dialogue's scored turns.

    Args:
        verdicts: Records with ``task``, ``dialogue_id``, ``status`` and ``score``
            (judgment records); only ``scored`` ones count.
    """
    minima: dict[str, dict[str, float]] = {}
    for verdict in verdicts:
        if verdict.status != "scored" or verdict.score is None:
            continue
        task = minima.setdefault(verdict.task, {})
        dialogue = str(verdict.dialogue_id)
        task[dialogue] = min(task.get(dialogue, verdict.score), float(verdict.score))
    return minima


def estimate_scores(
    minima: Mapping[str, Mapping[str, float]], *, bootstrap: Bootstrap | None = None
) -> Mtb101Estimates:
    """Task scores and their average, with percentile intervals over dialogues.

    Args:
        minima: Task -> dialogue id -> the dialogue's score (:func:`dialogue_minima`).
        bootstrap: The resampler (default: 1,000 replicates, seed 0).
    """
    boot = bootstrap or Bootstrap()
    tasks: dict[str, Estimate] = {}
    values: list[float] = []
    replicates: list[np.ndarray] = []
    n_dialogues = 0
    for task in FILE_ORDER:
        scores = minima.get(task, {})
        if not scores:
            continue
        sample = make_sample(task, ((d, 0, s) for d, s in scores.items()), columns=[0])
        value, reps = boot.pooled([sample])
        tasks[task] = boot.to_estimates(value, reps, [sample])[0]
        values.append(float(value[0]))
        replicates.append(reps[:, 0])
        n_dialogues += sample.n_dialogues
    ordered = {task: tasks[task] for task in TASKS if task in tasks}
    if not values:
        return Mtb101Estimates(tasks=ordered, average=Estimate(value=None))
    # Summed in the data file's order, as the reference sums its task means.
    total = 0.0
    for value_ in values:
        total += value_
    average_reps = np.mean(np.stack(replicates, axis=1), axis=1) if boot.n_resamples else None
    average = boot.scalar(
        total / len(values), average_reps, n_dialogues=n_dialogues, tasks=tuple(ordered)
    )
    return Mtb101Estimates(tasks=ordered, average=average)


def _fmt(estimate: Estimate | None) -> str:
    if estimate is None or estimate.value is None:
        return "—"
    if estimate.low is None or estimate.high is None:
        return f"{estimate.value:.2f}"
    return f"{estimate.value:.2f} [{estimate.low:.2f}, {estimate.high:.2f}]"


def abilities_markdown(runs: Sequence[tuple[str, Mtb101Estimates]]) -> str:
    """A markdown table: the 13 tasks grouped by tier and ability, one column per run.

    Args:
        runs: (label, estimates) per run, in column order.
    """
    header = ["tier", "ability", "task", *(label.replace("|", "\\|") for label, _ in runs)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for tier, abilities in TIERS.items():
        for ability in abilities:
            for task in ABILITIES[ability]:
                cells = [tier, ability, f"{TASK_NAMES[task]} ({task})"]
                cells += [_fmt(estimates.tasks.get(task)) for _, estimates in runs]
                lines.append("| " + " | ".join(cells) + " |")
    average = ["**average**", "", "", *(f"**{_fmt(e.average)}**" for _, e in runs)]
    lines.append("| " + " | ".join(average) + " |")
    return "\n".join(lines)


def abilities_figure(
    runs: Sequence[tuple[str, Mtb101Estimates]],
    *,
    colors: Sequence[str] | None = None,
    name: str = "fig-mt-bench-101",
) -> str:
    """Grouped bars of the 13 tasks by tier, one bar per run, with 95% CI whiskers (SVG).

    Args:
        runs: (label, estimates) per run, in legend order.
        colors: Each run's colour (default: the report's palette in order).
        name: Salt for the SVG's element ids (unique per page).
    """
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9, "axes.axisbelow": True}):
        figure = Figure(figsize=(8.0, 3.6), layout="constrained")
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        order = [task for tier in TIERS.values() for a in tier for task in ABILITIES[a]]
        positions: list[float] = []
        x = 0.0
        previous_tier = None
        for task in order:
            if previous_tier is not None and tier_of(task) != previous_tier:
                x += 0.6  # a gap between tiers
            positions.append(x)
            previous_tier = tier_of(task)
            x += 1.0
        for tier in TIERS:
            xs = [p for p, t in zip(positions, order, strict=True) if tier_of(t) == tier]
            ax.axvspan(min(xs) - 0.5, max(xs) + 0.5, color=_TIER_SHADES[tier], zorder=0)
            ax.text((min(xs) + max(xs)) / 2, 10.3, tier, ha="center", va="bottom", fontsize=8)
        n = max(len(runs), 1)
        width = 0.8 / n
        for k, (label, estimates) in enumerate(runs):
            color = colors[k] if colors is not None else _PALETTE[k % len(_PALETTE)]
            xs, ys, low, high = [], [], [], []
            for p, task in zip(positions, order, strict=True):
                e = estimates.tasks.get(task)
                if e is None or e.value is None:
                    continue
                xs.append(p - 0.4 + width * (k + 0.5))
                ys.append(e.value)
                low.append(e.value - e.low if e.low is not None else 0.0)
                high.append(e.high - e.value if e.high is not None else 0.0)
            ax.bar(xs, ys, width=width * 0.92, color=color, label=label.replace("$", r"\$"))
            ax.errorbar(xs, ys, yerr=[low, high], fmt="none", ecolor="#222222", capsize=2)
        ax.set_xticks(positions, order, fontsize=8)
        ax.set_xlim(positions[0] - 0.6, positions[-1] + 0.6)
        ax.set_ylim(0, 11)
        ax.set_ylabel("score (1–10)")
        ax.set_title("MT-Bench-101 by task (95% CI over dialogues)", pad=14)
        ax.spines[["top", "right"]].set_visible(False)
        if runs:
            figure.legend(loc="outside lower center", ncols=min(len(runs), 3), frameon=False)
        buffer = io.StringIO()
        with matplotlib.rc_context({"svg.hashsalt": f"mteval-{name}"}):
            figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text[text.find("<svg") :], flags=re.S)
    label = html.escape("MT-Bench-101 scores of the 13 tasks, grouped by tier, per model")
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
