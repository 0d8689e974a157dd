from __future__ import annotations

from _report_helpers import add_run

from mteval.analysis import Estimate
from mteval.report import SECTION_TITLES, build_report, format_estimate, report_markdown


def test_format_estimate_two_decimals_with_interval():
    assert format_estimate(Estimate(7.125, 6.9, 7.333)) == "7.12 [6.90, 7.33]"
    assert format_estimate(Estimate(5.0)) == "5.00"
    assert format_estimate(Estimate(None)) == "—"
    assert format_estimate(None) == "—"


def test_report_markdown_has_every_section(full_report):
    text = report_markdown(full_report)
    for title in SECTION_TITLES.values():
        assert f"## {title}" in text
    assert "_Not in these runs" not in text
    assert "| Model | Avg. | Recollection | Expansion | Refinement | Follow-up |" in text
    assert "| Model | Single Turn | Gold | DGC | SGC | RC |" in text
    assert "Follow-up's single-turn set is mteval's construction" in text


def test_leaderboard_row_shows_the_average_with_its_interval(full_report):
    row = full_report.multi_turn[0]
    text = report_markdown(full_report)
    assert f"| {full_report.runs[0].label} | {format_estimate(row.average)} |" in text


def test_settings_not_run_are_omitted_with_a_note(tmp_path, sources):
    from mteval.benchmarks.mt_eval.tasks import GROUPS
    from mteval.store import RunStore

    with RunStore(tmp_path / "main.db") as store:
        run_id = add_run(store, sources, "openai/a", list(GROUPS["main"]))
        text = report_markdown(build_report(store, [run_id], n_resamples=0))
    assert "_Not in these runs: single-turn tasks (run with `--tasks single`" in text
    assert "_Not in these runs: gold-history tasks" in text
    assert "_Not in these runs: classification ablations" in text
    assert "_Not in these runs: irrelevant-context ablations" in text
    assert "_One run: nothing to compare" in text
    assert "## Per-turn scores" in text and "### refinement_multi" in text
