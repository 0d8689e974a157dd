"""Markdown tables of a run's results, in the paper's layout (two decimals)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mteval.analysis.bootstrap import Estimate
from mteval.analysis.compare import Comparison
from mteval.analysis.curves import Curve
from mteval.analysis.results import Results, TaskResult
from mteval.analysis.tables import CLS_ABLATION_COLUMNS, SingleMultiRow
from mteval.report.audit import audit_details_markdown, trust_panel_markdown

if TYPE_CHECKING:
    from mteval.report.build import Report

__all__ = [
    "CATEGORY_LABELS",
    "SECTION_TITLES",
    "comparison_markdown",
    "format_estimate",
    "format_p",
    "format_score",
    "main_table",
    "method_lines",
    "report_markdown",
    "results_markdown",
    "single_multi_header",
    "task_table",
]

CATEGORY_LABELS: dict[str, str] = {
    "average": "Avg.",
    "recollection": "Recollection",
    "expansion": "Expansion",
    "refinement": "Refinement",
    "follow-up": "Follow-up",
}


def format_score(value: float | None) -> str:
    """Two decimals, or an em dash for no score."""
    return "—" if value is None else f"{value:.2f}"


def _estimates(cell: Any, *fields: str) -> list[str]:
    """Format the named estimates of a table cell, or a dash for each when it is absent."""
    if cell is None:
        return ["—"] * len(fields)
    return [format_estimate(getattr(cell, field)) for field in fields]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def main_table(results: Sequence[Results]) -> str:
    """The paper's main table: Model | Avg. | Recollection | Expansion | Refinement | Follow-up."""
    header = ["Model", *CATEGORY_LABELS.values()]
    rows = [
        [r.model, *(format_score(r.scores.get(key)) for key in CATEGORY_LABELS)] for r in results
    ]
    return _table(header, rows)


def task_table(results: Results) -> str:
    """One row per task: score, scored turns, errors, not run, judge errors, truncated replies."""
    header = ["Task", "Score", "Scored", "Turns", "Errors", "Not run", "Judge errors", "Truncated"]
    rows = [
        [
            name,
            format_score(task.score),
            str(task.n_scored),
            str(task.n_turns),
            str(task.n_turn_errors),
            str(task.n_not_run),
            str(task.n_judge_errors),
            str(task.n_truncated),
        ]
        for name, task in results.tasks.items()
    ]
    return _table(header, rows)


def results_markdown(results: Results) -> str:
    """The ``results.md`` of a run."""
    parts = [
        f"# MT-Eval results: {results.model}",
        "",
        f"Run `{results.run_id}` ({results.status}), judge: {results.judge or '—'}, "
        f"MT-Eval sources commit {str(results.data_commit)[:12]}.",
        "",
        "## Multi-turn performance",
        "",
        main_table([results]),
        "",
        "## Tasks",
        "",
        task_table(results),
        "",
    ]
    incomplete = [n for n, t in results.tasks.items() if t.n_scored < t.n_turns]
    if incomplete:
        parts += [
            "Turns without a score are excluded from every mean (errors, not-run turns and "
            "judge errors are counted above); rerun the same command to retry them.",
            "",
        ]
    return "\n".join(parts)


# -- the full report (``mteval report``) -----------------------------------------------------


SECTION_TITLES: dict[str, str] = {
    "leaderboard": "Multi-turn performance",
    "tasks": "Task scores",
    "single-multi": "Single-turn vs multi-turn",
    "gold-own": "Own vs gold dialogue history",
    "cls-ablation": "Classification with various contexts",
    "irrelevant": "Irrelevant context in refinement",
    "per-turn": "Per-turn scores",
    "distance": "Score by distance to the relevant content",
    "compare": "Paired comparisons",
    "judge-audit": "Can this judge be trusted?",
    "method": "Method",
}
"""Report section id -> heading (the HTML sections carry these ids)."""


