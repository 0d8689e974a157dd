"""The report's tier table, intervals over dialogues and figure."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

from mteval.analysis.bootstrap import Bootstrap
from mteval.benchmarks.mt_bench_101 import TASKS, TurnVerdict, aggregate
from mteval.benchmarks.mt_bench_101.report import (
    abilities_figure,
    abilities_markdown,
    dialogue_minima,
    estimate_scores,
)


def _verdicts() -> list[SimpleNamespace]:
    rows = []
    for t, task in enumerate(TASKS):
        for d in range(6):
            for turn in range(3):
                score = 1 + (t * 7 + d * 3 + turn * 5) % 10
                rows.append(
                    SimpleNamespace(
                        task=task, dialogue_id=f"{d}", status="scored", score=float(score)
                    )
                )
    rows.append(SimpleNamespace(task="CM", dialogue_id="0", status="error", score=None))
    return rows


def test_point_estimates_equal_the_summarizer_rules() -> None:
    verdicts = _verdicts()
    estimates = estimate_scores(dialogue_minima(verdicts), bootstrap=Bootstrap(n_resamples=200))
    reference = aggregate(
        TurnVerdict(
            task=v.task,
            dialogue_id=int(v.dialogue_id),
            index=0,
            rating=None if v.score is None else int(v.score),
            status="scored" if v.status == "scored" else "judge_error",
        )
        for v in verdicts
    )
    for task in TASKS:
        assert estimates.tasks[task].value == reference.tasks[task].score
    assert estimates.average.value == reference.average_unrounded


def test_intervals_cover_the_point_and_count_dialogues() -> None:
    estimates = estimate_scores(dialogue_minima(_verdicts()), bootstrap=Bootstrap(n_resamples=300))
    for estimate in (*estimates.tasks.values(), estimates.average):
        assert estimate.low is not None and estimate.high is not None and estimate.value is not None
        assert estimate.low <= estimate.value <= estimate.high
    assert estimates.tasks["CM"].n_dialogues == 6
    assert estimates.average.n_dialogues == 6 * 13


def test_markdown_groups_the_13_tasks_in_the_three_tiers() -> None:
    estimates = estimate_scores(dialogue_minima(_verdicts()), bootstrap=Bootstrap(n_resamples=50))
    table = abilities_markdown([("model-a", estimates), ("model|b", estimates)])
    lines = table.splitlines()
    assert lines[0] == "| tier | ability | task | model-a | model\\|b |"
    body = lines[2:-1]
    assert len(body) == 13
    assert [line.split(" | ")[0].lstrip("| ") for line in body] == (
        ["perceptivity"] * 5 + ["adaptability"] * 6 + ["interactivity"] * 2
    )
    assert "Context Memory (CM)" in body[0] and "Proactive Interaction (PI)" in body[-1]
    assert lines[-1].startswith("| **average**")


def test_figure_is_an_svg_with_every_task_and_tier() -> None:
    estimates = estimate_scores(dialogue_minima(_verdicts()), bootstrap=Bootstrap(n_resamples=50))
    svg = abilities_figure([("model-a", estimates), ("model-b", estimates)])
    ET.fromstring(svg)  # well-formed
    for word in (*TASKS, "perceptivity", "adaptability", "interactivity", "model-a"):
        assert word in svg
