"""Rendering results: markdown tables, figures and the HTML report."""

from mteval.report.build import (
    DialogueRows,
    Report,
    RunEntry,
    TaskSection,
    TurnRow,
    build_report,
    run_labels,
)
from mteval.report.html import ReportFiles, anchor_id, render_html, write_report
from mteval.report.markdown import (
    CATEGORY_LABELS,
    SECTION_TITLES,
    comparison_markdown,
    format_estimate,
    format_p,
    format_score,
    main_table,
    report_markdown,
    results_markdown,
    task_table,
)

__all__ = [
    "CATEGORY_LABELS",
    "SECTION_TITLES",
    "DialogueRows",
    "Report",
    "ReportFiles",
    "RunEntry",
    "TaskSection",
    "TurnRow",
    "anchor_id",
    "build_report",
    "comparison_markdown",
    "format_estimate",
    "format_p",
    "format_score",
    "main_table",
    "render_html",
    "report_markdown",
    "results_markdown",
    "run_labels",
    "task_table",
    "write_report",
]