def single_multi_header(rows: Sequence[SingleMultiRow]) -> tuple[list[str], list[str]]:
    """The single- vs multi-turn table's header and the categories it shows.

    Follow-up (a reconstructed single-turn set) is marked with an asterisk.
    """
    categories = [c for c in CATEGORY_LABELS if any(c in r.cells for r in rows)]
    header = ["Model", "Single Avg.", "Multi Avg.", "Δ Avg."]
    for category in categories:
        name = CATEGORY_LABELS[category]
        if any(r.cells[category].reconstructed for r in rows if category in r.cells):
            name += "\\*"
        header += [f"{name} Single", f"{name} Multi", f"{name} Δ"]
    return header, categories


def format_estimate(estimate: Estimate | None, *, ci: bool = True) -> str:
    """``7.12 [6.90, 7.33]``: two decimals and the interval, or an em dash for no score."""
    if estimate is None or estimate.value is None:
        return "—"
    text = f"{estimate.value:.2f}"
    if ci and estimate.low is not None and estimate.high is not None:
        text += f" [{estimate.low:.2f}, {estimate.high:.2f}]"
    return text


def format_p(value: float | None) -> str:
    """A p-value: three decimals, or ``<0.001``."""
    if value is None:
        return "—"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _cell(text: str) -> str:
    """Table cell text: pipes escaped, one line."""
    return text.replace("|", "\\|").replace("\n", " ")


def _missing(what: str, hint: str) -> list[str]:
    return [f"_Not in these runs: {what} (run with `--tasks {hint}` or `--tasks all`)._", ""]


def _curve_tables(
    report: Report, curves: dict[str, dict[str, Curve]], keys: list[str], x_label: str
) -> list[str]:
    parts: list[str] = []
    runs = [r for r in report.runs if curves.get(r.run_id)]
    for key in keys:
        xs = sorted(
            {p.x for r in runs for p in curves[r.run_id].get(key, Curve(key, (), ())).points}
        )
        if not xs:
            continue
        header = [x_label, *(_cell(r.label) for r in runs)]
        rows = []
        for x in xs:
            row = [str(x)]
            for r in runs:
                curve = curves[r.run_id].get(key)
                point = next((p for p in curve.points if p.x == x), None) if curve else None
                row.append(
                    f"{format_estimate(point.estimate)} (n={point.estimate.n_turns})"
                    if point
                    else "—"
                )
            rows.append(row)
        parts += [f"### {key}", "", _table(header, rows), ""]
    return parts


