"""MT-Bench, exactly as FastChat's ``llm_judge`` scores it.

MT-Bench is the benchmark of Zheng et al. 2023, "Judging LLM-as-a-Judge with
MT-Bench and Chatbot Arena" (NeurIPS 2023 Datasets and Benchmarks,
arXiv 2306.05685): 80 two-turn questions in eight categories, answered by the
model and graded by a strong LLM judge, either one answer at a time (a rating
from 1 to 10) or two models' answers side by side (with the order swapped to
cancel position bias).

mteval reproduces the reference code, FastChat (``lm-sys/FastChat``) at commit
``0e6d3e4beaab66f4d3f93db72541a4abab8af28d``: ``fastchat/llm_judge/
gen_api_answer.py`` (answers), ``gen_judgment.py`` (which judge prompt for
which question and turn), ``common.py`` (prompt filling, verdict parsing, the
two orders of a pairwise game) and ``show_result.py`` (aggregation). Where the
paper and the code differ, the code wins; every choice is listed in
``docs/fidelity.md``.

Modules, top to bottom: :mod:`.source` (the three pinned files),
:mod:`.data` (reading them), :mod:`.prompts` (answer settings and judge
prompts), :mod:`.parse` (verdicts), :mod:`.scores` (single grading),
:mod:`.pairwise` (games and win rates), :mod:`.ratings` (Bradley-Terry),
:mod:`.compare` (``mteval pairwise``), :mod:`.report` (table and radar chart)
and :mod:`.benchmark` (the plug-in: tasks, protocol, scorer, score table).
"""

from mteval.benchmarks.mt_bench.benchmark import BENCHMARK
from mteval.benchmarks.mt_bench.data import (
    CATEGORIES,
    NEED_REF_CATEGORIES,
    JudgePrompt,
    MtBenchData,
    Question,
    Reference,
    load_data,
)
from mteval.benchmarks.mt_bench.pairwise import (
    Consistency,
    PairGame,
    PairwiseRow,
    pairwise_rows,
    position_consistency,
)
from mteval.benchmarks.mt_bench.parse import parse_pair_verdict, parse_rating
from mteval.benchmarks.mt_bench.prompts import (
    ANSWER_MAX_TOKENS,
    ANSWER_SYSTEM_MESSAGE,
    JUDGE_MAX_TOKENS,
    JUDGE_TEMPERATURE,
    TEMPERATURE_CONFIG,
    JudgeMessages,
    answer_temperature,
    fill_pair,
    fill_single,
    pair_prompt_name,
    single_prompt_name,
)
from mteval.benchmarks.mt_bench.ratings import Rating, bradley_terry
from mteval.benchmarks.mt_bench.scores import SCORE_KEYS, Grade, SingleScores, single_scores
from mteval.benchmarks.mt_bench.source import DATA_DIR_ENV, SOURCE

__all__ = [
    "ANSWER_MAX_TOKENS",
    "BENCHMARK",
    "ANSWER_SYSTEM_MESSAGE",
    "CATEGORIES",
    "DATA_DIR_ENV",
    "JUDGE_MAX_TOKENS",
    "JUDGE_TEMPERATURE",
    "NEED_REF_CATEGORIES",
    "SCORE_KEYS",
    "TEMPERATURE_CONFIG",
    "Consistency",
    "Grade",
    "JudgeMessages",
    "JudgePrompt",
    "MtBenchData",
    "PairGame",
    "PairwiseRow",
    "Question",
    "Rating",
    "Reference",
    "SOURCE",
    "SingleScores",
    "answer_temperature",
    "bradley_terry",
    "fill_pair",
    "fill_single",
    "load_data",
    "pair_prompt_name",
    "pairwise_rows",
    "parse_pair_verdict",
    "parse_rating",
    "position_consistency",
    "single_prompt_name",
    "single_scores",
]
