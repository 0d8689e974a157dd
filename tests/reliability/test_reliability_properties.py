"""Properties: no reply text can make the judge parser or an instruction checker raise.

Complements tests/judges and tests/instructions with the inputs a long unattended
run meets: any Unicode (lone surrogates included), runaway replies hundreds of
kilobytes long, and every instruction exactly as the benchmark instantiates it.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mteval.benchmarks.mt_eval import SourceFiles
from mteval.benchmarks.mt_eval.tasks import TASKS
from mteval.errors import JudgeReplyError
from mteval.instructions import MTEVAL_IDS, sample_mteval_args
from mteval.judges import parse_judge_reply
from mteval.scoring import instruction_score

from mteval_test_support import DATA_DIR

# Every code point, lone surrogates and private use included.
ANY_CHARACTER = st.characters(exclude_categories=())
ANY_TEXT = st.text(alphabet=ANY_CHARACTER, max_size=300)


def _parse_or_error(text: str) -> int | None:
    try:
        verdict = parse_judge_reply(text)
    except JudgeReplyError:
        return None
    assert 1 <= verdict.score <= 10
    assert isinstance(verdict.rationale, str)
    return verdict.score


# -- the judge-reply parser ------------------------------------------------------------------


@settings(max_examples=300, deadline=None, derandomize=True)
@given(ANY_TEXT)
@example('\ud800{"Score": 5}')
@example('{"Score": "' + "7" * 5000 + '"}')
def test_any_unicode_reply_parses_or_is_a_judge_reply_error(text: str) -> None:
    _parse_or_error(text)


NOISE = st.text(
    alphabet=st.characters(exclude_categories=(), exclude_characters="{}`"), max_size=200
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    before=NOISE,
    after=NOISE,
    score=st.integers(min_value=1, max_value=10),
    rationale=ANY_TEXT,
    fence=st.booleans(),
)
def test_a_verdict_inside_any_prose_gives_its_score(
    before: str, after: str, score: int, rationale: str, fence: bool
) -> None:
    verdict = json.dumps({"Rationale": rationale, "Score": score})
    body = f"```json\n{verdict}\n```" if fence else verdict
    assert _parse_or_error(f"{before}\n{body}\n{after}") == score


HUGE_REPLIES = {
    "open braces": "{" * 200_000,
    "closed braces": "}" * 200_000,
    "nested objects": '{"a": ' * 50_000,
    "nested lists": '{"Score": ' + "[" * 100_000,
    "fences": "```json\n" * 50_000,
    "quotes": '"' * 200_000,
    "nul bytes": "\x00" * 200_000,
    "score digits": '{"Score": ' + "9" * 100_000 + "}",
    "score digit string": '{"Score": "' + "9" * 100_000 + '"}',
    "long rationale": json.dumps({"Rationale": "x" * 500_000, "Score": 4}),
    "many objects": '{"Score": 0} ' * 20_000,
    "surrogates": "\udc80" * 100_000,
    "emoji": "🎉" * 100_000,
}


@pytest.mark.parametrize("text", HUGE_REPLIES.values(), ids=HUGE_REPLIES.keys())
def test_runaway_replies_parse_or_are_judge_reply_errors(text: str) -> None:
    score = _parse_or_error(text)
    assert score in (None, 4)


# -- the instruction checkers with the benchmark's own arguments -------------------------------


def _benchmark_instructions() -> list[tuple[str, dict[str, Any]]]:
    """(instruction id, arguments) of every global-instruction dialogue, as built."""
    task_set = TASKS["recollection_multi_global-inst"].load(SourceFiles(DATA_DIR))
    found = []
    for dialogue in task_set.dialogues:
        assert dialogue.inst_name is not None
        found.append((dialogue.inst_name, dict(dialogue.inst_args or {})))
    # MT-Eval defines one more instruction that its dialogues never use: draw its
    # arguments as the benchmark's constructor does.
    used = {name for name, _ in found}
    for name in MTEVAL_IDS:
        if name not in used:
            found.append((name, sample_mteval_args(name, random.Random(11))))
    return found


BENCHMARK_INSTRUCTIONS = _benchmark_instructions()
INSTRUCTION_IDS = [f"{name}#{i}" for i, (name, _) in enumerate(BENCHMARK_INSTRUCTIONS)]


def test_every_mteval_instruction_is_covered() -> None:
    assert {name for name, _ in BENCHMARK_INSTRUCTIONS} == set(MTEVAL_IDS)
    assert len(BENCHMARK_INSTRUCTIONS) == 28 + len(MTEVAL_IDS) - 14


REPLIES = st.one_of(
    ANY_TEXT,
    st.lists(
        st.sampled_from(["\n", "\n\n", " ", "*", "-", "[x]", "{", "}", '"', ",", ".", "🎉", "P.S."])
        | st.text(alphabet=ANY_CHARACTER, max_size=8),
        max_size=40,
    ).map("".join),
)


@pytest.mark.parametrize(("instruction_id", "kwargs"), BENCHMARK_INSTRUCTIONS, ids=INSTRUCTION_IDS)
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(reply=REPLIES)
def test_any_reply_gets_a_verdict_under_the_benchmarks_instructions(
    instruction_id: str, kwargs: dict[str, Any], reply: str
) -> None:
    assert instruction_score(instruction_id, kwargs, reply) in (0.0, 10.0)


RUNAWAY = (
    ("\n" * 40_000)
    + (" " * 40_000)
    + ("[" * 40_000)
    + ("{" * 40_000)
    + ("\ud800" * 1_000)
    + ("🎉" * 10_000)
    + ("P.S. " * 5_000)
)


@pytest.mark.parametrize(("instruction_id", "kwargs"), BENCHMARK_INSTRUCTIONS, ids=INSTRUCTION_IDS)
def test_runaway_replies_get_a_verdict_under_the_benchmarks_instructions(
    instruction_id: str, kwargs: dict[str, Any]
) -> None:
    assert instruction_score(instruction_id, kwargs, RUNAWAY) in (0.0, 10.0)
    assert instruction_score(instruction_id, kwargs, "") in (0.0, 10.0)
