"""A judge audit as Markdown: the trust panel and each check's figures.

:func:`trust_panel_rows` is the compact "can this judge be trusted" panel
(one line per check: its verdict, its headline and where the details are),
shared by ``audit.md`` and ``mteval report``; :func:`audit_markdown` adds
each check's overall and per-task figures with their intervals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHECK_TITLES",
    "DOCS_PAGE",
    "CheckTables",
    "PanelRow",
    "audit_details_markdown",
    "audit_markdown",
    "check_anchor",
    "check_tables",
    "trust_panel_markdown",
    "trust_panel_rows",
]

DOCS_PAGE = "docs/judge-audit.md"
CHECK_TITLES = {
    "self_consistency": "Self-consistency",
    "position_bias": "Position bias",
    "judge_agreement": "Agreement between judges",
    "checker_agreement": "Agreement with verifiable checks",
    "length_bias": "Length bias",
    "history_sensitivity": "History sensitivity",
    "canary": "Drift canaries",
}
_MARK = {"ok": "✅ ok", "caution": "⚠️ caution", "bad": "❌ bad", "n/a": "– n/a"}
_SKIP = {"n_dialogues", "result_id", "previous_result_id", "previous_audit_id", "version"}


@dataclass(frozen=True)
class PanelRow:
    """One line of the trust panel.

    Attributes:
        check: The check's name in ``audit.json``.
        title: Its title.
        verdict: ``ok``, ``caution``, ``bad`` or ``n/a``.
        summary: The headline figures, or why the check was skipped.
        anchor: The details' anchor (in ``audit.md`` and in the report).
    """

    check: str
    title: str
    verdict: str
    summary: str
    anchor: str


def check_anchor(check: str, run_id: str | None = None) -> str:
    """The anchor of a check's details (prefixed by the run in multi-run reports)."""
    name = check.replace("_", "-")
    if run_id is None:
        return f"audit-{name}"
    return "audit-" + re.sub(r"[^A-Za-z0-9_-]+", "-", run_id).strip("-") + f"-{name}"


def trust_panel_rows(result: Mapping[str, Any], *, run_id: str | None = None) -> list[PanelRow]:
    """The panel's lines for an audit result, in the checks' order."""
    rows = []
    for check, block in result.get("checks", {}).items():
        summary = block.get("headline") or block.get("reason") or ""
        rows.append(
            PanelRow(
                check=check,
                title=CHECK_TITLES.get(check, check),
                verdict=block.get("verdict", "n/a"),
                summary=summary,
                anchor=check_anchor(check, run_id),
            )
        )
    return rows


def trust_panel_markdown(result: Mapping[str, Any], *, run_id: str | None = None) -> str:
    """The panel as a Markdown table (links go to the details' anchors)."""
    lines = ["| Check | Verdict | Figures | Details |", "|---|---|---|---|"]
    for row in trust_panel_rows(result, run_id=run_id):
        lines.append(
            f"| {row.title} | {_MARK.get(row.verdict, row.verdict)} | {row.summary} "
            f"| [details](#{row.anchor}) |"
        )
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value)


def _figures(block: Mapping[str, Any]) -> list[str]:
    return [k for k in block if not k.endswith("_ci") and k not in _SKIP]


def _with_ci(block: Mapping[str, Any], name: str) -> str:
    text = _cell(block.get(name))
    ci = block.get(f"{name}_ci")
    if ci and ci[0] is not None:
        text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    return text


@dataclass(frozen=True)
class CheckTables:
    """A check's figures as text cells (value and interval), for any renderer.

    Attributes:
        overall: (figure name, cell) pairs.
        task_figures: The per-task table's figure names.
        per_task: (task, cells in ``task_figures`` order) rows.
    """

    overall: list[tuple[str, str]]
    task_figures: list[str]
    per_task: list[tuple[str, list[str]]]


def check_tables(block: Mapping[str, Any]) -> CheckTables:
    """The overall and per-task figures of a check's block, formatted."""
    overall = block.get("overall", {})
    per_task = block.get("per_task", {})
    names: list[str] = []
    for figures in per_task.values():
        names += [n for n in _figures(figures) if n not in names]
    return CheckTables(
        overall=[(name, _with_ci(overall, name)) for name in _figures(overall)],
        task_figures=names,
        per_task=[
            (task, [_with_ci(figures, n) for n in names]) for task, figures in per_task.items()
        ],
    )


def _check_section(check: str, block: Mapping[str, Any], run_id: str | None) -> list[str]:
    title = CHECK_TITLES.get(check, check)
    anchor = check_anchor(check, run_id)
    lines = [f'<a id="{anchor}"></a>', "", f"### {title}", ""]
    if block.get("status") != "done":
        lines += [f"Not run: {block.get('reason', '')}.", ""]
        return lines
    lines += [
        f"Verdict: **{block.get('verdict')}** — {block.get('headline', '')}.",
        f"What the figures mean and what to do: [{DOCS_PAGE}]({DOCS_PAGE}#{check_anchor(check)}).",
        "",
    ]
    tables = check_tables(block)
    lines += ["| Figure | Overall |", "|---|---|"]
    lines += [f"| `{name}` | {cell} |" for name, cell in tables.overall]
    lines.append("")
    if tables.per_task:
        lines += [
            "| Task | " + " | ".join(f"`{n}`" for n in tables.task_figures) + " |",
            "|---|" + "---|" * len(tables.task_figures),
        ]
        lines += [f"| {task} | {' | '.join(cells)} |" for task, cells in tables.per_task]
        lines.append("")
    return lines


def audit_details_markdown(result: Mapping[str, Any], *, run_id: str | None = None) -> list[str]:
    """Each check's section (anchored, for the panel's links), as Markdown lines."""
    lines: list[str] = []
    for check, block in result.get("checks", {}).items():
        lines += _check_section(check, block, run_id)
    return lines


def audit_markdown(result: Mapping[str, Any], *, run_id: str | None = None) -> str:
    """``audit.md``: the panel, then each check's figures (95% bootstrap intervals)."""
    options = result.get("options", {})
    lines = [
        f"# Judge audit of run {result.get('run_id')}",
        "",
        f"Judge `{result.get('judge')}`"
        + (f", second judge `{result['judge2']}`" if result.get("judge2") else "")
        + f"; model `{result.get('model')}`; audit {result.get('audit_id')}; "
        f"{options.get('repeats')} repeats, sample {options.get('sample')} turns per check "
        f"(seed {options.get('seed')}). Intervals are 95% bootstrap intervals over dialogues.",
        "",
        "## Can this judge be trusted?",
        "",
        trust_panel_markdown(result, run_id=run_id),
        "",
        "## Details",
        "",
        *audit_details_markdown(result, run_id=run_id),
    ]
    return "\n".join(lines).rstrip() + "\n"
