"""MT-Eval (Kwan et al. 2024, arXiv 2401.16745), reproduced as its reference code does it.

Reference code: ``KwanWaiChung/MT-Eval`` at commit ``bfe3a46e41c9``
(``create_data.py``, ``inference.py``, ``evaluate.py``, ``calculate_score.py``).
Every choice is recorded in docs/fidelity.md.

The package owns MT-Eval's data (:mod:`.sources`, :mod:`.loaders`), its task
sets (:mod:`.tasks`: the main multi-turn table, single-turn versions, the
gold-history variants and the ablations), its scorers (:mod:`.judge`:
``judge``, ``cls`` and ``instruction``, registered on import), its
aggregation (:mod:`.scores`: the paper's main-table row) and its data
statistics (:mod:`.stats`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mteval.benchmarks.base import Benchmark, TaskSpec
from mteval.benchmarks.mt_eval import judge as _judge  # noqa: F401  (registers the scorers)
from mteval.benchmarks.mt_eval.export import export_task_set
from mteval.benchmarks.mt_eval.loaders import SourceFiles
from mteval.benchmarks.mt_eval.scores import CATEGORIES, CATEGORY_LABELS, score_table
from mteval.benchmarks.mt_eval.sources import COMMIT, SOURCE
from mteval.benchmarks.mt_eval.stats import benchmark_statistics, set_statistics
from mteval.benchmarks.mt_eval.tasks import GROUPS, TASKS
from mteval.benchmarks.mt_eval.tasks import audit as _audit
from mteval.config import DEFAULT_SYSTEM_MESSAGE

__all__ = ["BENCHMARK", "COMMIT", "GROUPS", "TASKS", "SourceFiles", "export_task_set"]

DEFAULT_JUDGE = "openai/gpt-4-0613"
"""The judge the paper used."""


def _load_sources(data_dir: Any = None, *, download: bool = True) -> SourceFiles:
    return SourceFiles(data_dir, download=download)


def _prepare(sources: SourceFiles, specs: Sequence[TaskSpec], *, judged: bool) -> None:
    """Load and check every judge template the run uses before anything is spent."""
    if judged:
        for spec in specs:
            if spec.judge_template:
                sources.template(spec.judge_template)


BENCHMARK = Benchmark(
    name="mt-eval",
    title="MT-Eval",
    citation="Kwan et al. 2024, MT-Eval (arXiv 2401.16745); KwanWaiChung/MT-Eval @ bfe3a46e41c9",
    tasks=TASKS,
    groups=GROUPS,
    default_tasks="main",
    categories=CATEGORIES,
    source=SOURCE,
    load_sources=_load_sources,
    system_message=DEFAULT_SYSTEM_MESSAGE,
    default_judge=DEFAULT_JUDGE,
    judge_max_tokens=1024,
    score_table=score_table,
    prepare=_prepare,
    audit=_audit,
    headline_title="MT-Eval multi-turn performance",
    headline_labels={"average": "Avg.", **CATEGORY_LABELS},
    extras={
        "export_task_set": export_task_set,
        "benchmark_statistics": benchmark_statistics,
        "set_statistics": set_statistics,
    },
)
