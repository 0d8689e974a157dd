from __future__ import annotations

import re

from mteval.benchmarks.mt_bench.report import category_radar_figure, scores_markdown
from mteval.report.figures import run_styles


def test_scores_table_lists_every_column_in_order() -> None:
    table = scores_markdown([("openai/a|b", {"turn_1": 8.25, "average": 7.0, "math": None})])
    header, rule, row = table.strip().split("\n")
    assert header.startswith("| Model | Turn 1 | Turn 2 | Average | Writing | Roleplay | Reasoning")
    assert header.endswith("| STEM | Humanities |")
    assert row.startswith("| openai/a\\|b | 8.25 | – | 7.00 |")


def test_radar_has_a_spoke_per_category_and_a_line_per_run() -> None:
    styles = run_styles({"r1": "model one", "r2": "model two"})
    scores = {
        c: 5.0
        for c in (
            "writing",
            "roleplay",
            "reasoning",
            "math",
            "coding",
            "extraction",
            "stem",
            "humanities",
        )
    }
    svg = category_radar_figure([(styles["r1"], scores), (styles["r2"], {**scores, "math": None})])
    assert svg.startswith('<svg role="img"')
    for label in (
        "Writing",
        "Roleplay",
        "Reasoning",
        "Math",
        "Coding",
        "Extraction",
        "STEM",
        "Humanities",
        "model one",
        "model two",
    ):
        assert re.search(rf">\s*{label}\s*<", svg), label
    assert styles["r1"].color.lower() in svg.lower() and styles["r2"].color.lower() in svg.lower()
