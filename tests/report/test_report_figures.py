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


# -- issue 9, finding 5: a 0.00 bar and identical curves stay visible ---------------------------


def _gid_paths(svg: str, gid: str) -> list[str]:
    import re

    group = re.search(rf'<g id="{re.escape(gid)}">(.*?)</g>', svg, re.S)
    assert group is not None, f"no element with id {gid}"
    return re.findall(r'\bd="([^"]+)"', group.group(1))


def test_a_zero_bar_is_drawn_on_the_axis_not_left_blank():
    zero = Estimate(0.0, 0.0, 0.0, n_turns=3, n_dialogues=2)
    five = Estimate(5.0, 4.0, 6.0, n_turns=3, n_dialogues=2)
    styles = run_styles({"r1": "m"})
    svg = leaderboard_figure(
        [MultiTurnRow("r1", "m", five, {"recollection": zero, "expansion": five})], styles
    )
    assert 'id="zero-bar-0"' in svg
    assert len(_gid_paths(svg, "zero-bar-0")) >= 1
    none = leaderboard_figure([MultiTurnRow("r1", "m", five, {"expansion": five})], styles)
    assert "zero-bar" not in none  # a missing category is not drawn as a zero


def test_identical_curves_of_two_runs_are_drawn_side_by_side():
    from mteval.analysis.curves import Curve, CurvePoint
    from mteval.report.figures import curves_figure

    points = tuple(CurvePoint(x, Estimate(5.0, 4.0, 6.0)) for x in (1, 2, 3))
    curve = Curve(label="expansion_multi", tasks=("expansion_multi",), points=points)
    styles = run_styles({"r1": "m", "r2": "n"})
    svg = curves_figure(
        {"r1": {"expansion_multi": curve}, "r2": {"expansion_multi": curve}},
        styles,
        panels=["expansion_multi"],
        xlabel="turn",
        title="t",
        name="fig",
    )
    first = _gid_paths(svg, "fig-line-expansion_multi-0")
    second = _gid_paths(svg, "fig-line-expansion_multi-1")
    assert first and second and first[0] != second[0]
