"""Judges: ask a judge model, parse its reply with the template's parser, keep every call."""

from mteval.judges.ask import (
    JUDGE_PRIORITY,
    REASK_TEMPERATURE,
    JudgeOutcome,
    ask_judge,
    prompt_key,
    reask_config,
)
from mteval.judges.parse import JudgeVerdict, parse_judge_reply

__all__ = [
    "JUDGE_PRIORITY",
    "REASK_TEMPERATURE",
    "JudgeOutcome",
    "JudgeVerdict",
    "ask_judge",
    "parse_judge_reply",
    "prompt_key",
    "reask_config",
]
