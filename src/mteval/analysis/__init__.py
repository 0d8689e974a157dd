"""The paper's tables and analyses over stored runs."""

from mteval.analysis.results import RESULTS_VERSION, Results, TaskResult, is_main_task, load_results

__all__ = ["RESULTS_VERSION", "Results", "TaskResult", "is_main_task", "load_results"]
