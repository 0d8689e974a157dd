"""The HTML report in a real headless Chromium: self-contained, linked, escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
)


def test_report_renders_offline_with_working_links_and_escaped_replies(written, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    attempted: list[str] = []
    problems: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})

            def route(route):
                url = route.request.url
                if url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    attempted.append(url)
                    route.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto((written / "report.html").as_uri())
            page.wait_for_load_state("load")

            assert page.locator("figure svg").count() == 8
            assert page.locator("#leaderboard table tbody tr").count() == 2
            for section in (
                "single-multi",
                "gold-own",
                "cls-ablation",
                "irrelevant",
                "per-turn",
                "distance",
                "compare",
            ):
                assert page.locator(f"#{section} table").count() >= 1, section

            missing = page.evaluate(
                """() => [...document.querySelectorAll('a[href^="#"]')]
                       .map(a => a.getAttribute('href').slice(1))
                       .filter(id => !document.getElementById(id))"""
            )
            assert missing == []

            # A leaderboard number leads to the turns behind it, to a labelled and
            # highlighted block (issue 9, finding 5).
            link = page.locator("#leaderboard a.num").first
            target = link.get_attribute("href")
            link.click()
            assert page.evaluate("() => location.hash") == target
            assert page.locator(target).is_visible()
            landed = page.evaluate(
                """id => { const e = document.getElementById(id);
                           const s = getComputedStyle(e);
                           const label = e.querySelector('.label, h4');
                           return [s.outlineStyle, s.backgroundColor,
                                   label ? label.innerText.trim() : ''] }""",
                target[1:],
            )
            assert landed[0] == "solid" and landed[1] != "rgba(0, 0, 0, 0)", landed
            assert landed[2], "the block a number leads to has no label"

            # The wide tables fit the page's column (they overflowed it).
            for section in ("single-multi", "gold-own"):
                widths = page.evaluate(
                    """s => { const w = document.querySelector('#' + s + ' .table-wrap');
                              return [w.scrollWidth, w.clientWidth] }""",
                    section,
                )
                assert widths[0] <= widths[1], (section, widths)

            # Two runs' per-turn curves are drawn side by side, not on top of each other.
            starts = page.evaluate(
                """() => [...document.querySelectorAll(
                           '#figure-per-turn g[id^="fig-per-turn-line-"]')]
                       .slice(0, 2)
                       .map(g => g.querySelector('path').getAttribute('d')
                                  .trim().split(/\\s+/)[1])"""
            )
            assert len(starts) == 2 and starts[0] != starts[1], starts

            # A dialogue's turns are rendered when it is opened or linked to.
            dialogue = page.locator("details.dialogue").first
            dialogue_id = dialogue.get_attribute("id")
            assert page.locator("table.turns").count() == 0
            page.evaluate("id => { location.hash = id }", dialogue_id)
            page.wait_for_selector(f"[id='{dialogue_id}'][open] table.turns tbody tr")

            # The injected reply is shown as text, and nothing ran.
            page.locator("details.dialogue").evaluate_all(
                "ds => ds.slice(0, 6).forEach(d => { d.open = true })"
            )
            reply = page.locator(".reply", has_text="<script>alert('xss')</script>").first
            reply.wait_for()
            assert reply.is_visible()
            assert "<script>alert('xss')</script>" in reply.inner_text()
            assert page.locator(".reply b").count() == 0
            # The page's own script only (pinned by the CSP); the turn data is not a script.
            assert (
                page.evaluate("() => document.querySelectorAll('script:not([type])').length") == 1
            )
            page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
        finally:
            browser.close()
    assert attempted == []
    assert problems == []
    assert dialogs == []
