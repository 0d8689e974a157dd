"""One verdict per judge-audit check: ``ok``, ``caution`` or ``bad``, with a headline.

The thresholds are conventions, stated here once and in docs/judge-audit.md:

- self-consistency: the judge's noise share of the run's CI (≤ 10% ok,
  ≤ 30% caution) and the ICC (≥ 0.9 ok, ≥ 0.75 caution; Koo & Li 2016's
  "excellent" and "good");
- agreement between judges: Krippendorff's alpha (≥ 0.8 ok, ≥ 0.667
  caution: Krippendorff's own limits for drawing and for tentative
  conclusions), and a mean offset of a point or more is at least caution;
- agreement with checks: agreement ≥ 0.9 ok, ≥ 0.75 caution;
- position bias: consistency across orders ≥ 0.9 ok, ≥ 0.75 caution;
- length bias: |Spearman| < 0.2 ok, < 0.4 caution;
- history sensitivity: |mean shift| < 0.25 ok, < 0.5 caution (a shift is
  not wrong in itself, but a figure that moves with the history shown to the
  judge needs the same history to be compared);
- canaries: drift beyond the judge's own noise is bad.

A check without a figure is ``n/a``. The worst verdict of a check's parts is
its verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["VERDICTS", "check_verdict"]

VERDICTS = ("ok", "caution", "bad", "n/a")
_RANK = {"ok": 0, "caution": 1, "bad": 2}


def _higher_is_better(value: float | None, good: float, fair: float) -> str | None:
    if value is None:
        return None
    return "ok" if value >= good else "caution" if value >= fair else "bad"


def _lower_is_better(value: float | None, good: float, fair: float) -> str | None:
    if value is None:
        return None
    return "ok" if value <= good else "caution" if value <= fair else "bad"


def _worst(*parts: str | None) -> str:
    present = [p for p in parts if p is not None]
    return max(present, key=_RANK.__getitem__) if present else "n/a"


def _fmt(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def check_verdict(name: str, overall: Mapping[str, Any]) -> tuple[str, str]:
    """The verdict and a one-line headline of a check from its ``overall`` block.

    Args:
        name: The check (``self_consistency``, ``judge_agreement``, ...).
        overall: The check's ``overall`` block of ``audit.json``.

    Returns:
        (verdict, headline).
    """
    o = overall
    if name == "self_consistency":
        verdict = _worst(
            _lower_is_better(o.get("judge_noise_share"), 0.1, 0.3),
            _higher_is_better(o.get("icc"), 0.9, 0.75),
        )
        headline = (
            f"within-turn SD {_fmt(o.get('within_turn_sd'))}, "
            f"{_pct(o.get('changed_share'))} of turns change, ICC {_fmt(o.get('icc'))}, "
            f"noise {_pct(o.get('judge_noise_share'))} of the CI"
        )
    elif name == "judge_agreement":
        offset = o.get("mean_offset")
        verdict = _worst(
            _higher_is_better(o.get("krippendorff_alpha"), 0.8, 0.667),
            None if offset is None else ("caution" if abs(offset) >= 1 else "ok"),
        )
        headline = (
            f"alpha {_fmt(o.get('krippendorff_alpha'))}, kappa {_fmt(o.get('weighted_kappa'))}, "
            f"Pearson {_fmt(o.get('pearson'))}, offset {_fmt(o.get('mean_offset'))}"
        )
    elif name == "checker_agreement":
        verdict = _worst(_higher_is_better(o.get("agreement"), 0.9, 0.75))
        headline = (
            f"agreement {_pct(o.get('agreement'))}, precision {_pct(o.get('precision'))}, "
            f"recall {_pct(o.get('recall'))}"
        )
    elif name == "position_bias":
        verdict = _worst(_higher_is_better(o.get("consistency_rate"), 0.9, 0.75))
        headline = (
            f"consistent across orders {_pct(o.get('consistency_rate'))}, "
            f"first position wins {_pct(o.get('first_position_win_share'))}"
        )
    elif name == "length_bias":
        rho = o.get("score_length_spearman")
        verdict = _worst(_lower_is_better(None if rho is None else abs(rho), 0.2, 0.4))
        headline = (
            f"Spearman(score, words) {_fmt(rho)}, "
            f"within dialogues {_fmt(o.get('within_dialogue_spearman'))}"
        )
    elif name == "history_sensitivity":
        shift = o.get("mean_shift")
        verdict = _worst(_lower_is_better(None if shift is None else abs(shift), 0.25, 0.5))
        headline = (
            f"with history minus without: {_fmt(shift)} points "
            f"(mean |shift| {_fmt(o.get('mean_abs_shift'))})"
        )
    elif name == "canary":
        drifted = o.get("drifted")
        verdict = "n/a" if drifted is None else "bad" if drifted else "ok"
        if o.get("previous_result_id") is None:
            headline = f"baseline recorded ({o.get('n_turns', 0)} canaries); later audits compare"
        else:
            headline = (
                f"shift {_fmt(o.get('mean_shift'))} vs threshold {_fmt(o.get('threshold'))}"
                + ("" if drifted is not None else " (no noise estimate: audit with --repeats)")
            )
    else:
        raise ValueError(f"unknown audit check {name!r}")
    return verdict, headline
