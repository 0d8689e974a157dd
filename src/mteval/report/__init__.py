"""Rendering results: markdown tables and the HTML report."""

from mteval.report.markdown import (
    CATEGORY_LABELS,
    format_score,
    main_table,
    results_markdown,
    task_table,
)

__all__ = ["CATEGORY_LABELS", "format_score", "main_table", "results_markdown", "task_table"]
