"""MT-Bench's report pieces: the score table and the per-category radar chart.

The MT-Bench paper shows models' category scores as a radar chart (one
spoke per category, 0-10 outward); :func:`category_radar_figure` draws it
in the report's style (same colours and markers per run as every other
figure, inline SVG with text kept as text).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import cast

from matplotlib.projections.polar import PolarAxes

from mteval.benchmarks.mt_bench.data import CATEGORIES, CATEGORY_TITLES, SCORE_TITLES
from mteval.report.figures import (
    Series,
    _figure,
    _legend_below,
    _line_handles,
    _plain,
    _styled,
    _svg,
)

__all__ = ["CATEGORY_TITLES", "SCORE_TITLES", "category_radar_figure", "scores_markdown"]


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def scores_markdown(rows: Sequence[tuple[str, Mapping[str, float | None]]]) -> str:
    """A markdown table: one row per run (label, scores), columns in score-table order.

    Args:
        rows: (label, scores) per run; ``scores`` maps score keys to values.
    """
    keys = list(SCORE_TITLES)
    header = "| Model | " + " | ".join(SCORE_TITLES[k] for k in keys) + " |"
    rule = "|---|" + "|".join("---:" for _ in keys) + "|"
    lines = [header, rule]
    for label, scores in rows:
        safe = label.replace("|", "\\|")
        lines.append(f"| {safe} | " + " | ".join(_cell(scores.get(k)) for k in keys) + " |")
    return "\n".join(lines) + "\n"


@_styled
def category_radar_figure(
    rows: Sequence[tuple[Series, Mapping[str, float | None]]],
    *,
    name: str = "fig-mt-bench-radar",
) -> str:
    """The MT-Bench paper's radar chart: each run's mean score per category.

    Args:
        rows: (style, category scores) per run, in legend order; a category
            without a score is drawn at 0 and marked hollow.
        name: Salt for the SVG's element ids (unique per figure in a page).

    Returns:
        The figure as inline SVG.
    """
    figure = _figure(5.0, 5.2)
    ax = cast(PolarAxes, figure.add_subplot(projection="polar"))
    n = len(CATEGORIES)
    angles = [2 * math.pi * k / n for k in range(n)]
    # The first category at the top, the others clockwise, as in the paper.
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    closed = [*angles, angles[0]]
    for style, scores in rows:
        values = [scores.get(c) for c in CATEGORIES]
        points = [0.0 if v is None else float(v) for v in values]
        ax.plot(
            closed,
            [*points, points[0]],
            color=style.color,
            marker=style.marker,
            markersize=4,
            linewidth=1.4,
        )
        ax.fill(closed, [*points, points[0]], color=style.color, alpha=0.08)
        missing = [a for a, v in zip(angles, values, strict=True) if v is None]
        if missing:
            ax.plot(
                missing,
                [0.0] * len(missing),
                linestyle="none",
                marker="o",
                markerfacecolor="white",
                markeredgecolor=style.color,
            )
    ax.set_xticks(angles, [_plain(CATEGORY_TITLES[c]) for c in CATEGORIES])
    ax.set_ylim(0, 10)
    ax.set_yticks([2, 4, 6, 8, 10])
    ax.set_title("MT-Bench score by category")
    _legend_below(figure, *_line_handles([style for style, _ in rows]))
    return _svg(figure, name, "MT-Bench mean score per category, one line per model")
