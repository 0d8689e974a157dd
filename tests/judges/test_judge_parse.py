"""Parsing judge replies: a score from 1 to 10, or an error — never a guess."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mteval.errors import JudgeReplyError
from mteval.judges import parse_judge_reply


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ('```json\n{\n  "Rationale": "Good.",\n  "Score": 8\n}\n```', 8),
        ('{"Rationale": "Fine", "Score": 7}', 7),
        ('Here is my evaluation:\n```json\n{"Rationale": "ok", "Score": 3}\n```\nThanks.', 3),
        ('```\n{"Rationale": "ok", "Score": 10}\n```', 10),
        ('{"Rationale": "ok", "Score": "9"}', 9),
        ('{"Rationale": "ok", "Score": 6.0}', 6),
        ('{"rationale": "lower-case keys", "score": 5}', 5),
        ('{"Rationale": "line\nbreak inside", "Score": 4}', 4),
        ('The score: {"Score": 2, "Rationale": "terse"} end', 2),
    ],
)
def test_usable_replies_give_their_score(reply: str, score: int) -> None:
    assert parse_judge_reply(reply).score == score


def test_rationale_is_kept() -> None:
    verdict = parse_judge_reply('```json\n{"Rationale": "Accurate and concise.", "Score": 9}\n```')
    assert verdict.rationale == "Accurate and concise."


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("", "empty"),
        ("The response is excellent. I give it a 9.", "no JSON object"),
        ('{"Rationale": "no score here"}', "no Score field"),
        ('{"Rationale": "x", "Score": "high"}', "not an integer"),
        ('{"Rationale": "x", "Score": 7.5}', "not an integer"),
        ('{"Rationale": "x", "Score": true}', "not an integer"),
        ('{"Rationale": "x", "Score": 0}', "outside 1-10"),
        ('{"Rationale": "x", "Score": 11}', "outside 1-10"),
        ('{"Rationale": "x", "Score": null}', "not an integer"),
        ("[8]", "no JSON object"),
    ],
)
def test_unusable_replies_are_errors(reply: str, problem: str) -> None:
    with pytest.raises(JudgeReplyError, match=problem):
        parse_judge_reply(reply)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text())
def test_arbitrary_text_never_raises_anything_else(text: str) -> None:
    try:
        verdict = parse_judge_reply(text)
    except JudgeReplyError:
        return
    assert 1 <= verdict.score <= 10


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
        max_leaves=10,
    )
)
def test_arbitrary_json_never_raises_anything_else(value: object) -> None:
    import json

    try:
        text = json.dumps({"Score": value, "Rationale": value})
    except ValueError:
        return
    try:
        verdict = parse_judge_reply(text)
    except JudgeReplyError:
        return
    assert 1 <= verdict.score <= 10
