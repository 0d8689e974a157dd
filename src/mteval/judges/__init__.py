"""LLM-judge scoring: fill the benchmark's templates, call the judge, parse its reply."""

from mteval.judges.judge import BenchmarkScorer, LLMJudge, fill_template
from mteval.judges.parse import JudgeVerdict, parse_judge_reply

__all__ = ["BenchmarkScorer", "JudgeVerdict", "LLMJudge", "fill_template", "parse_judge_reply"]
