"""The self-contained HTML report: tables, inline SVG figures and the turns behind each number.

One file, no network: CSS is inline, figures are inline SVG, and a
Content-Security-Policy forbids loading anything and running any script but
the page's own (allowed by its SHA-256). Model names and labels are data: the
Jinja2 environment autoescapes everything.

Every number links to the turns it rests on: a task's score to
``#task-<run>-<task>``, a pooled score (a category, an average) to an
anchor listing the tasks it pools, each linking to its turn table.

The turns themselves (user message, reply, reference, judgment) are the bulk
of a report: two ``--tasks all`` runs hold ~10,000 turns whose texts repeat
across runs and tasks (the same user messages and references in each run, in
the multi-turn and gold-history sets). They are stored once, as one
deduplicated string table in gzip-compressed JSON, and a small script builds
a dialogue's turn table when it is opened (or linked to). It only ever sets
``textContent``, so a reply holding ``<script>`` shows as text.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup, escape

from mteval.analysis.bootstrap import Estimate
from mteval.analysis.curves import MAIN_DISTANCE_SERIES
from mteval.analysis.tables import CLS_ABLATION_COLUMNS
from mteval.report.audit import (
    CHECK_TITLES,
    DOCS_PAGE,
    CheckTables,
    PanelRow,
    check_anchor,
    check_tables,
    trust_panel_rows,
)
from mteval.report.build import Report
from mteval.report.markdown import (
    CATEGORY_LABELS,
    SECTION_TITLES,
    format_p,
    format_score,
    method_lines,
    report_markdown,
)

if TYPE_CHECKING:
    from mteval.report.figures import Series

__all__ = ["ReportFiles", "anchor_id", "render_html", "turn_payload", "write_report"]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def anchor_id(run_id: str, task: str) -> str:
    """The id of a task's turn table in the HTML report: ``task-<run>-<task>``."""
    return f"task-{_slug(run_id)}-{_slug(task)}"


@dataclass(frozen=True)
class ReportFiles:
    """The files ``write_report`` wrote."""

    markdown: Path
    html: Path


class _Links:
    """Links from numbers to the turn tables; remembers the pooled anchors it hands out."""

    def __init__(self, report: Report) -> None:
        self.sections = {
            run_id: {s.task for s in sections} for run_id, sections in report.sections.items()
        }
        self.kinds = {
            s.task: (s.category, s.setting)
            for sections in report.sections.values()
            for s in sections
        }
        self.pools: dict[str, dict[str, tuple[str, ...]]] = {r.run_id: {} for r in report.runs}

    def href(self, run_id: str, tasks: Sequence[str]) -> str | None:
        present = [t for t in tasks if t in self.sections.get(run_id, set())]
        if not present:
            return None
        if len(present) == 1:
            return "#" + anchor_id(run_id, present[0])
        digest = hashlib.sha1("\n".join(present).encode("utf-8")).hexdigest()[:10]
        pool_id = f"pool-{_slug(run_id)}-{digest}"
        self.pools[run_id][pool_id] = tuple(present)
        return "#" + pool_id

    def cell(self, run_id: str, estimate: Estimate | None, ci: bool = True) -> Markup:
        """A score with its interval, linked to the turns behind it."""
        if estimate is None or estimate.value is None:
            return Markup('<span class="na">—</span>')
        number = escape(f"{estimate.value:.2f}")
        href = self.href(run_id, estimate.tasks)
        title = escape(f"{estimate.n_turns} scored turns in {estimate.n_dialogues} dialogues")
        text = (
            Markup('<a class="num" href="{}" title="{}">{}</a>').format(href, title, number)
            if href
            else Markup('<span class="num" title="{}">{}</span>').format(title, number)
        )
        if ci and estimate.low is not None and estimate.high is not None:
            text += Markup('<span class="ci">[{}, {}]</span>').format(
                f"{estimate.low:.2f}", f"{estimate.high:.2f}"
            )
        return text

    def task(self, run_id: str, task: str) -> str:
        return "#" + anchor_id(run_id, task)

    def pooled(self, run_id: str) -> list[tuple[str, tuple[str, ...]]]:
        return sorted(self.pools.get(run_id, {}).items())

    def pool_label(self, tasks: Sequence[str]) -> str:
        """What a pooled score is, so that a link lands on a labelled block."""
        kinds = {self.kinds[t] for t in tasks if t in self.kinds}
        categories = sorted({c for c, _ in kinds})
        settings = sorted({s for _, s in kinds})
        setting = f" ({settings[0]}-turn)" if len(settings) == 1 else ""
        if len(categories) == 1:
            return f"{CATEGORY_LABELS.get(categories[0], categories[0])}{setting}"
        names = ", ".join(CATEGORY_LABELS.get(c, c) for c in categories)
        return f"Average over {names}{setting}"


