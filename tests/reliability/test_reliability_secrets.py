"""Secrets and safety: API keys never leave the environment; replies are data.

Keys are planted in the environment of real ``mteval`` processes that run, fail on
purpose (HTTP 401, faults, exhausted retries), list, show, export and report. Then
every file the test's work folder holds (the store with its WAL, results, exports,
reports and the captured output) is searched for the keys, the store value by value
with its compressed request blobs inflated.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from _reliability_helpers import env_with, files_under, read_results, sqlite_texts

from mteval.testing import JUDGE_FAULTS, TRANSIENT_FAULTS

from mteval_test_support import EndpointProcess, report_turn_data, run_cli


def _report_available(cwd: Path) -> tuple[bool, str]:
    result = run_cli(["report", "--help"], cwd=cwd)
    return result.returncode == 0, result.stdout


def _report_args(run_id: str, db: Path, out: Path, help_text: str) -> list[str]:
    args = ["report", run_id, "--db", str(db), "--out", str(out)]
    if "--resamples" in help_text:
        args += ["--resamples", "0"]
    return args


class Recorder:
    """Runs CLI commands, keeping their output as files in the searched folder."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.work = work
        self.env = env
        self.calls = 0

    def __call__(self, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
        result = run_cli(args, cwd=self.work, env={**self.env, **env})
        self.calls += 1
        (self.work / f"call-{self.calls}.stdout").write_text(result.stdout, encoding="utf-8")
        (self.work / f"call-{self.calls}.stderr").write_text(result.stderr, encoding="utf-8")
        return result


def test_api_keys_never_reach_the_store_outputs_or_messages(tmp_path: Path, figures: Any) -> None:
    openai_key = f"sk-planted-{uuid.uuid4().hex}"
    # Not shaped like an OpenAI key, so no redaction pattern could hide a leak of it.
    model_key = f"planted{uuid.uuid4().hex}"
    wrong_key = f"sk-planted-wrong-{uuid.uuid4().hex}"
    keys = {"OPENAI_API_KEY": openai_key, "MY_MODEL_KEY": model_key, "wrong": wrong_key}

    # The endpoints' own config files hold the keys: they live outside the searched folder.
    endpoints_dir = tmp_path / "endpoints"
    faults = {
        "p": 0.35,
        "seed": 11,
        "kinds": [k for k in (*TRANSIENT_FAULTS, *JUDGE_FAULTS) if k != "hang"],
        "max_consecutive": 3,
        "retry_after_s": 0,
        "hang_s": 30,
    }
    model_endpoint = EndpointProcess(
        {"models": {"echo": {"kind": "echo"}}, "api_key": model_key, "faults": faults},
        endpoints_dir / "model",
    )
    judge_endpoint = EndpointProcess(
        {"models": {"judge": {"kind": "judge"}}, "api_key": openai_key, "faults": faults},
        endpoints_dir / "judge",
    )
    work = tmp_path / "work"
    work.mkdir()
    env = env_with(
        OPENAI_API_KEY=openai_key,
        MY_MODEL_KEY=model_key,
        XDG_CACHE_HOME=str(work / "xdg-cache"),
    )
    cli = Recorder(work, env)
    db = work / "mteval.db"
    try:
        run_args = [
            "run",
            "--model",
            "openai/echo",
            "--model-base-url",
            model_endpoint.base_url,
            "--model-api-key-env",
            "MY_MODEL_KEY",
            "--judge",
            "openai/judge",
            "--judge-base-url",
            judge_endpoint.base_url,
            "--tasks",
            "expansion_multi,recollection_multi_cls",
            "--limit",
            "2",
            "--db",
            str(db),
            "--max-attempts",
            "2",
            "--retry-base-delay",
            "0.01",
            "--timeout",
            "1",
            "--no-progress",
        ]
        faulty = cli([*run_args, "--output-dir", str(work / "out")])
        assert faulty.returncode == 3, faulty.stderr  # some turns failed: exit 3
        data = read_results(work / "out")
        run_id = data["run_id"]
        counts = [
            data["tasks"][t][k] for t in data["tasks"] for k in ("n_turn_errors", "n_judge_errors")
        ]
        assert sum(counts) > 0, "the faults should leave some error records to search"
        # Rerun (retries what failed) with the default output folder.
        assert cli(run_args).returncode in (0, 3)

        rejected = cli(run_args, MY_MODEL_KEY=wrong_key)
        assert rejected.returncode == 2 and "rejected the API key (HTTP 401)" in rejected.stderr

        for args in (
            ["runs", "--db", str(db)],
            ["show", run_id, "--db", str(db)],
            ["show", run_id, "--db", str(db), "--json"],
            ["export", run_id, "--db", str(db), "--format", "jsonl"],
            ["export", run_id, "--db", str(db), "--format", "csv", "--out", str(work / "t.csv")],
        ):
            result = cli(args)
            assert result.returncode == 0, (args, result.stderr)
        available, help_text = _report_available(work)
        if available:
            report = cli(_report_args(run_id, db, work / "report", help_text))
            assert report.returncode == 0, report.stderr
        stats = [model_endpoint.stats(), judge_endpoint.stats()]
    finally:
        model_endpoint.stop()
        judge_endpoint.stop()
    # The keys were really used: both endpoints answered requests that carried them.
    assert all(s["successes"] > 0 for s in stats)

    searched = files_under(work)
    assert any(p.name == "mteval.db" for p in searched)
    leaks = []
    for path in searched:
        blob = path.read_bytes()
        for name, key in keys.items():
            if key.encode() in blob:
                leaks.append(f"{name} in {path.relative_to(tmp_path)}")
    for path in [p for p in searched if p.suffix == ".db"]:
        for value in sqlite_texts(path):
            for name, key in keys.items():
                if key.encode() in value:
                    leaks.append(f"{name} in a value of {path.name}")
    assert not leaks, leaks
    # The search does see the store's contents: the key's variable name is recorded.
    assert any(b"MY_MODEL_KEY" in value for value in sqlite_texts(db))
    for endpoint_stats in stats:
        for kind, n in endpoint_stats["by_fault"].items():
            figures.add("faults_injected", kind, n)
    figures.put("secrets", "files_searched", len(searched))
    figures.put("secrets", "commands_run", cli.calls)
    figures.put("secrets", "report_included", available)
    figures.put("secrets", "keys_found", len(leaks))


def test_a_reply_holding_a_script_renders_as_text_in_the_html_report(
    tmp_path: Path, endpoint_process: Any
) -> None:
    available, help_text = _report_available(tmp_path)
    if not available:
        pytest.skip("`mteval report` does not exist yet")
    payload = "<script>alert(1)</script>"
    endpoint = endpoint_process(
        {"models": {"m": {"kind": "fixed", "text": f"Sure. {payload}"}, "judge": {"kind": "judge"}}}
    )
    db = tmp_path / "x.db"
    ran = run_cli(
        [
            "run",
            "--model",
            "openai/m",
            "--model-base-url",
            endpoint.base_url,
            "--judge",
            "openai/judge",
            "--judge-base-url",
            endpoint.base_url,
            "--tasks",
            "expansion_multi",
            "--limit",
            "1",
            "--db",
            str(db),
            "--output-dir",
            str(tmp_path / "out"),
            "--no-progress",
        ],
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    run_id = read_results(tmp_path / "out")["run_id"]
    report = run_cli(_report_args(run_id, db, tmp_path / "report", help_text), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    html = next((tmp_path / "report").glob("*.html")).read_text(encoding="utf-8")
    assert payload not in html
    # The reply is data that the page renders with textContent (issue 9 moved the turns
    # into one compressed block; tests/report/test_report_browser.py shows it as text).
    assert any(payload in text for text in report_turn_data(html)["strings"])
