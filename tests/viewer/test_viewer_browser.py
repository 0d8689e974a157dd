"""The viewer in a real headless Chromium, over a store written by real `mteval run`s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _viewer_helpers import ESCAPES

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

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


class Browser:
    """A Chromium page that refuses every request outside the viewer and records problems."""

    def __init__(self, playwright: Any, base: str) -> None:
        self.browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.outside: list[str] = []
        self.problems: list[str] = []
        self.dialogs: list[str] = []

        def route(route: Any) -> None:
            if route.request.url.startswith(base):
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on(
            "console", lambda m: self.problems.append(m.text) if m.type == "error" else None
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def close(self) -> None:
        self.browser.close()


@pytest.fixture
def browser(viewer: Any) -> Any:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    with sync_api.sync_playwright() as playwright:
        session = Browser(playwright, viewer.url)
        try:
            yield session
        finally:
            session.close()
        assert session.outside == []
        assert session.problems == []
        assert session.dialogs == []


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def test_runs_to_run_to_turn_to_compare(browser, viewer, real_store, artifacts):
    page = browser.page
    replay_id, echo_id = real_store.run_ids
    page.goto(viewer.url + "/")
    rows = page.locator("table.runs tbody tr")
    every = [*real_store.run_ids, *([real_store.mt_bench] if real_store.mt_bench else [])]
    assert rows.count() == len(every)
    for run_id in every:
        row = page.locator(f'tr[data-run="{run_id}"]')
        expected = real_store.results[run_id]["scores"]["average"]
        assert row.locator("td.headline").inner_text().strip() == fmt(expected)
        assert row.locator('[data-field="status"]').inner_text() == "finished"
    page.screenshot(path=str(artifacts / "runs.png"))
    if real_store.mt_bench:
        check_mt_bench_run(page, viewer, real_store, artifacts)

    # Runs list -> run: every number equals results.json.
    page.locator(f'tr[data-run="{replay_id}"] a.run-link').click()
    page.wait_for_url(f"**/run/{replay_id}")
    results = real_store.results[replay_id]
    headline = page.locator("#headline")
    for key, value in results["scores"].items():
        cell = headline.locator(f'td[data-key="{key}"] .value')
        assert cell.inner_text() == fmt(value), key
    for task, expected in results["tasks"].items():
        cells = page.locator(f'#tasks tr[data-task="{task}"] td')
        texts = [cells.nth(i).inner_text().strip() for i in range(cells.count())]
        assert texts[1].split(" ")[0] == fmt(expected["score"]), task
        assert texts[2:8] == [
            str(expected[k])
            for k in (
                "n_scored",
                "n_turns",
                "n_turn_errors",
                "n_not_run",
                "n_judge_errors",
                "n_pending",
            )
        ], task
    assert page.locator("#figure-tasks svg").count() == 1
    assert page.locator("#figure-turns svg").count() == 1
    page.screenshot(path=str(artifacts / "run.png"), full_page=True)

    # Judge errors lead to the turns behind them.
    n_judge_errors = sum(t["n_judge_errors"] for t in results["tasks"].values())
    assert n_judge_errors > 0
    page.locator("#judge-errors-link").click()
    page.wait_for_selector("#total")
    assert page.locator("#total").inner_text() == str(n_judge_errors)
    assert page.locator("tr.hit").count() == n_judge_errors
    page.screenshot(path=str(artifacts / "turns.png"))

    # A turn: the dialogue page, scrolled to it.
    page.locator("tr.hit a.turn-link").first.click()
    page.wait_for_selector("article.turn")
    target = page.evaluate("() => location.hash")
    assert target.startswith("#turn-")
    page.wait_for_selector(f"article{target}.current")
    assert page.locator(f"article{target} .error-text").first.inner_text().startswith("Judge error")
    # Every judge call behind the page's verdicts, with the judge's reply or its error.
    calls = page.locator("details.calls")
    assert calls.count() >= 1
    calls.first.evaluate("d => d.open = true")
    assert "value:" in calls.first.inner_text()
    page.screenshot(path=str(artifacts / "dialogue.png"))

    # Compare: pick both runs on the runs page.
    page.goto(viewer.url + "/")
    for run_id in real_store.run_ids:
        page.locator(f'input[value="{run_id}"]').check()
    page.locator("#compare-button").click()
    page.wait_for_selector("table.diffs")
    spreads = [
        float(t) for t in page.locator("table.diffs tbody tr td:last-child").all_inner_texts()
    ]
    assert spreads and spreads == sorted(spreads, reverse=True)
    page.screenshot(path=str(artifacts / "compare.png"))
    page.locator("a.diff-link").first.click()
    page.wait_for_selector("table.side-by-side")
    deltas = page.locator(".delta")
    assert deltas.count() >= 1
    scores = page.locator("table.side-by-side tr.turn").first.locator(".score")
    if scores.count() == 2:
        a, b = (float(scores.nth(i).get_attribute("data-score")) for i in range(2))
        assert page.locator("tr.turn").first.locator(".delta").inner_text() == f"Δ {b - a:+.2f}"
    page.screenshot(path=str(artifacts / "compare-dialogue.png"), full_page=True)


def check_mt_bench_run(page, viewer, real_store, artifacts):
    """Another benchmark's run: its own score table, counts and dialogues render."""
    run_id = real_store.mt_bench
    results = real_store.results[run_id]
    page.locator(f'tr[data-run="{run_id}"] a.run-link').click()
    page.wait_for_url(f"**/run/{run_id}")
    headline = page.locator("#headline")
    for key, value in results["scores"].items():
        assert headline.locator(f'td[data-key="{key}"] .value').inner_text() == fmt(value), key
    for task, expected in results["tasks"].items():
        cells = page.locator(f'#tasks tr[data-task="{task}"] td')
        assert cells.nth(1).inner_text().split(" ")[0] == fmt(expected["score"]), task
        assert cells.nth(2).inner_text() == str(expected["n_scored"]), task
    page.screenshot(path=str(artifacts / "mt-bench-run.png"), full_page=True)
    page.locator("#judge-errors-link").click()
    page.wait_for_selector("#total")
    n_judge_errors = sum(t["n_judge_errors"] for t in results["tasks"].values())
    assert page.locator("#total").inner_text() == str(n_judge_errors)
    if n_judge_errors:
        page.locator("tr.hit a.turn-link").first.click()
        page.wait_for_selector("article.turn")
        assert page.locator(".bubble.reply").count() >= 1
        page.screenshot(path=str(artifacts / "mt-bench-dialogue.png"))
    page.goto(viewer.url + "/")