def report_markdown(report: Report) -> str:
    """The ``report.md`` of ``mteval report``: every table of the paper, in its layout.

    Scores have two decimals and their bootstrap interval in brackets. The
    figures and the turns behind each number are in ``report.html``.
    """
    generated = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(report.generated_at))
    pct = f"{report.confidence:.0%}"
    parts = [
        f"# {report.title} report",
        "",
        f"Generated {generated} by mteval {report.mteval_version}. Scores are on the "
        f"benchmark's 0–10 scale; brackets give {pct} bootstrap intervals over dialogues "
        f"({report.n_resamples} replicates, seed {report.seed}). `report.html` has the figures "
        "and the turns behind every number.",
        "",
        "## Runs",
        "",
        _table(
            ["Model", "Run", "Judge", "Status", "Created (UTC)", "Tasks"],
            [
                [
                    _cell(r.label),
                    r.run_id,
                    _cell(r.results.judge or "—"),
                    r.results.status,
                    time.strftime("%Y-%m-%d %H:%M", time.gmtime(r.created_at)),
                    str(len(r.results.tasks)),
                ]
                for r in report.runs
            ],
        ),
        "",
    ]
    labels = {r.run_id: _cell(r.label) for r in report.runs}
    if report.benchmark != "mt-eval":
        return "\n".join(parts + _generic_sections(report, labels))
    parts += [f"## {SECTION_TITLES['leaderboard']}", ""]
    if report.multi_turn:
        parts += [
            _table(
                ["Model", *CATEGORY_LABELS.values()],
                [
                    [
                        labels[row.run_id],
                        format_estimate(row.average),
                        *(
                            format_estimate(row.categories.get(k))
                            for k in list(CATEGORY_LABELS)[1:]
                        ),
                    ]
                    for row in report.multi_turn
                ],
            ),
            "",
        ]
    else:
        parts += _missing("multi-turn tasks", "main")

    parts += [f"## {SECTION_TITLES['tasks']}", ""]
    task_names = list(dict.fromkeys(t for r in report.runs for t in report.task_scores[r.run_id]))
    parts += [
        _table(
            ["Task", *(labels[r.run_id] for r in report.runs)],
            [
                [
                    name,
                    *(
                        format_estimate(report.task_scores[r.run_id].get(name))
                        + _counts(r.results.tasks.get(name))
                        for r in report.runs
                    ),
                ]
                for name in task_names
            ],
        ),
        "",
        "Cells: score [interval] (scored turns / answered turns; errors, not-run turns and judge "
        "errors are excluded from every mean).",
        "",
    ]

    parts += [f"## {SECTION_TITLES['single-multi']}", ""]
    if report.single_multi:
        header, categories = single_multi_header(report.single_multi)
        rows = []
        for row in report.single_multi:
            cells = [
                labels[row.run_id],
                format_estimate(row.single_avg),
                format_estimate(row.multi_avg),
                format_estimate(row.drop_avg),
            ]
            for category in categories:
                cell = row.cells.get(category)
                cells += _estimates(cell, "single", "multi", "drop")
            rows.append(cells)
        parts += [_table(header, rows), ""]
        parts += [
            "Δ = multi − single (negative: worse over turns). Single/Multi Avg. cover "
            "Recollection, Expansion and Refinement, as in the paper.",
            "",
        ]
        if "follow-up" in categories:
            parts += [
                "\\* Follow-up's single-turn set is mteval's construction (the benchmark's "
                "published set cannot be rebuilt from its sources; its table leaves "
                "Follow-up out). See docs/fidelity.md.",
                "",
            ]
    else:
        parts += _missing("single-turn tasks", "single")

    parts += [f"## {SECTION_TITLES['gold-own']}", ""]
    if report.gold_own:
        categories = [c for c in CATEGORY_LABELS if any(c in r.cells for r in report.gold_own)]
        header = ["Model"]
        for category in categories:
            name = CATEGORY_LABELS[category]
            header += [f"{name} Own", f"{name} Gold", f"{name} Δ"]
        rows = []
        for go_row in report.gold_own:
            cells = [labels[go_row.run_id]]
            for category in categories:
                go_cell = go_row.cells.get(category)
                cells += _estimates(go_cell, "own", "gold", "diff")
            rows.append(cells)
        parts += [
            _table(header, rows),
            "",
            "Δ = own − gold (negative: the model's own earlier replies hurt). Each gold-history "
            "task is compared with its own-history twin on the same dialogues (Recollection: "
            "classification turns only).",
            "",
        ]
    else:
        parts += _missing("gold-history tasks", "gold")

    parts += [f"## {SECTION_TITLES['cls-ablation']}", ""]
    if report.cls_ablation:
        columns = list(CLS_ABLATION_COLUMNS)
        parts += [
            _table(
                ["Model", *columns],
                [
                    [labels[row.run_id], *(format_estimate(row.cells.get(c)) for c in columns)]
                    for row in report.cls_ablation
                ],
            ),
            "",
            "Accuracy on the 0–10 scale (10 = correct label). Gold: earlier documents with "
            "correct labels; DGC: other classes only; SGC: one single class; RC: random wrong "
            "labels.",
            "",
        ]
    else:
        parts += _missing("classification ablations", "ablations")

    parts += [f"## {SECTION_TITLES['irrelevant']}", ""]
    if report.irrelevant:
        parts += [
            _table(
                ["Model", "None", "Front", "Between"],
                [
                    [
                        labels[row.run_id],
                        format_estimate(row.none),
                        format_estimate(row.front),
                        format_estimate(row.between),
                    ]
                    for row in report.irrelevant
                ],
            ),
            "",
        ]
        counts = sorted(
            {n for row in report.irrelevant for d in row.by_distracts.values() for n in d}
        )
        rows = []
        for ir_row in report.irrelevant:
            for setting in ("front", "between"):
                by_n = ir_row.by_distracts.get(setting, {})
                rows.append(
                    [
                        labels[ir_row.run_id],
                        setting,
                        *(format_estimate(by_n.get(n)) for n in counts),
                    ]
                )
        parts += [
            _table(["Model", "Irrelevant turns", *(str(n) for n in counts)], rows),
            "",
            "None: turns 1–6 of each `refinement_multi` dialogue (the same document and "
            "instructions, no irrelevant turn). Columns of the second table: number of "
            "irrelevant turns.",
            "",
        ]
    else:
        parts += _missing("irrelevant-context ablations", "ablations")

    parts += [f"## {SECTION_TITLES['per-turn']}", ""]
    turn_keys = list(dict.fromkeys(k for c in report.per_turn.values() for k in c))
    if turn_keys:
        parts += _curve_tables(report, report.per_turn, turn_keys, "Turn")
    else:
        parts += _missing("multi-turn tasks", "main")

    parts += [f"## {SECTION_TITLES['distance']}", ""]
    distance_keys = list(dict.fromkeys(k for c in report.distance.values() for k in c))
    if distance_keys:
        parts += [
            "Distance = turn position − position of the turn holding the relevant content "
            "(recollection: the instruction turn; refinement, expansion and the irrelevant-"
            "context ablations: the document turn). Follow-up is excluded.",
            "",
        ]
        parts += _curve_tables(report, report.distance, distance_keys, "Distance")
    else:
        parts += _missing("recollection, expansion or refinement tasks", "main")

    parts += [f"## {SECTION_TITLES['compare']}", ""]
    if report.comparisons:
        for comparison in report.comparisons:
            parts += [
                f"### B = {_cell(report.label(comparison.run_b))} vs "
                f"A = {_cell(report.label(comparison.run_a))}",
                "",
                comparison_markdown(comparison),
                "",
            ]
    else:
        parts += ["_One run: nothing to compare (pass two or more run ids)._", ""]

    parts += _judge_audit_markdown(report)
    parts += [f"## {SECTION_TITLES['method']}", "", *method_lines(report), ""]
    if report.notes:
        parts += ["## Notes", "", *(f"- {note}" for note in report.notes), ""]
    return "\n".join(parts)


