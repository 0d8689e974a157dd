"""The ``mteval judge-audit`` command: how far a run's judged scores can be trusted.

``register(app)`` adds it to the main typer app. It prints each check's
planned judge requests before the check starts, then the trust panel, and
writes ``audit.json`` and ``audit.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from mteval.cli_common import err, out
from mteval.cli_common import guard as _guard
from mteval.errors import ConfigError, MtevalError

__all__ = ["print_panel", "register"]

_STYLE = {"ok": "green", "caution": "yellow", "bad": "bold red", "n/a": "dim"}


def print_panel(result: dict[str, Any]) -> None:
    """Print the "can this judge be trusted" panel of an audit result."""
    from mteval.report.audit import trust_panel_rows

    table = Table(title=f"Can judge {result.get('judge')} be trusted? (run {result.get('run_id')})")
    table.add_column("Check")
    table.add_column("Verdict")
    table.add_column("Figures")
    for row in trust_panel_rows(result):
        style = _STYLE.get(row.verdict, "")
        table.add_row(row.title, f"[{style}]{row.verdict}[/]", escape(row.summary))
    out.print(table)


def _announce(check: str, n_requests: int) -> None:
    if n_requests:
        err.print(f"{check}: {n_requests} judge requests (cached ones are not sent again)")
    else:
        err.print(f"{check}: no judge requests (stored scores only)")


def judge_audit_command(
    run_ids: Annotated[
        list[str],
        typer.Argument(
            help="The run to audit, then optionally other runs of the same tasks: the judge's "
            "noise is set against their gaps, and --judge2 ranks them too."
        ),
    ],
    repeats: Annotated[
        int, typer.Option(help="Re-judge each sampled turn K times (self-consistency; 0: skip).")
    ] = 3,
    sample: Annotated[
        int, typer.Option(help="Turns per check, drawn with a fixed seed, stratified by task.")
    ] = 100,
    seed: Annotated[int, typer.Option(help="The sampling seed.")] = 0,
    temperature: Annotated[
        float | None,
        typer.Option(help="Judge temperature for the repeats (default: the run's judge's)."),
    ] = None,
    judge2: Annotated[
        str | None, typer.Option(help="A second judge, PROVIDER/MODEL (agreement between judges).")
    ] = None,
    judge2_base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible base URL of the second judge.")
    ] = None,
    judge2_api_key_env: Annotated[
        str | None, typer.Option(help="Environment variable holding the second judge's key.")
    ] = None,
    canary: Annotated[
        bool, typer.Option(help="Judge the canary set and compare with earlier audits.")
    ] = False,
    check: Annotated[
        list[str] | None,
        typer.Option(help="Run only this check (repeatable): self_consistency, ... canary."),
    ] = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap replicates per interval.")] = 1000,
    max_connections: Annotated[int, typer.Option(help="Concurrent requests per endpoint.")] = 16,
    db: Annotated[Path, typer.Option(help="The run store (SQLite).")] = Path("mteval.db"),
    output_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where to write audit.json and audit.md (default: mteval-audits/RUN_ID)."
        ),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Benchmark sources folder (default: $MTEVAL_DATA_DIR).")
    ] = None,
) -> None:
    """Audit a run's judge: self-consistency, agreement, checks, length, history, drift."""

    def body() -> None:
        import asyncio

        from mteval.audit import CHECKS, AuditOptions, audit_async
        from mteval.config import EndpointSettings
        from mteval.types import GenerateConfig

        if not db.exists():
            raise MtevalError(f"{db} does not exist: pass the run store with --db")
        if judge2_base_url and not judge2:
            raise ConfigError("--judge2-base-url needs --judge2 MODEL")
        for name in check or ():
            if name not in CHECKS:
                raise ConfigError(f"--check {name!r}: choose from {', '.join(CHECKS)}")
        second = (
            EndpointSettings(
                spec=judge2,
                base_url=judge2_base_url,
                api_key_env=judge2_api_key_env,
                generate=GenerateConfig(temperature=0.0, max_tokens=1024),
            )
            if judge2
            else None
        )
        run_id, others = run_ids[0], tuple(run_ids[1:])
        options = AuditOptions(
            repeats=repeats,
            sample=sample,
            seed=seed,
            temperature=temperature,
            judge2=second,
            others=others,
            canary=canary,
            checks=tuple(check) if check else None,
            n_resamples=resamples,
            max_connections=max_connections,
        )
        target = output_dir or Path("mteval-audits") / run_id
        result = asyncio.run(
            audit_async(
                run_id,
                db_path=db,
                options=options,
                data_dir=data_dir,
                output_dir=target,
                on_check=_announce,
            )
        )
        print_panel(result)
        out.print(
            f"audit: {escape(str(target / 'audit.json'))}  {escape(str(target / 'audit.md'))}",
            highlight=False,
        )

    _guard(body)


def register(app: typer.Typer) -> None:
    """Add the ``judge-audit`` command to ``app``."""
    app.command("judge-audit")(judge_audit_command)
