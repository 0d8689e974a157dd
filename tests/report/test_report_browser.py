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

            # A leaderboard number leads to the turns behind it.
            link = page.locator("#leaderboard a.num").first
            target = link.get_attribute("href")
            link.click()
            assert page.evaluate("() => location.hash") == target
            assert page.locator(target).is_visible()

            # The injected reply is shown as text, and nothing ran.
            reply = page.locator(".reply", has_text="<script>alert('xss')</script>").first
            reply.locator("xpath=ancestor::details[1]").evaluate("d => d.open = true")
            assert reply.is_visible()
            assert "<script>alert('xss')</script>" in reply.inner_text()
            assert page.evaluate("() => document.querySelectorAll('script').length") == 0
            page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
        finally:
            browser.close()
    assert attempted == []
    assert problems == []
    assert dialogs == []
