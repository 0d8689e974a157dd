"""mteval: a faithful, fast, dependable implementation of the MT-Eval benchmark.

MT-Eval (Kwan et al. 2024, arXiv 2401.16745) measures how chat models hold up
over multi-turn conversations: recollection, expansion, refinement and
follow-up. Quick start::

    import mteval

    results = mteval.evaluate(model="openai/gpt-4o-mini", judge="openai/gpt-4o")
    print(results.scores)

Heavy modules load on first use, so ``import mteval.instructions`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mteval._version import __version__

if TYPE_CHECKING:
    from mteval.analysis.results import Results
    from mteval.config import RunConfig
    from mteval.pipeline import evaluate, evaluate_async, run, run_async

__all__ = [
    "Results",
    "RunConfig",
    "__version__",
    "evaluate",
    "evaluate_async",
    "run",
    "run_async",
]

_LAZY = {
    "Results": ("mteval.analysis.results", "Results"),
    "RunConfig": ("mteval.config", "RunConfig"),
    "evaluate": ("mteval.pipeline", "evaluate"),
    "evaluate_async": ("mteval.pipeline", "evaluate_async"),
    "run": ("mteval.pipeline", "run"),
    "run_async": ("mteval.pipeline", "run_async"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mteval' has no attribute {name!r}")