def _judge_audit_markdown(report: Report) -> list[str]:
    """The trust panel of each audited run, then the details its lines link to."""
    parts = [f"## {SECTION_TITLES['judge-audit']}", ""]
    audited = [r for r in report.runs if r.run_id in report.audits]
    if not audited:
        return parts + [
            "_No judge audit is stored for these runs: `mteval judge-audit RUN_ID` measures "
            "how far the judged scores can be trusted (see docs/judge-audit.md)._",
            "",
        ]
    for run in audited:
        result = report.audits[run.run_id]
        parts += [
            f"### {_cell(run.label)}: judge `{result.get('judge')}` "
            f"(audit {result.get('audit_id')})",
            "",
            trust_panel_markdown(result, run_id=run.run_id),
            "",
        ]
    for run in audited:
        parts += [
            f"### Audit details: {_cell(run.label)}",
            "",
            *(
                line.replace("### ", "#### ", 1) if line.startswith("### ") else line
                for line in audit_details_markdown(report.audits[run.run_id], run_id=run.run_id)
            ),
        ]
    return parts


def _task_rows(report: Report, labels: dict[str, str]) -> list[str]:
    task_names = list(dict.fromkeys(t for r in report.runs for t in report.task_scores[r.run_id]))
    return [
        _table(
            ["Task", *(labels[r.run_id] for r in report.runs)],
            [
                [
                    name,
                    *(
                        format_estimate(report.task_scores[r.run_id].get(name))
                        + _counts(r.results.tasks.get(name))
                        for r in report.runs
                    ),
                ]
                for name in task_names
            ],
        ),
        "",
        "Cells: score [interval] (scored turns / answered turns; errors, not-run turns and judge "
        "errors are excluded from every mean).",
        "",
    ]


