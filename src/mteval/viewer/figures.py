"""Small inline SVG figures for the viewer (drawn directly: fast, no plotting library).

Every label is escaped; figures carry a ``<title>`` per mark so that a hover
shows the exact number. Scores are on the benchmark's 0-10 scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from markupsafe import Markup

from mteval.analysis.bootstrap import Estimate

__all__ = ["PALETTE", "per_turn_figure", "task_figure"]

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
"""Okabe-Ito colours (the report's), in task order."""

_MAX = 10.0


def task_figure(estimates: Mapping[str, Estimate], *, width: int = 640) -> Markup:
    """Horizontal bars: each task's score with its interval as a whisker."""
    rows = [(task, e) for task, e in estimates.items()]
    if not rows:
        return Markup("")
    label_w, bar_h, gap, top = 250, 14, 6, 18
    plot_w = width - label_w - 50
    height = top + len(rows) * (bar_h + gap) + 8

    def x(value: float) -> float:
        return label_w + plot_w * max(0.0, min(value, _MAX)) / _MAX

    parts = [
        f'<svg class="fig" role="img" aria-label="score per task" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in range(0, 11, 2):
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 4}" y2="{height - 6}"'
            f' class="grid"/><text x="{x(tick):.1f}" y="{top - 6}" class="tick">{tick}</text>'
        )
    for i, (task, est) in enumerate(rows):
        y = top + i * (bar_h + gap)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h - 3}" class="label">{escape(task)}</text>'
        )
        if est.value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + bar_h - 3}" class="na">no score</text>')
            continue
        interval = (
            f" [{est.low:.2f}, {est.high:.2f}]"
            if est.low is not None and est.high is not None
            else ""
        )
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{x(est.value) - label_w:.1f}" height="{bar_h}"'
            f' fill="{PALETTE[0]}"><title>{escape(task)}: {est.value:.2f}{interval}'
            f" ({est.n_turns} turns)</title></rect>"
        )
        if est.low is not None and est.high is not None:
            mid = y + bar_h / 2
            parts.append(
                f'<line x1="{x(est.low):.1f}" x2="{x(est.high):.1f}" y1="{mid}" y2="{mid}"'
                ' class="ci"/>'
            )
        right = max(est.value, est.high if est.high is not None else est.value)
        parts.append(
            f'<text x="{x(right) + 5:.1f}" y="{y + bar_h - 3}" class="value">{est.value:.2f}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def per_turn_figure(
    curves: Mapping[str, Mapping[int, float]], *, width: int = 640, height: int = 260
) -> Markup:
    """Lines: mean score at each answered-turn index, one line per task."""
    series = [(task, dict(points)) for task, points in curves.items() if len(points) >= 2]
    if not series:
        return Markup("")
    left, right, top, bottom = 36, 200, 12, 28
    last = max(max(points) for _, points in series)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(index: int) -> float:
        return left + plot_w * (index - 1) / max(1, last - 1)

    def y(value: float) -> float:
        return top + plot_h * (1 - max(0.0, min(value, _MAX)) / _MAX)

    parts = [
        f'<svg class="fig" role="img" aria-label="score per turn" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in range(0, 11, 2):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"'
            f' class="grid"/><text x="{left - 4}" y="{y(tick) + 3:.1f}" class="label">{tick}</text>'
        )
    for index in range(1, last + 1):
        parts.append(
            f'<text x="{x(index):.1f}" y="{height - bottom + 14}" class="tick">{index}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" class="tick">answered turn</text>'
    )
    for i, (task, points) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in sorted(points.items()))
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.6">'
            f"<title>{escape(task)}</title></polyline>"
        )
        for k, v in sorted(points.items()):
            parts.append(
                f'<circle cx="{x(k):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(task)}, turn {k}: {v:.2f}</title></circle>"
            )
        ly = top + 12 + i * 14
        parts.append(
            f'<line x1="{width - right + 10}" x2="{width - right + 26}" y1="{ly - 4}"'
            f' y2="{ly - 4}" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{width - right + 30}" y="{ly}" class="legend">{escape(task)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
