"""The report's figures, drawn with matplotlib and returned as inline SVG.

Figures use matplotlib's object-oriented API on an explicit Agg canvas (no
pyplot, no display, no global backend switch). Each model keeps one colour
and one marker in every figure (Okabe-Ito colours, readable by colour-blind
readers and in grey print); whiskers and bands are the bootstrap 95%
intervals. Text stays text in the SVG (searchable, scalable), and element
ids are salted per figure so that many SVGs can share one HTML page.
"""

from __future__ import annotations

import functools
import html
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import matplotlib
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mteval.analysis.bootstrap import Estimate
from mteval.analysis.compare import Comparison
from mteval.analysis.curves import Curve
from mteval.analysis.tables import (
    CLS_ABLATION_COLUMNS,
    ClsAblationRow,
    GoldOwnRow,
    IrrelevantRow,
    MultiTurnRow,
    SingleMultiRow,
)
from mteval.report.markdown import CATEGORY_LABELS

__all__ = [
    "MARKERS",
    "PALETTE",
    "SCORE_LABEL",
    "TASK_TITLES",
    "Series",
    "cls_ablation_figure",
    "comparison_figure",
    "curves_figure",
    "gold_own_figure",
    "irrelevant_figure",
    "leaderboard_figure",
    "run_styles",
    "single_multi_figure",
]

PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#999999",
)
"""Model colours (Okabe-Ito, without its yellow), in run order."""

MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
"""Model markers, in run order (tell models apart in grey print)."""

SCORE_LABEL = "score (0–10)"

_RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
}


@dataclass(frozen=True)
class Series:
    """How one run is drawn: its legend label, colour and marker."""

    label: str
    color: str
    marker: str


def run_styles(labels: Mapping[str, str]) -> dict[str, Series]:
    """Assign each run (in the given order) its colour and marker.

    Args:
        labels: Run id -> legend label, in report order.
    """
    return {
        run_id: Series(
            label=label,
            color=PALETTE[i % len(PALETTE)],
            marker=MARKERS[i % len(MARKERS)],
        )
        for i, (run_id, label) in enumerate(labels.items())
    }


_F = TypeVar("_F", bound=Callable[..., str])


def _styled(draw: _F) -> _F:
    """Draw under the report's matplotlib style (rcParams are read when artists are made)."""

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        with matplotlib.rc_context(cast(Any, _RC)):
            return draw(*args, **kwargs)

    return cast(_F, wrapper)


TASK_TITLES: dict[str, str] = {
    "recollection_multi_cls": "Recollection: classification",
    "recollection_multi_global-inst": "Recollection: global instruction",
    "expansion_multi": "Expansion",
    "refinement_multi": "Refinement",
    "follow-up_multi": "Follow-up",
    "recollection_multi_cls_gold": "Recollection: classification (gold)",
    "expansion_multi_gold": "Expansion (gold history)",
    "refinement_multi_gold": "Refinement (gold history)",
    "follow-up_multi_gold": "Follow-up (gold history)",
    "refinement_ablation_irrelevant-front": "Refinement, irrelevant in front",
    "refinement_ablation_irrelevant-between": "Refinement, irrelevant between",
}
"""Short panel titles for the multi-turn tasks."""


