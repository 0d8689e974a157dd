"""The task definitions MT-Eval's paper tables iterate over, found through the registry.

The paper's tables (main table, single vs multi, ablations, curves) are
MT-Eval's; they move into its package behind the benchmark's report hooks.
Until then they reach its tasks by registry name, never by import.
"""

from __future__ import annotations

from collections.abc import Mapping

from mteval.benchmarks import get_benchmark
from mteval.benchmarks.base import TaskSpec
from mteval.config import DEFAULT_BENCHMARK

__all__ = ["benchmark_tasks"]


def benchmark_tasks(name: str = DEFAULT_BENCHMARK) -> Mapping[str, TaskSpec]:
    """The benchmark's tasks by name, in registry order."""
    return get_benchmark(name).tasks
