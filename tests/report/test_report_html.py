from __future__ import annotations

import re
from html.parser import HTMLParser

from _report_helpers import INJECTED

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


def test_injected_reply_is_escaped_text(written):
    html = (written / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "<b>bold</b>" not in html
    assert "rationale &lt;i&gt;1&lt;/i&gt;" in html
    assert INJECTED not in html


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

    from mteval.store import RunStore
    from mteval.tasks import GROUPS

    with RunStore(tmp_path / "main.db") as store:
        run_id = add_run(store, sources, "openai/a", list(GROUPS["main"]))
        html = render_html(build_report(store, [run_id], n_resamples=0))
    assert html.count("Not in these runs") == 4
    assert "One run: nothing to compare" in html
    assert 'id="figure-leaderboard"' in html and 'id="figure-gold-own"' not in html
