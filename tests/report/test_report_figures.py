from __future__ import annotations

from mteval.analysis import Estimate, MultiTurnRow
from mteval.report.figures import PALETTE, leaderboard_figure, run_styles


def rows():
    e = Estimate(5.0, 4.0, 6.0, n_turns=3, n_dialogues=2)
    return [
        MultiTurnRow("r1", "m", e, {"recollection": e, "expansion": e, "refinement": e}),
        MultiTurnRow("r2", "$x$ <y>", e, {"recollection": e, "follow-up": Estimate(None)}),
    ]


def test_each_run_keeps_its_colour_and_marker_in_order():
    styles = run_styles({"r1": "a", "r2": "b"})
    assert [s.color for s in styles.values()] == list(PALETTE[:2])
    assert styles["r1"].marker != styles["r2"].marker


def test_figure_is_inline_svg_with_labels_and_no_external_reference():
    styles = run_styles({"r1": "m", "r2": "$x$ <y>"})
    svg = leaderboard_figure(rows(), styles)
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "score (0–10)" in svg and "Recollection" in svg and "Follow-up" in svg
    assert PALETTE[0].lower() in svg.lower() and PALETTE[1].lower() in svg.lower()
    assert "$x$ &lt;y&gt;" in svg  # literal text: no mathtext, escaped
    assert "http" not in svg.replace("http://www.w3.org", "")
    assert "<script" not in svg


def test_figures_are_deterministic():
    styles = run_styles({"r1": "m", "r2": "n"})
    assert leaderboard_figure(rows(), styles) == leaderboard_figure(rows(), styles)
