from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from mteval.cli_report import register


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def _root() -> None:
        """Test app."""

    register(application)
    return application


def invoke(app, *args):
    return CliRunner().invoke(app, list(args))


def test_report_writes_markdown_and_html(app, synthetic, tmp_path):
    store, ids = synthetic
    out = tmp_path / "out"
    result = invoke(
        app,
        "report",
        *ids,
        "--out",
        str(out),
        "--db",
        str(store.path),
        "--resamples",
        "50",
        "--permutations",
        "100",
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    assert "report.html" in result.output


def test_report_unknown_run_is_a_one_line_error(app, synthetic, tmp_path):
    store, _ = synthetic
    result = invoke(app, "report", "nope", "--out", str(tmp_path), "--db", str(store.path))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no run 'nope'")


def test_report_missing_store_is_a_one_line_error(app, tmp_path):
    result = invoke(app, "report", "x", "--out", str(tmp_path), "--db", str(tmp_path / "no.db"))
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert not (tmp_path / "no.db").exists()


def test_report_bad_data_dir_is_an_error(app, synthetic, tmp_path):
    store, ids = synthetic
    result = invoke(
        app,
        "report",
        ids[0],
        "--out",
        str(tmp_path),
        "--db",
        str(store.path),
        "--data-dir",
        str(tmp_path / "nowhere"),
    )
    assert result.exit_code == 2 and "error:" in result.output


def test_compare_prints_paired_differences_with_intervals(app, synthetic):
    store, ids = synthetic
    result = invoke(
        app, "compare", *ids, "--db", str(store.path), "--resamples", "100", "--permutations", "200"
    )
    assert result.exit_code == 0, result.output
    assert "Δ (B − A)" in result.output and "95% CI" in result.output
    assert "Avg." in result.output and "refinement_ablation_irrelevant-between" in result.output


def test_compare_a_run_with_itself_is_an_error(app, synthetic):
    store, ids = synthetic
    result = invoke(app, "compare", ids[0], ids[0], "--db", str(store.path))
    assert result.exit_code == 2 and "compared with itself" in result.output


def test_cli_defaults_are_the_analysis_defaults():
    import mteval.cli_report as cli_report
    from mteval.analysis import DEFAULT_PERMUTATIONS, DEFAULT_RESAMPLES, DEFAULT_SEED

    assert cli_report.DEFAULT_RESAMPLES == DEFAULT_RESAMPLES
    assert cli_report.DEFAULT_PERMUTATIONS == DEFAULT_PERMUTATIONS
    assert cli_report.DEFAULT_SEED == DEFAULT_SEED