def _generic_sections(report: Report, labels: dict[str, str]) -> list[str]:
    """A benchmark other than MT-Eval: its score table, task scores, comparisons, method."""
    keys = list(report.headline_labels)
    parts = [
        "## Scores",
        "",
        _table(
            ["Model", *(report.headline_labels[k] for k in keys)],
            [
                [labels[row.run_id], *(format_estimate(row.estimates.get(k)) for k in keys)]
                for row in report.headline
            ],
        ),
        "",
    ]
    if report.headline_groups:
        spans, start = [], 0
        for group, span in report.headline_groups:
            heads = [report.headline_labels[k] for k in keys[start : start + span]]
            if group:
                spans.append(f"{group}: {', '.join(heads)}")
            start += span
        parts += ["Columns by group — " + "; ".join(spans) + ".", ""]
    if report.figures:
        parts += [f"Figures in `report.html`: {', '.join(t for t, _ in report.figures)}.", ""]
    parts += [f"## {SECTION_TITLES['tasks']}", "", *_task_rows(report, labels)]
    parts += [f"## {SECTION_TITLES['compare']}", ""]
    if report.comparisons:
        for comparison in report.comparisons:
            parts += [
                f"### B = {_cell(report.label(comparison.run_b))} vs "
                f"A = {_cell(report.label(comparison.run_a))}",
                "",
                comparison_markdown(comparison),
                "",
            ]
    else:
        parts += ["_One run: nothing to compare (pass two or more run ids)._", ""]
    parts += _judge_audit_markdown(report)
    parts += [f"## {SECTION_TITLES['method']}", "", *method_lines(report), ""]
    if report.notes:
        parts += ["## Notes", "", *(f"- {note}" for note in report.notes), ""]
    return parts


def _counts(result: TaskResult | None) -> str:
    return "" if result is None else f" ({result.n_scored}/{result.n_turns})"


def comparison_markdown(comparison: Comparison) -> str:
    """A paired comparison as a Markdown table (Δ = B − A, paired interval, p-value)."""
    pct = f"{comparison.confidence:.0%}"
    rows = []
    for row in comparison.rows:
        name = (
            "Avg."
            if row.scope == "average"
            else CATEGORY_LABELS.get(row.name, row.name)
            if row.scope == "category"
            else row.name
        )
        interval = (
            f"[{row.low:.2f}, {row.high:.2f}]"
            if row.low is not None and row.high is not None
            else "—"
        )
        rows.append(
            [
                row.scope,
                name,
                format_score(row.a),
                format_score(row.b),
                "—" if row.diff is None else f"{row.diff:+.2f}",
                interval,
                format_p(row.p_value),
                str(row.n_turns),
                str(row.n_dialogues),
            ]
        )
    return _table(
        ["Scope", "Name", "A", "B", "Δ (B − A)", f"{pct} CI", "p", "Turns", "Dialogues"], rows
    )


def method_lines(report: Report) -> list[str]:
    """How the report's numbers are computed, one paragraph per line."""
    pct = f"{report.confidence:.0%}"
    pooling = (
        "- Scores pool every scored turn as the benchmark does: a category pools its "
        "multi-turn, own-history tasks; Avg. is the mean of the categories present."
        if report.benchmark == "mt-eval"
        else f"- Scores pool every scored turn as {report.title}'s reference code does (its "
        "score table, stored with each run); errors are excluded from every mean."
    )
    return [
        pooling,
        f"- Intervals: {pct} percentile bootstrap over dialogues ({report.n_resamples} "
        f"replicates, seed {report.seed}). Each task's dialogues are resampled with replacement "
        "and every score (task, category, average, per-turn and per-distance points, "
        "differences) is recomputed in each replicate from the same draws.",
        "- Paired comparisons: Δ = B − A over the turns scored in both runs; p is a two-sided "
        f"sign-flip permutation test at dialogue level ({report.n_permutations} random sign "
        "patterns, or every pattern when there are few dialogues, which gives an exact p). "
        "The interval inverts the same test: it holds every difference that test does not "
        f"reject, so it excludes 0 exactly when p ≤ {1 - report.confidence:.2f} (— when the "
        "dialogues are too few to reject any difference). A percentile bootstrap is too "
        "narrow with few dialogues and could contradict the p-value.",
    ]
