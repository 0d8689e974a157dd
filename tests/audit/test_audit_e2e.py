"""The judge audit end to end: real HTTP to scripted judges, a real SQLite store.

Each scripted judge (``mteval.testing.judges``) has known properties; the
audit must recover them: the figure's interval covers the known value, or the
figure equals it exactly where the judge is deterministic.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mteval.analysis.audit_stats import checker_agreement, rank_flip_probability
from mteval.audit import CANARY_SIZE, AuditOptions, audit_async
from mteval.benchmarks.mt_eval.tasks.audit import FOLLOWS_THRESHOLD
from mteval.config import EndpointSettings
from mteval.pipeline import evaluate_async
from mteval.report.audit import check_anchor
from mteval.store import RunStore
from mteval.testing import EndpointConfig, MockEndpoint
from mteval.testing.judges import (
    BASE_SCORES,
    base_score,
    consistent_judge,
    length_judge,
    noisy_judge,
    offset_judge,
    position_judge,
    replies_in,
    tagged_model,
)
from mteval.types import GenerateConfig

from mteval_test_support import run_cli

TASKS = [
    "recollection_multi_global-inst",
    "expansion_multi",
    "refinement_multi",
    "follow-up_multi",
]
NOISE_SD = math.sqrt(2 / 3)  # noisy_judge's default noise: -1, 0, +1 equally often
REPEATS = 4
P_FIRST = 0.3  # position_judge's pull toward the answer shown first


def within(value: float, block: dict[str, Any], name: str) -> bool:
    low, high = block[f"{name}_ci"]
    return low <= value <= high


@pytest.fixture(scope="module")
def endpoint() -> Iterator[MockEndpoint]:
    config = EndpointConfig(
        models={
            "model": tagged_model(),
            "model2": tagged_model(min_words=20, max_words=60),
            "noisy": noisy_judge(),
            "steady": consistent_judge(),
            "plus1": offset_judge(1),
            "long": length_judge(),
            "steady2": consistent_judge(),
            "pair": position_judge(P_FIRST),
        }
    )
    with MockEndpoint(config) as ep:
        yield ep


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audit")


def run_with(
    endpoint: MockEndpoint, db: Path, judge: str, *, limit: int = 6, model: str = "model"
) -> str:
    results = asyncio.run(
        evaluate_async(
            model=f"openai/{model}",
            judge=f"openai/{judge}",
            tasks=TASKS,
            model_base_url=endpoint.base_url,
            judge_base_url=endpoint.base_url,
            limit=limit,
            db_path=db,
        )
    )
    return results.run_id


def audit_of(db: Path, run_id: str, **options: Any) -> dict[str, Any]:
    options.setdefault("n_resamples", 300)
    return asyncio.run(audit_async(run_id, db_path=db, options=AuditOptions(**options)))


def second_judge(endpoint: MockEndpoint, name: str) -> EndpointSettings:
    return EndpointSettings(
        spec=f"openai/{name}",
        base_url=endpoint.base_url,
        generate=GenerateConfig(temperature=0.0, max_tokens=1024),
    )


@pytest.fixture(scope="module")
def noisy_audit(endpoint: MockEndpoint, store_dir: Path) -> dict[str, Any]:
    db = store_dir / "noisy.db"
    run_id = run_with(endpoint, db, "noisy")
    return audit_of(db, run_id, repeats=REPEATS, sample=120)


@pytest.fixture(scope="module")
def steady_run(endpoint: MockEndpoint, store_dir: Path) -> tuple[Path, str]:
    db = store_dir / "steady.db"
    return db, run_with(endpoint, db, "steady")


@pytest.fixture(scope="module")
def steady_audit(endpoint: MockEndpoint, steady_run: tuple[Path, str]) -> dict[str, Any]:
    db, run_id = steady_run
    return audit_of(db, run_id, repeats=REPEATS, sample=500, judge2=second_judge(endpoint, "plus1"))


def test_noisy_judge_noise_is_recovered_within_its_interval(noisy_audit: dict[str, Any]) -> None:
    block = noisy_audit["checks"]["self_consistency"]
    overall = block["overall"]
    assert block["status"] == "done"
    assert overall["repeats"] == REPEATS and overall["n_turns"] > 40
    assert within(NOISE_SD, overall, "within_turn_sd")
    assert within(1 - 3 / 3**REPEATS, overall, "changed_share")
    base_variance = float(np.var(BASE_SCORES))
    assert within(base_variance / (base_variance + NOISE_SD**2), overall, "icc")
    assert overall["judge_noise_share"] > 0


def test_noisy_judge_per_task_figures_and_rank_flips(noisy_audit: dict[str, Any]) -> None:
    per_task = noisy_audit["checks"]["self_consistency"]["per_task"]
    assert set(per_task) == {"expansion_multi", "refinement_multi", "follow-up_multi"}
    for figures in per_task.values():
        assert figures["within_turn_sd"] > 0.4
        assert 0 < figures["judge_noise_share"] <= 1
        assert figures["resolvable_gap"] > 0
        flips = figures["rank_flip_probability"]
        assert 0 < flips["0.5"] < flips["0.25"] < flips["0.1"] < 0.5


def test_a_perfectly_consistent_judge_reports_zero_noise(steady_audit: dict[str, Any]) -> None:
    block = steady_audit["checks"]["self_consistency"]
    overall = block["overall"]
    assert overall["within_turn_sd"] == 0.0 and overall["within_turn_sd_ci"] == [0.0, 0.0]
    assert overall["changed_share"] == 0.0
    assert overall["icc"] == pytest.approx(1.0)
    assert overall["judge_noise_share"] == 0.0
    for figures in block["per_task"].values():
        assert figures["resolvable_gap"] == 0.0
        assert figures["rank_flip_probability"]["0.1"] == 0.0
    assert block["verdict"] == "ok"


def test_second_judge_with_a_known_offset(steady_audit: dict[str, Any]) -> None:
    block = steady_audit["checks"]["judge_agreement"]
    overall = block["overall"]
    assert overall["mean_offset"] == pytest.approx(1.0)
    assert overall["pearson"] == pytest.approx(1.0)
    assert overall["spearman"] == pytest.approx(1.0)
    assert 0 < overall["weighted_kappa"] < 1 and 0 < overall["krippendorff_alpha"] < 1
    assert overall["task_ranking_changes"] is False
    for figures in block["per_task"].values():
        assert figures["mean_offset"] == pytest.approx(1.0)
    assert steady_audit["judge2"] == "openai/plus1"


def test_checker_agreement_matches_the_judges_known_verdicts(
    steady_audit: dict[str, Any], steady_run: tuple[Path, str]
) -> None:
    db, run_id = steady_run
    with RunStore(db) as store:
        responses = {
            (t.dialogue_id, t.position): t.response
            for t in store.turns(run_id, "recollection_multi_global-inst")
        }
        checked = [
            (base_score(replies_in(responses[(j.dialogue_id, j.position)] or "")[-1]), j.score)
            for j in store.judgments(run_id, "recollection_multi_global-inst")
            if j.status == "scored"
        ]
    expected = checker_agreement(
        [s >= FOLLOWS_THRESHOLD for s, _ in checked], [(c or 0) > 0 for _, c in checked]
    )
    overall = steady_audit["checks"]["checker_agreement"]["overall"]
    assert overall["n_turns"] == expected.n_turns == len(checked) > 0
    assert overall["agreement"] == pytest.approx(expected.agreement)
    if expected.precision is not None:
        assert overall["precision"] == pytest.approx(expected.precision)
    if expected.recall is not None:
        assert overall["recall"] == pytest.approx(expected.recall)


def test_history_blind_judge_shows_no_history_shift(steady_audit: dict[str, Any]) -> None:
    block = steady_audit["checks"]["history_sensitivity"]
    assert set(block["per_task"]) == {"refinement_multi", "follow-up_multi"}
    assert block["overall"]["mean_shift"] == 0.0
    assert block["overall"]["mean_abs_shift"] == 0.0


def test_length_bias_of_a_length_judge_and_of_a_length_blind_one(
    endpoint: MockEndpoint, store_dir: Path, steady_audit: dict[str, Any]
) -> None:
    db = store_dir / "long.db"
    run_id = run_with(endpoint, db, "long")
    result = audit_of(db, run_id, checks=("length_bias",))
    assert result["requests"]["judge"]["requests"] == 0
    biased = result["checks"]["length_bias"]
    assert biased["overall"]["score_length_spearman"] > 0.9
    assert biased["verdict"] == "bad"
    blind = steady_audit["checks"]["length_bias"]["overall"]
    assert within(0.0, blind, "score_length_spearman")


def test_position_bias_needs_a_second_run(steady_audit: dict[str, Any]) -> None:
    block = steady_audit["checks"]["position_bias"]
    assert block["status"] == "skipped" and "pairwise" in block["reason"]


def test_position_biased_judge_is_recovered_within_its_interval(
    endpoint: MockEndpoint, store_dir: Path
) -> None:
    db = store_dir / "pair.db"
    mine = run_with(endpoint, db, "pair", limit=10)
    other = run_with(endpoint, db, "pair", limit=10, model="model2")
    result = audit_of(db, mine, sample=150, others=(other,), checks=("position_bias",))
    block = result["checks"]["position_bias"]
    overall = block["overall"]
    assert block["status"] == "done" and overall["against_run"] == other
    assert overall["n_pairs"] == overall["n_turns"] > 100
    assert within(1 - P_FIRST, overall, "consistency_rate")
    assert within((1 + P_FIRST) / 2, overall, "first_position_win_share")
    # Two judge requests per pair (an identical prompt, asked twice, is one request).
    sent = result["requests"]["judge"]
    assert 0 < sent["requests"] <= 2 * overall["n_turns"]
    ratios = overall["by_length_ratio"]
    assert sum(b["n_verdicts"] for b in ratios.values()) == 2 * overall["n_pairs"]
    assert block["verdict"] == "bad"  # 70% consistent is below the 75% limit


def test_an_audit_repeated_is_answered_from_the_cache(steady_run: tuple[Path, str]) -> None:
    db, run_id = steady_run
    # A temperature of its own, so that no earlier audit's request is in the cache.
    options = dict(repeats=2, sample=20, temperature=0.7, checks=("self_consistency",))
    first = audit_of(db, run_id, **options)
    again = audit_of(db, run_id, **options)
    assert first["requests"]["judge"]["requests"] > 0
    assert again["requests"]["judge"]["requests"] == 0
    assert again["checks"] == first["checks"]


def test_canaries_flag_a_judge_that_moved(endpoint: MockEndpoint, store_dir: Path) -> None:
    db = store_dir / "canary.db"
    run_id = run_with(endpoint, db, "steady2", limit=20)
    baseline = audit_of(db, run_id, canary=True, checks=("self_consistency", "canary"))
    block = baseline["checks"]["canary"]["overall"]
    assert block["n_turns"] == CANARY_SIZE and block["previous_result_id"] is None
    same = audit_of(db, run_id, canary=True, checks=("canary",))["checks"]["canary"]
    assert same["overall"]["mean_shift"] == 0.0 and same["overall"]["drifted"] is False
    assert same["verdict"] == "ok"
    endpoint.set_config(
        endpoint.config.model_copy(
            update={"models": {**endpoint.config.models, "steady2": offset_judge(1)}}
        )
    )
    moved = audit_of(db, run_id, canary=True, checks=("canary",))["checks"]["canary"]
    assert moved["overall"]["mean_shift"] == pytest.approx(1.0)
    assert moved["overall"]["drifted"] is True and moved["verdict"] == "bad"
    with RunStore(db) as store:
        assert (
            len(
                store.canary_results("mt-eval-canaries-v1", f"openai/steady2 @ {endpoint.base_url}")
            )
            == 3
        )


def test_cli_judge_audit_prints_request_counts_and_writes_both_files(
    endpoint: MockEndpoint, steady_run: tuple[Path, str], tmp_path: Path
) -> None:
    db, run_id = steady_run
    out = tmp_path / "audit"
    args = ["judge-audit", run_id, "--db", str(db), "--output-dir", str(out)]
    args += ["--repeats", "2", "--sample", "12", "--resamples", "100"]
    args += ["--judge2", "openai/plus1", "--judge2-base-url", endpoint.base_url]
    done = run_cli(args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "self_consistency: 24 judge requests" in done.stderr
    assert "judge_agreement: 12 judge requests" in done.stderr
    assert "length_bias: no judge requests" in done.stderr
    assert "Can judge openai/steady be trusted?" in done.stdout
    result = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert result["run_id"] == run_id
    checks = result["checks"]
    for name in ("within_turn_sd", "changed_share", "icc", "n_turns", "repeats"):
        assert name in checks["self_consistency"]["overall"]
    for name in ("pearson", "spearman", "weighted_kappa", "krippendorff_alpha", "mean_offset"):
        assert name in checks["judge_agreement"]["overall"]
        assert name in next(iter(checks["judge_agreement"]["per_task"].values()))
    for name in ("agreement", "precision", "recall"):
        assert name in checks["checker_agreement"]["overall"]
    markdown = (out / "audit.md").read_text(encoding="utf-8")
    assert "## Can this judge be trusted?" in markdown
    assert '<a id="audit-self-consistency"></a>' in markdown
    assert "(#audit-judge-agreement)" in markdown


def test_cli_judge_audit_refuses_an_unknown_run_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    RunStore(db).close()
    done = run_cli(["judge-audit", "nope", "--db", str(db)], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: no run 'nope'")
    assert len(done.stderr.strip().splitlines()) == 1


def test_report_shows_the_trust_panel_with_a_verdict_and_details_per_check(
    steady_run: tuple[Path, str], steady_audit: dict[str, Any], tmp_path: Path
) -> None:
    db, run_id = steady_run
    out = tmp_path / "report"
    done = run_cli(
        ["report", run_id, "--db", str(db), "--out", str(out), "--resamples", "50"], cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "## Can this judge be trusted?" in markdown
    latest = RunStore(db)
    try:
        result = latest.audits(run_id)[0]
    finally:
        latest.close()
    for check, block in result["checks"].items():
        anchor = check_anchor(check, run_id)
        panel_line = next(line for line in markdown.splitlines() if f"(#{anchor})" in line)
        assert block["verdict"] in panel_line
        assert f'<a id="{anchor}"></a>' in markdown
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="judge-audit"' in html

    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto((out / "report.html").as_uri())
            rows = page.locator("table.trust-panel tbody tr")
            assert rows.count() == len(result["checks"])
            verdicts = page.locator("table.trust-panel td.verdict").all_inner_texts()
            assert verdicts == [b["verdict"] for b in result["checks"].values()]
            missing = page.evaluate(
                """() => [...document.querySelectorAll('a[href^="#"]')]
                       .map(a => a.getAttribute('href').slice(1))
                       .filter(id => !document.getElementById(id))"""
            )
            assert missing == []
            link = page.locator("table.trust-panel a", has_text="details").first
            target = link.get_attribute("href")
            assert target is not None
            link.click()
            assert page.evaluate("() => location.hash") == target
            assert page.locator(f"{target} summary").is_visible()
        finally:
            browser.close()


def test_a_store_without_audit_tables_reads_as_having_no_audits(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "old.db"
    RunStore(db).close()
    with sqlite3.connect(db) as connection:  # a store written before the audit tables
        for table in ("audits", "canary_sets", "canary_results"):
            connection.execute(f"DROP TABLE {table}")
    with RunStore(db, read_only=True) as store:
        assert store.audits("any") == []
        assert store.canary_set("mt-eval-canaries-v1") is None
        assert store.canary_results("mt-eval-canaries-v1", "judge") == []


def test_cli_run_with_canary_judges_the_canaries_after_the_run(
    endpoint: MockEndpoint, tmp_path: Path
) -> None:
    db = tmp_path / "run.db"
    args = ["run", "--model", "openai/model", "--model-base-url", endpoint.base_url]
    args += ["--judge", "openai/steady", "--judge-base-url", endpoint.base_url]
    args += ["--tasks", "expansion_multi", "--limit", "10", "--db", str(db)]
    args += ["--output-dir", str(tmp_path / "out"), "--no-progress", "--canary"]
    done = run_cli(args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Drift canaries" in done.stdout
    with RunStore(db) as store:
        (run,) = store.list_runs()
        (result,) = store.audits(run.run_id)
        assert list(result["checks"]) == ["canary"]
        assert result["checks"]["canary"]["overall"]["n_turns"] == CANARY_SIZE
        judge = f"openai/steady @ {endpoint.base_url}"
        assert len(store.canary_results("mt-eval-canaries-v1", judge)) == 1


def test_other_runs_get_rank_flip_odds_and_a_second_judge_ranking(
    endpoint: MockEndpoint, steady_run: tuple[Path, str]
) -> None:
    db, run_id = steady_run
    other = run_with(endpoint, db, "steady", model="model2")
    result = audit_of(
        db,
        run_id,
        repeats=2,
        sample=30,
        others=(other,),
        judge2=second_judge(endpoint, "plus1"),
        checks=("self_consistency", "judge_agreement"),
    )
    assert result["others"] == [{"run_id": other, "judge": "openai/steady", "same_judge": True}]
    with RunStore(db) as store:
        mine = [j.score for j in store.judgments(run_id) if j.method == "judge"]
        theirs = [j.score for j in store.judgments(other) if j.method == "judge"]
    flips = result["checks"]["self_consistency"]["overall"]["rank_flips"][other]
    assert flips["gap"] == pytest.approx(np.mean(theirs) - np.mean(mine), abs=1e-6)
    assert flips["flip_probability"] == 0.0  # a noiseless judge never flips a real gap
    ranking = result["checks"]["judge_agreement"]["overall"]["run_ranking"]
    assert set(ranking["means"]) == {run_id, other}
    for first, second in ranking["means"].values():
        assert second == pytest.approx(first + 1)  # the second judge's offset
    assert ranking["changes"] is False and ranking["judge"] == ranking["judge2"]


def test_rank_flip_odds_of_a_noisy_judge_follow_its_noise(
    endpoint: MockEndpoint, store_dir: Path
) -> None:
    db = store_dir / "noisy-pair.db"
    mine = run_with(endpoint, db, "noisy")
    other = run_with(endpoint, db, "noisy", model="model2")
    result = audit_of(
        db, mine, repeats=REPEATS, sample=120, others=(other,), checks=("self_consistency",)
    )
    block = result["checks"]["self_consistency"]
    flips = block["overall"]["rank_flips"][other]
    n_mine = sum(b["run_n_turns"] for b in block["per_task"].values())
    expected = rank_flip_probability(gap=flips["gap"], noise_sd=NOISE_SD, n_a=n_mine, n_b=n_mine)
    low, high = (
        rank_flip_probability(gap=flips["gap"], noise_sd=sd, n_a=n_mine, n_b=n_mine)
        for sd in block["overall"]["within_turn_sd_ci"]
    )
    assert low <= expected <= high
    assert low <= flips["flip_probability"] <= high


def test_every_audit_judge_call_is_stored_with_its_check_and_label(
    steady_run: tuple[Path, str], steady_audit: dict[str, Any]
) -> None:
    db, _ = steady_run
    with RunStore(db) as store:
        calls = store.audit_calls(steady_audit["audit_id"])
        repeats = store.audit_calls(steady_audit["audit_id"], "self_consistency")
        completions = {c[3].judge_key for c in calls}
        assert all(store.request(key) is not None for key in completions)
    checks = steady_audit["checks"]
    n_turns = checks["self_consistency"]["overall"]["n_turns"]
    assert len(repeats) == n_turns * REPEATS
    assert {call.label for *_, call in repeats} == {f"repeat-{r}" for r in range(REPEATS)}
    by_item: dict[str, list[float]] = {}
    for role, _, item, call in repeats:
        assert role == "judge" and call.error is None and call.reply
        by_item.setdefault(item, []).append(float(call.value))  # type: ignore[arg-type]
    assert all(len(set(v)) == 1 for v in by_item.values())  # the consistent judge
    second = [c for c in calls if c[1] == "judge_agreement"]
    assert {role for role, *_ in second} == {"judge2"}
    assert len(second) == checks["judge_agreement"]["overall"]["n_turns"]
    labels = {c[3].label for c in calls if c[1] == "history_sensitivity"}
    assert labels == {"no-history"}
