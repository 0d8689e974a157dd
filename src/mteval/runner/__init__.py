"""Play dialogues under their benchmark's protocol against a model, many at once."""

from mteval.benchmarks.base import build_messages
from mteval.records import (
    RECORD_VERSION,
    JudgeCall,
    JudgmentRecord,
    RequestRecord,
    RunSink,
    TurnKey,
    TurnRecord,
)
from mteval.runner.runner import ResumeState, Runner, RunProgress, TurnScorer

__all__ = [
    "RECORD_VERSION",
    "JudgeCall",
    "JudgmentRecord",
    "RequestRecord",
    "ResumeState",
    "RunProgress",
    "RunSink",
    "Runner",
    "TurnKey",
    "TurnRecord",
    "TurnScorer",
    "build_messages",
]
