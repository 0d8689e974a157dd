from __future__ import annotations

import re
from html.parser import HTMLParser

from _report_helpers import INJECTED, turn_data

from mteval.report import anchor_id, build_report, render_html


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name == "href" and value:
                self.hrefs.append(value)
            if name in ("src", "xlink:href", "action", "srcset") and value:
                self.sources.append(value)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_every_internal_link_has_a_target(written):
    page = parse((written / "report.html").read_text(encoding="utf-8"))
    internal = [h for h in page.hrefs if h.startswith("#")]
    assert len(internal) > 100
    missing = sorted({h for h in internal if h[1:] not in page.ids})
    assert missing == []


def test_every_task_of_every_run_has_a_turn_table(full_report, written):
    page = parse((written / "report.html").read_text(encoding="utf-8"))
    for entry in full_report.runs:
        for task in entry.results.tasks:
            assert anchor_id(entry.run_id, task) in page.ids


def test_injected_reply_is_data_never_markup(written):
    # Issue 9 (finding 5) moved the turns out of the markup into one compressed data
    # block that the page's own script renders with textContent (the browser test shows
    # the reply as text). What must hold: the reply never reaches the page as markup,
    # and the only script that can run is mteval's, pinned by its hash in the CSP.
    import base64
    import hashlib

    html = (written / "report.html").read_text(encoding="utf-8")
    assert INJECTED not in html and "<b>bold</b>" not in html
    assert "alert(" not in html
    data = turn_data(html)
    assert INJECTED in data["strings"] and "rationale <i>1</i>" in data["strings"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [attrs for attrs, _ in scripts] == [
        ' type="application/octet-stream" id="turn-data"',
        "",
    ]
    digest = base64.b64encode(hashlib.sha256(scripts[1][1].encode("utf-8")).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    assert f"script-src 'sha256-{digest}'" in csp.group(1)
    assert "unsafe-inline" not in csp.group(1).split("script-src", 1)[1]
    assert ".innerHTML" not in scripts[1][1] and "eval(" not in scripts[1][1]


def test_page_is_self_contained(written):
    html = (written / "report.html").read_text(encoding="utf-8")
    page = parse(html)
    assert page.sources == [] or all(s.startswith(("#", "data:")) for s in page.sources)
    assert all(h.startswith("#") for h in page.hrefs)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"url\(\s*['\"]?https?:", html)
    assert "<link" not in html and "@import" not in html


def test_figures_and_sections_are_present(written):
    page = parse((written / "report.html").read_text(encoding="utf-8"))
    for section in (
        "leaderboard",
        "tasks",
        "single-multi",
        "gold-own",
        "cls-ablation",
        "irrelevant",
        "per-turn",
        "distance",
        "compare",
        "method",
        "turns",
    ):
        assert section in page.ids
    for figure in (
        "leaderboard",
        "single-multi",
        "gold-own",
        "cls-ablation",
        "irrelevant",
        "per-turn",
        "distance",
        "compare-0",
    ):
        assert f"figure-{figure}" in page.ids
    assert page.tags.count("svg") == 8


def test_one_run_without_optional_settings_renders_with_notes(tmp_path, sources):
    from _report_helpers import add_run

    from mteval.benchmarks.mt_eval.tasks import GROUPS
    from mteval.store import RunStore

    with RunStore(tmp_path / "main.db") as store:
        run_id = add_run(store, sources, "openai/a", list(GROUPS["main"]))
        html = render_html(build_report(store, [run_id], n_resamples=0))
    assert html.count("Not in these runs") == 4
    assert "One run: nothing to compare" in html
    assert 'id="figure-leaderboard"' in html and 'id="figure-gold-own"' not in html


# -- issue 9, finding 5: two full runs make a small page -------------------------------------


def test_two_full_runs_make_a_page_under_3_mb_that_still_links_every_turn(
    tmp_path_factory, sources
):
    from _report_helpers import add_run

    from mteval.benchmarks.mt_eval.tasks import TASKS
    from mteval.report import write_report
    from mteval.store import RunStore

    root = tmp_path_factory.mktemp("full-runs")
    with RunStore(root / "runs.db") as store:
        ids = [
            add_run(store, sources, "openai/a", list(TASKS), limit=10**6, inject=True),
            add_run(store, sources, "openai/b", list(TASKS), limit=10**6),
        ]
        report = build_report(store, ids, sources=sources, n_resamples=20, n_permutations=100)
    files = write_report(report, root / "out")
    html = files.html.read_text(encoding="utf-8")
    size = files.html.stat().st_size
    assert size < 3_000_000, f"report.html is {size / 1e6:.1f} MB"
    # Every answered turn of both runs is still in the page, once per run and task ...
    data = turn_data(html)
    expected = sum(
        len(d.rows) for sections in report.sections.values() for s in sections for d in s.dialogues
    )
    carried = sum(len(turns) for dialogues in data["sections"].values() for _, turns in dialogues)
    assert carried == expected > 9000
    # ... with its texts (the user message of a turn appears in both runs and several tasks,
    # stored once).
    assert len(data["strings"]) == len(set(data["strings"]))
    page = parse(html)
    for sections in report.sections.values():
        for section in sections:
            assert anchor_id(section.run_id, section.task) in page.ids
    internal = [h for h in page.hrefs if h.startswith("#")]
    assert sorted({h for h in internal if h[1:] not in page.ids}) == []