def _figures(report: Report, styles: dict[str, Series]) -> dict[str, Markup]:
    # matplotlib is imported only when figures are drawn, not with the package.
    from mteval.report.figures import (
        TASK_TITLES,
        cls_ablation_figure,
        comparison_figure,
        curves_figure,
        gold_own_figure,
        irrelevant_figure,
        leaderboard_figure,
        single_multi_figure,
    )

    figures: dict[str, str] = {}
    if report.multi_turn:
        figures["leaderboard"] = leaderboard_figure(report.multi_turn, styles)
    if report.single_multi:
        figures["single-multi"] = single_multi_figure(report.single_multi, styles)
    if report.gold_own:
        figures["gold-own"] = gold_own_figure(report.gold_own, styles)
    if report.cls_ablation:
        figures["cls-ablation"] = cls_ablation_figure(report.cls_ablation, styles)
    if report.irrelevant:
        figures["irrelevant"] = irrelevant_figure(report.irrelevant, styles)
    turn_panels = list(dict.fromkeys(k for c in report.per_turn.values() for k in c))
    if turn_panels:
        figures["per-turn"] = curves_figure(
            {r: c for r, c in report.per_turn.items() if c},
            styles,
            panels=turn_panels,
            titles=TASK_TITLES,
            xlabel="answered turn",
            title="Mean score by answered turn (95% CI bands)",
            name="fig-per-turn",
        )
    distance_panels = list(dict.fromkeys(k for c in report.distance.values() for k in c))
    if distance_panels:
        distance_panels.sort(key=lambda k: k == MAIN_DISTANCE_SERIES)
        figures["distance"] = curves_figure(
            {r: c for r, c in report.distance.items() if c},
            styles,
            panels=distance_panels,
            xlabel="distance to the relevant turn (turns)",
            title="Mean score by distance to the relevant content (95% CI bands)",
            name="fig-distance",
        )
    for i, comparison in enumerate(report.comparisons):
        figures[f"compare-{i}"] = comparison_figure(
            comparison,
            report.label(comparison.run_a),
            report.label(comparison.run_b),
            name=f"fig-compare-{i}",
        )
    for i, (_title, svg) in enumerate(report.figures):
        figures[f"benchmark-{i}"] = svg
    # Our own matplotlib output: trusted markup (its text is XML-escaped by matplotlib).
    return {key: Markup(svg) for key, svg in figures.items()}


_TURN_FIELDS = (
    "turn_index",
    "position",
    "turn_id",
    "status",
    "user",
    "response",
    "reference",
    "error",
    "score",
    "judgment_status",
    "method",
    "rationale",
    "judge_error",
)
"""The order of a turn's fields in the payload (the script reads them by position)."""

_TEXT_FIELDS = frozenset(
    {"turn_id", "user", "response", "reference", "error", "rationale", "judge_error"}
)


def turn_payload(report: Report) -> dict[str, object]:
    """The turns behind the scores, each text stored once.

    Returns:
        ``{"fields": [...], "strings": [...], "sections": {anchor: [[dialogue_id,
        [turn, ...]], ...]}}`` where a turn lists :data:`_TURN_FIELDS` in order
        and a text field is an index into ``strings`` (-1 for none).
    """
    strings: dict[str, int] = {}

    def text(value: str | None) -> int:
        if value is None:
            return -1
        index = strings.get(value)
        if index is None:
            index = strings[value] = len(strings)
        return index

    sections: dict[str, list[object]] = {}
    for run_id, run_sections in report.sections.items():
        for section in run_sections:
            sections[anchor_id(run_id, section.task)] = [
                [
                    dialogue.dialogue_id,
                    [
                        [
                            text(getattr(row, name)) if name in _TEXT_FIELDS else getattr(row, name)
                            for name in _TURN_FIELDS
                        ]
                        for row in dialogue.rows
                    ],
                ]
                for dialogue in section.dialogues
            ]
    return {"fields": list(_TURN_FIELDS), "strings": list(strings), "sections": sections}


def _packed(payload: dict[str, object]) -> str:
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # mtime=0: the same report gives the same bytes.
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


@functools.lru_cache(maxsize=1)
def _script() -> str:
    """The page's one script (read on first use, not at import)."""
    return (Path(__file__).parent / "templates" / "turns.js").read_text(encoding="utf-8")


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("mteval.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["score"] = format_score
    environment.filters["p"] = format_p
    environment.filters["utc"] = lambda t: time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))
    return environment


@dataclass(frozen=True)
class _AuditView:
    """What the template's trust panel calls (see :mod:`mteval.report.audit`)."""

    titles: Mapping[str, str] = field(default_factory=lambda: dict(CHECK_TITLES))
    docs: str = DOCS_PAGE

    @staticmethod
    def panel(result: Mapping[str, Any], run_id: str) -> list[PanelRow]:
        return trust_panel_rows(result, run_id=run_id)

    @staticmethod
    def anchor(check: str, run_id: str) -> str:
        return check_anchor(check, run_id)

    @staticmethod
    def tables(block: Mapping[str, Any]) -> CheckTables:
        return check_tables(block)


def render_html(report: Report) -> str:
    """Render the report as one self-contained HTML page."""
    from mteval.report.figures import run_styles

    styles = run_styles({r.run_id: r.label for r in report.runs})
    links = _Links(report)
    template = _environment().get_template("report.html.j2")
    script = _script()
    script_hash = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return template.render(
        turn_data=_packed(turn_payload(report)) if report.sections else "",
        script=Markup(script),
        script_hash=script_hash,
        report=report,
        styles=styles,
        figures=_figures(report, styles),
        links=links,
        titles=(
            SECTION_TITLES
            if report.benchmark == "mt-eval"
            else {
                "scores": "Scores",
                **{
                    k: SECTION_TITLES[k]
                    for k in ("tasks", "compare", "judge-audit", "method")
                    if k in SECTION_TITLES
                },
            }
        ),
        categories=CATEGORY_LABELS,
        cls_columns=list(CLS_ABLATION_COLUMNS),
        method=method_lines(report),
        generated=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(report.generated_at)),
        anchor_id=anchor_id,
        run_slug=_slug,
        audit=_AuditView(),
    )


def write_report(report: Report, out_dir: str | Path) -> ReportFiles:
    """Write ``report.md`` and ``report.html`` into ``out_dir`` (created if needed)."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    markdown_path = directory / "report.md"
    html_path = directory / "report.html"
    markdown_path.write_text(report_markdown(report), encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return ReportFiles(markdown=markdown_path, html=html_path)