def test_replies_render_as_text_and_nothing_runs(browser, viewer, real_store, artifacts, sources):
    from mteval.benchmarks.mt_eval.tasks import TASKS

    page = browser.page
    replay_id = real_store.run_ids[0]
    dialogue = TASKS["refinement_multi"].load(sources).dialogues[0]
    page.goto(f"{viewer.url}/run/{replay_id}/dialogue?task=refinement_multi&id={dialogue.id}")
    replies = page.locator(".bubble.reply")
    texts = replies.all_inner_texts()
    assert "<script>alert('xss')</script> plain <b>bold?</b>" in texts[0]
    assert "</textarea><textarea>broken out" in texts[1]
    assert "click me" in texts[2] and 'href="javascript:alert(2)"' in texts[2]
    assert ESCAPES[0].startswith("<script>")
    # Markdown renders; a link leaves the viewer in a new tab, without referrer or opener.
    link = replies.nth(3).locator("a")
    assert link.get_attribute("href") == "https://example.com/page"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    assert replies.nth(3).locator("strong").inner_text() == "safe"
    # The 1 MB reply is there in full, as text.
    big = replies.nth(4).inner_text()
    assert len(big) >= 1_000_000 and big.rstrip().endswith("<script>END</script>")
    # Nothing injected became an element: one script (the viewer's), no textarea, no
    # javascript: link, no bold from a reply.
    assert page.evaluate("() => document.querySelectorAll('script').length") == 1
    assert page.locator("textarea").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert page.locator(".bubble.reply b").count() == 0
    page.screenshot(path=str(artifacts / "escaping.png"))


def test_j_and_k_move_between_turns_and_n_opens_the_next_dialogue(browser, viewer, real_store):
    page = browser.page
    replay_id = real_store.run_ids[0]
    page.goto(f"{viewer.url}/run/{replay_id}/turns?task=recollection_multi_cls")
    page.locator("a.turn-link").first.click()
    page.wait_for_load_state("load")
    page.goto(page.url.split("#")[0])  # no turn chosen yet: j picks the first
    turns = page.locator("article.turn")
    assert turns.count() >= 3
    ids = [turns.nth(i).get_attribute("id") for i in range(3)]
    first_dialogue = page.url.split("#")[0]
    page.keyboard.press("j")
    assert page.evaluate("() => location.hash") == f"#{ids[0]}"
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("() => location.hash") == f"#{ids[2]}"
    assert page.locator("article.turn.current").get_attribute("id") == ids[2]
    page.keyboard.press("k")
    assert page.locator("article.turn.current").get_attribute("id") == ids[1]
    page.keyboard.press("n")
    page.wait_for_url(lambda url: url.split("#")[0] != first_dialogue)
    page.wait_for_load_state("load")
    page.keyboard.press("p")
    page.wait_for_url(lambda url: url.split("#")[0] == first_dialogue)


def test_search_filters_and_pages(browser, viewer, real_store):
    page = browser.page
    echo_id = real_store.run_ids[1]
    results = real_store.results[echo_id]
    page.goto(f"{viewer.url}/run/{echo_id}/turns")
    total = sum(
        t["n_scored"] + t["n_turn_errors"] + t["n_not_run"] + t["n_judge_errors"]
        for t in results["tasks"].values()
    )
    assert page.locator("#total").inner_text() == str(total)
    page.select_option("select[name=task]", "refinement_multi")
    page.select_option("select[name=outcome]", "not_run")
    page.locator("form.filters button").click()
    page.wait_for_url("**outcome=not_run**")
    expected = results["tasks"]["refinement_multi"]["n_not_run"]
    assert page.locator("#total").inner_text() == str(expected)
    page.goto(f"{viewer.url}/run/{echo_id}/turns?min=7&max=10&outcome=scored")
    for text in page.locator("tr.hit td:nth-child(5)").all_inner_texts():
        assert 7 <= float(text) <= 10
    if int(page.locator("#total").inner_text()) > 50:
        page.locator('.pager a[rel="next"]').click()
        page.wait_for_url("**page=2**")
