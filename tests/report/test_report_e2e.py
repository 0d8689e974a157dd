"""`mteval run` twice, then `mteval report` and `mteval compare`, through the real CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _report_helpers import turn_data

from mteval_test_support import reference_replies, run_cli, subprocess_env

# The `report` and `compare` commands, registered on the main app if cli.py does not yet.
_CLI = (
    "from mteval.cli import app; from mteval.cli_report import register; "
    "'report' in {c.name for c in app.registered_commands} or register(app); "
    "app(prog_name='mteval')"
)


def mteval(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CLI, *args],
        cwd=cwd,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name == "href" and value:
                self.hrefs.append(value)


@pytest.mark.slow
def test_two_runs_then_report_and_compare(tmp_path, endpoint_process):
    from mteval.benchmarks.mt_eval.tasks import TASKS

    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(reference_replies(list(TASKS))), encoding="utf-8")
    endpoint = endpoint_process(
        {
            "models": {
                "judge": {"kind": "judge"},
                "echo": {"kind": "echo"},
                "replay": {
                    "kind": "replay",
                    "path": str(replies),
                    "fallback": "<script>alert(1)</script> I don't know.",
                },
            }
        }
    )
    db = tmp_path / "runs.db"
    run_ids = []
    for model in ("echo", "replay"):
        result = run_cli(
            [
                "run",
                "--model",
                f"openai/{model}",
                "--model-base-url",
                endpoint.base_url,
                "--judge",
                "openai/judge",
                "--judge-base-url",
                endpoint.base_url,
                "--tasks",
                "all",
                "--limit",
                "2",
                "--db",
                str(db),
                "--output-dir",
                str(tmp_path / model),
                "--max-connections",
                "32",
                "--no-progress",
            ],
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        run_ids.append(re.search(r"starting run (\S+)", result.stderr).group(1))

    out = tmp_path / "report"
    result = mteval("report", *run_ids, "--out", str(out), "--db", str(db), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for heading in (
        "## Multi-turn performance",
        "## Task scores",
        "## Single-turn vs multi-turn",
        "## Own vs gold dialogue history",
        "## Classification with various contexts",
        "## Irrelevant context in refinement",
        "## Per-turn scores",
        "## Score by distance to the relevant content",
        "## Paired comparisons",
    ):
        assert heading in markdown
    assert "Not in these runs" not in markdown
    assert "openai/echo" in markdown and "openai/replay" in markdown

    html = (out / "report.html").read_text(encoding="utf-8")
    page = _Ids()
    page.feed(html)
    for figure in (
        "leaderboard",
        "per-turn",
        "single-multi",
        "gold-own",
        "distance",
        "cls-ablation",
        "irrelevant",
        "compare-0",
    ):
        assert f"figure-{figure}" in page.ids
    for run_id in run_ids:
        assert f"task-{run_id}-refinement_multi" in page.ids
    assert [h for h in page.hrefs if h[1:] not in page.ids] == []
    # The reply is data (the turns travel compressed, rendered with textContent: see
    # test_report_html and the browser test), never markup.
    assert "alert(1)" not in html
    assert any("<script>alert(1)</script>" in text for text in turn_data(html)["strings"])

    result = mteval("compare", *run_ids, "--db", str(db), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Δ (B − A)" in result.stdout and "95% CI" in result.stdout
    average = next(line for line in result.stdout.splitlines() if "Avg." in line)
    assert re.search(r"[+-]\d+\.\d\d .*\[[+-]\d+\.\d\d, [+-]\d+\.\d\d\]", average)

    result = mteval("compare", run_ids[0], "nope", "--db", str(db), cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("error: no run 'nope'")
