"""Play dialogues turn by turn against a model, many at once."""

from mteval.runner.messages import build_messages
from mteval.runner.records import (
    RECORD_VERSION,
    JudgmentRecord,
    RequestRecord,
    RunSink,
    TurnRecord,
)
from mteval.runner.runner import ResumeState, Runner, RunProgress, TurnKey, TurnScorer

__all__ = [
    "RECORD_VERSION",
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
