"""The benchmark registry: each benchmark is one package, registered here with one line.

The engine finds a benchmark by name through :func:`get_benchmark`, which
imports its package on first use; no engine module imports a benchmark
package (``tests/test_architecture.py`` enforces it). The interface a
package implements is in :mod:`mteval.benchmarks.base`; read its docstring
(and docs/architecture.md) to add a benchmark.
"""

from __future__ import annotations

import importlib

from mteval.benchmarks.base import (
    AuditHooks,
    Benchmark,
    GoldHistory,
    OwnHistory,
    PairwiseResult,
    PlayProtocol,
    RunAnswers,
    ScoreColumn,
    ScoreTable,
    TaskSpec,
    TurnPlayer,
    build_messages,
)
from mteval.config import DEFAULT_BENCHMARK
from mteval.errors import ConfigError

__all__ = [
    "DEFAULT_BENCHMARK",
    "REGISTRY",
    "AuditHooks",
    "Benchmark",
    "GoldHistory",
    "OwnHistory",
    "PairwiseResult",
    "PlayProtocol",
    "RunAnswers",
    "ScoreColumn",
    "ScoreTable",
    "TaskSpec",
    "TurnPlayer",
    "benchmark_names",
    "build_messages",
    "get_benchmark",
]

REGISTRY: dict[str, str] = {
    "mt-eval": "mteval.benchmarks.mt_eval",
    "mt-bench": "mteval.benchmarks.mt_bench",
    "mt-bench-101": "mteval.benchmarks.mt_bench_101",
}
"""Benchmark name -> the package that defines ``BENCHMARK`` (imported on first use)."""


def benchmark_names() -> tuple[str, ...]:
    """The registered benchmark names, in registry order."""
    return tuple(REGISTRY)


def get_benchmark(name: str = DEFAULT_BENCHMARK) -> Benchmark:
    """Return the benchmark registered as ``name``, importing its package on first use.

    Raises:
        ConfigError: No such benchmark; the message lists the registered ones.
    """
    module_path = REGISTRY.get(name)
    if module_path is None:
        raise ConfigError(
            f"unknown benchmark {name!r}: use one of {', '.join(REGISTRY)} "
            "(`mteval benchmarks` lists them)"
        )
    benchmark = importlib.import_module(module_path).BENCHMARK
    if not isinstance(benchmark, Benchmark):
        raise ConfigError(f"{module_path}.BENCHMARK is not an mteval Benchmark")
    return benchmark