def _lighter(color: str, amount: float = 0.6) -> str:
    """The colour mixed with white (``amount`` of white)."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def _plain(text: str) -> str:
    """Text drawn literally (no mathtext)."""
    return text.replace("$", r"\$")


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _svg(figure: Figure, name: str, description: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"mteval-{name}", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    start = text.find("<svg")
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text[start:], flags=re.S)
    label = html.escape(description, quote=True)
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def _yerr(estimates: Sequence[Estimate | None]) -> tuple[list[float], list[float]]:
    lower, upper = [], []
    for e in estimates:
        if e is None or e.value is None or e.low is None or e.high is None:
            lower.append(0.0)
            upper.append(0.0)
        else:
            lower.append(max(0.0, e.value - e.low))
            upper.append(max(0.0, e.high - e.value))
    return lower, upper


def _grouped_bars(
    ax: Axes,
    groups: Sequence[str],
    bars: Sequence[tuple[Series, Sequence[Estimate | None], str, float]],
) -> None:
    """Bars per group, one per (series, estimates, hatch, alpha), with CI whiskers."""
    n = max(len(bars), 1)
    width = 0.8 / n
    for k, (series, estimates, hatch, _alpha) in enumerate(bars):
        xs = [i - 0.4 + width * (k + 0.5) for i in range(len(groups))]
        values = [e.value if e is not None and e.value is not None else 0.0 for e in estimates]
        present = [e is not None and e.value is not None for e in estimates]
        ax.bar(
            [x for x, p in zip(xs, present, strict=True) if p],
            [v for v, p in zip(values, present, strict=True) if p],
            width=width * 0.92,
            color=_lighter(series.color) if hatch else series.color,
            hatch=hatch,
            edgecolor=series.color,
            linewidth=0.8,
        )
        # A bar of height 0 is invisible and reads as missing data: mark it on the axis.
        zeros = [x for x, v, p in zip(xs, values, present, strict=True) if p and abs(v) < 0.005]
        if zeros:
            ax.hlines(
                [0.0] * len(zeros),
                [x - width * 0.46 for x in zeros],
                [x + width * 0.46 for x in zeros],
                colors=series.color,
                linewidth=3.0,
                clip_on=False,
                zorder=3,
                gid=f"zero-bar-{k}",
            )
            for x in zeros:
                ax.annotate(
                    "0",
                    (x, 0.0),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color=series.color,
                )
        lower, upper = _yerr(estimates)
        ax.errorbar(
            [x for x, p in zip(xs, present, strict=True) if p],
            [v for v, p in zip(values, present, strict=True) if p],
            yerr=[
                [lo for lo, p in zip(lower, present, strict=True) if p],
                [up for up, p in zip(upper, present, strict=True) if p],
            ],
            fmt="none",
            ecolor="#222222",
            elinewidth=0.9,
            capsize=2.5,
        )
    ax.set_xticks(range(len(groups)), [_plain(g) for g in groups])
    ax.grid(axis="x", visible=False)
    ax.set_ylim(0, 10.5)
    ax.set_ylabel(SCORE_LABEL)


def _dodge(index: int, count: int, step: float = 0.08) -> float:
    """The x offset of the ``index``-th of ``count`` series drawn at the same x values."""
    return (index - (count - 1) / 2) * step


def _legend_handles(styles: Sequence[Series]) -> tuple[list[Artist], list[str]]:
    from matplotlib.patches import Patch

    handles: list[Artist] = [Patch(facecolor=s.color, edgecolor=s.color) for s in styles]
    return handles, [_plain(s.label) for s in styles]


def _line_handles(styles: Sequence[Series]) -> tuple[list[Artist], list[str]]:
    from matplotlib.lines import Line2D

    handles: list[Artist] = [
        Line2D([], [], color=s.color, marker=s.marker, markersize=4, linewidth=1.4) for s in styles
    ]
    return handles, [_plain(s.label) for s in styles]


def _legend_below(
    figure: Figure,
    handles: list[Artist],
    labels: list[str],
    *,
    where: Literal["outside lower center", "outside upper center"] = "outside lower center",
) -> None:
    figure.legend(
        handles,
        labels,
        loc=where,
        ncols=min(len(labels), 3),
        frameon=False,
    )


@_styled
def leaderboard_figure(
    rows: Sequence[MultiTurnRow], styles: Mapping[str, Series], *, name: str = "fig-leaderboard"
) -> str:
    """Grouped bars: Avg. and each category, one bar per model, with 95% CI whiskers."""
    keys = list(CATEGORY_LABELS)
    figure = _figure(7.0, 3.4)
    ax = figure.add_subplot()
    bars = []
    for row in rows:
        estimates = [row.average if k == "average" else row.categories.get(k) for k in keys]
        bars.append((styles[row.run_id], estimates, "", 1.0))
    _grouped_bars(ax, [CATEGORY_LABELS[k] for k in keys], bars)
    ax.set_title("Multi-turn performance (95% CI)")
    _legend_below(figure, *_legend_handles([styles[r.run_id] for r in rows]))
    return _svg(figure, name, "Multi-turn performance by category, per model")


def _paired_bars_figure(
    groups: Sequence[str],
    per_run: Sequence[tuple[Series, Sequence[Estimate | None], Sequence[Estimate | None]]],
    legend: tuple[str, str],
    title: str,
    name: str,
) -> str:
    from matplotlib.patches import Patch

    figure = _figure(7.0, 3.6)
    ax = figure.add_subplot()
    bars = []
    for series, first, second in per_run:
        bars.append((series, first, "", 1.0))
        bars.append((series, second, "////", 0.35))
    _grouped_bars(ax, groups, bars)
    ax.set_title(title)
    handles, labels = _legend_handles([s for s, _, _ in per_run])
    handles += [
        Patch(facecolor="#666666", edgecolor="#666666"),
        Patch(facecolor=_lighter("#666666"), edgecolor="#666666", hatch="////"),
    ]
    labels += list(legend)
    _legend_below(figure, handles, labels)
    return _svg(figure, name, title)


@_styled
def single_multi_figure(
    rows: Sequence[SingleMultiRow], styles: Mapping[str, Series], *, name: str = "fig-single-multi"
) -> str:
    """Bars per category: multi-turn (solid) and single-turn (hatched) per model, 95% CIs."""
    categories = [c for c in CATEGORY_LABELS if c != "average" and any(c in r.cells for r in rows)]
    groups = ["Avg.", *(_category_group(c, rows) for c in categories)]
    per_run = []
    for row in rows:
        multi = [row.multi_avg, *(_cell(row, c, "multi") for c in categories)]
        single = [row.single_avg, *(_cell(row, c, "single") for c in categories)]
        per_run.append((styles[row.run_id], multi, single))
    return _paired_bars_figure(
        groups,
        per_run,
        ("multi-turn", "single-turn"),
        "Single-turn vs multi-turn (95% CI)",
        name,
    )


def _category_group(category: str, rows: Sequence[SingleMultiRow]) -> str:
    flagged = any(r.cells[category].reconstructed for r in rows if category in r.cells)
    return CATEGORY_LABELS[category] + ("*" if flagged else "")


def _cell(row: SingleMultiRow, category: str, which: str) -> Estimate | None:
    cell = row.cells.get(category)
    return None if cell is None else getattr(cell, which)


@_styled
def gold_own_figure(
    rows: Sequence[GoldOwnRow], styles: Mapping[str, Series], *, name: str = "fig-gold-own"
) -> str:
    """Bars per category: own history (solid) and gold history (hatched) per model, 95% CIs."""
    categories = [c for c in CATEGORY_LABELS if any(c in r.cells for r in rows)]
    per_run = []
    for row in rows:
        own = [row.cells[c].own if c in row.cells else None for c in categories]
        gold = [row.cells[c].gold if c in row.cells else None for c in categories]
        per_run.append((styles[row.run_id], own, gold))
    return _paired_bars_figure(
        [CATEGORY_LABELS[c] for c in categories],
        per_run,
        ("own history", "gold history"),
        "Own vs gold dialogue history (95% CI)",
        name,
    )


@_styled
def cls_ablation_figure(
    rows: Sequence[ClsAblationRow], styles: Mapping[str, Series], *, name: str = "fig-cls-ablation"
) -> str:
    """Grouped bars: classification accuracy (0-10) per context, one bar per model, 95% CIs."""
    labels = list(CLS_ABLATION_COLUMNS)
    figure = _figure(7.0, 3.4)
    ax = figure.add_subplot()
    _grouped_bars(
        ax,
        labels,
        [(styles[r.run_id], [r.cells.get(k) for k in labels], "", 1.0) for r in rows],
    )
    ax.set_title("Classification with various contexts (95% CI)")
    _legend_below(figure, *_legend_handles([styles[r.run_id] for r in rows]))
    return _svg(figure, name, "Classification ablation, per model")


@_styled
def irrelevant_figure(
    rows: Sequence[IrrelevantRow], styles: Mapping[str, Series], *, name: str = "fig-irrelevant"
) -> str:
    """Score by number of irrelevant turns (0 = none), front (solid) vs between (dashed)."""
    from matplotlib.lines import Line2D

    figure = _figure(7.0, 3.6)
    ax = figure.add_subplot()
    xs_all: set[int] = {0}
    for index, row in enumerate(rows):
        series = styles[row.run_id]
        for setting, style in (("front", "-"), ("between", "--")):
            points = [(0, row.none)] + sorted(row.by_distracts.get(setting, {}).items())
            points = [(x, e) for x, e in points if e.value is not None]
            if not points:
                continue
            xs = [x for x, _ in points]
            xs_all.update(xs)
            ys = [e.value if e.value is not None else 0.0 for _, e in points]
            lower, upper = _yerr([e for _, e in points])
            offset = (-0.06 if setting == "front" else 0.06) + _dodge(index, len(rows), 0.03)
            ax.errorbar(
                [x + offset for x in xs],
                ys,
                yerr=[lower, upper],
                color=series.color,
                marker=series.marker,
                linestyle=style,
                markersize=4,
                capsize=2.5,
                linewidth=1.4,
            )
    ax.set_xticks(sorted(xs_all))
    ax.set_xlabel("number of irrelevant turns (0 = none: refinement_multi turns 1–6)")
    ax.set_ylabel(SCORE_LABEL)
    ax.set_ylim(0, 10.5)
    ax.set_title("Refinement with irrelevant context (95% CI)")
    handles, labels = _line_handles([styles[r.run_id] for r in rows])
    handles += [
        Line2D([], [], color="#555555", linestyle="-"),
        Line2D([], [], color="#555555", linestyle="--"),
    ]
    labels += ["in front", "between"]
    _legend_below(figure, handles, labels)
    return _svg(figure, name, "Refinement score by number of irrelevant turns")


@_styled
def curves_figure(
    curves: Mapping[str, Mapping[str, Curve]],
    styles: Mapping[str, Series],
    *,
    panels: Sequence[str],
    titles: Mapping[str, str] | None = None,
    xlabel: str,
    title: str,
    name: str,
) -> str:
    """Small multiples: one panel per curve key, one line (and 95% CI band) per model.

    Args:
        curves: Run id -> curve key -> curve.
        styles: Run id -> how it is drawn.
        panels: The curve keys to draw, in order.
        titles: Panel titles (default: the keys).
        xlabel: The x axis label (with units).
        title: The figure's accessible description (the page's caption titles it).
        name: The figure's id (salts its SVG ids).
    """
    ncols = min(3, max(len(panels), 1))
    nrows = (len(panels) + ncols - 1) // ncols
    figure = _figure(7.2, 2.3 * nrows + 0.9)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for i, key in enumerate(panels):
        ax = axes[i // ncols][i % ncols]
        integer_ticks: set[int] = set()
        drawn = [r for r in curves if curves[r].get(key) is not None]
        for run_id, by_key in curves.items():
            curve = by_key.get(key)
            if curve is None:
                continue
            series = styles[run_id]
            # Runs side by side at each x, so that identical curves do not hide each other.
            shift = _dodge(drawn.index(run_id), len(drawn))
            points = [p for p in curve.points if p.estimate.value is not None]
            xs = [p.x for p in points]
            integer_ticks.update(xs)
            ys = [p.estimate.value for p in points]
            ax.plot(
                [x + shift for x in xs],
                ys,
                color=series.color,
                marker=series.marker,
                markersize=3.5,
                linewidth=1.4,
                gid=f"{name}-line-{key}-{drawn.index(run_id)}",
            )
            banded = [p for p in points if p.estimate.low is not None]
            if banded:
                ax.fill_between(
                    [p.x + shift for p in banded],
                    [p.estimate.low for p in banded],
                    [p.estimate.high for p in banded],
                    color=series.color,
                    alpha=0.12,
                    linewidth=0,
                )
        ax.set_title(_plain((titles or {}).get(key, key)), fontsize=9)
        ax.set_ylim(0, 10.5)
        if integer_ticks:
            step = max(1, (max(integer_ticks) - min(integer_ticks)) // 8 + 1)
            ax.set_xticks(list(range(min(integer_ticks), max(integer_ticks) + 1, step)))
    for j in range(len(panels), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    figure.supxlabel(xlabel, fontsize=9)
    figure.supylabel(SCORE_LABEL, fontsize=9)
    _legend_below(figure, *_line_handles([styles[r] for r in curves]), where="outside upper center")
    return _svg(figure, name, title)


@_styled
def comparison_figure(comparison: Comparison, label_a: str, label_b: str, *, name: str) -> str:
    """Forest plot: ``B - A`` with its paired 95% CI, for the average, categories and tasks."""
    rows = [r for r in comparison.rows if r.diff is not None]
    figure = _figure(7.0, 0.28 * len(rows) + 1.4)
    ax = figure.add_subplot()
    ys = list(range(len(rows)))[::-1]
    for y, row in zip(ys, rows, strict=True):
        color = "#000000" if row.scope != "task" else "#555555"
        low = row.low if row.low is not None else row.diff
        high = row.high if row.high is not None else row.diff
        assert row.diff is not None and low is not None and high is not None
        ax.plot([low, high], [y, y], color=color, linewidth=1.3)
        ax.plot(
            [row.diff],
            [y],
            marker="D" if row.scope != "task" else "o",
            color=color,
            markersize=4.5 if row.scope != "task" else 3.5,
        )
    ax.axvline(0, color="#888888", linewidth=0.8, linestyle="--")
    summaries = sum(1 for r in rows if r.scope != "task")
    if 0 < summaries < len(rows):
        ax.axhline(len(rows) - summaries - 0.5, color="#bbbbbb", linewidth=0.8)
    labels = [
        ("Avg." if r.scope == "average" else CATEGORY_LABELS.get(r.name, r.name))
        if r.scope != "task"
        else r.name
        for r in rows
    ]
    ax.set_yticks(ys, [_plain(label) for label in labels])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("difference B − A (score points on the 0–10 scale)")
    title = f"B = {label_b} vs A = {label_a} (paired 95% CI)"
    ax.set_title(_plain(title), fontsize=9)
    return _svg(figure, name, title)
