"""Verdict parsing against FastChat's own rules, restated here as oracles."""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mteval.benchmarks.mt_bench import parse_pair_verdict, parse_rating
from mteval.benchmarks.mt_bench.parse import read_pair_verdict, read_rating
from mteval.errors import JudgeReplyError


def fastchat_rating(judgment: str) -> float:
    """run_judge_single's parse: -1 without a match; raises where FastChat's thread crashes."""
    match = re.search(r"\[\[(\d+\.?\d*)\]\]", judgment)
    if not match:
        match = re.search(r"\[(\d+\.?\d*)\]", judgment)
    if match:
        return float(ast.literal_eval(match.groups()[0]))
    return -1


def fastchat_winner(judgment: str) -> str:
    if "[[A]]" in judgment:
        return "A"
    elif "[[B]]" in judgment:
        return "B"
    elif "[[C]]" in judgment:
        return "tie"
    return "error"


REPLY = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "[[",
                "]]",
                "[",
                "]",
                ".",
                " ",
                "\n",
                "Rating: ",
                "0",
                "٣",
                "[[A]]",
                "[[B]]",
                "[[C]]",
                "[[a]]",
                "[A]",
                "[[ 5]]",
                "-",
            ]
        ),
        st.integers(min_value=0, max_value=20).map(str),
        st.floats(min_value=0, max_value=10, allow_nan=False).map(lambda x: f"{x:.2f}"),
        st.text(alphabet="abc XYZ", max_size=5),
    ),
    max_size=12,
).map("".join)


@pytest.mark.parametrize(
    ("reply", "rating"),
    [
        ("The answer is good. Rating: [[8]]", 8.0),
        ("Rating: [[7.5]]", 7.5),
        ("Rating: [[10]]", 10.0),
        ("Rating: [[0]]", 0.0),  # not clamped: FastChat keeps it
        ("Rating: [[15]]", 15.0),
        ("Rating: [8]", 8.0),  # backup pattern
        ("See [1]. Rating: [[6]]", 6.0),  # the primary pattern wins over an earlier backup match
        ("See [1]. Rating: 6", 1.0),  # backup: first single-bracket number
        ("Rating: [[7.]]", 7.0),
        ("Rating: 8/10", None),
        ("Rating: [[-3]]", None),
        ("Rating: [[ 5 ]]", None),
        ("", None),
        ("Rating: [[07]]", 7.0),  # literal_eval would raise; read as 7
        ("Rating: [[٣]] then [[4]]", None),  # first match in Arabic-Indic digits: no rating
        ("[[" + "9" * 400 + "]]", None),
    ],
)
def test_rating_examples(reply: str, rating: float | None) -> None:
    assert parse_rating(reply) == rating


@settings(max_examples=500, deadline=None)
@given(REPLY)
def test_rating_equals_fastchat_wherever_fastchat_does_not_crash(reply: str) -> None:
    try:
        expected = fastchat_rating(reply)
    except (ValueError, SyntaxError):
        assert parse_rating(reply) is None or re.search(r"\[\[?0\d", reply)
        return
    got = parse_rating(reply)
    assert (-1 if got is None else got) == expected


@settings(max_examples=500, deadline=None)
@given(REPLY)
def test_pair_verdict_equals_fastchat(reply: str) -> None:
    assert parse_pair_verdict(reply) == fastchat_winner(reply)


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ('Final verdict: "[[A]]"', "A"),
        ("[[B]]", "B"),
        ("It is a tie: [[C]]", "tie"),
        ("[[B]] ... on reflection [[A]]", "A"),  # [[A]] anywhere wins, as in FastChat
        ("[[C]] or rather [[B]]", "B"),
        ("[A]", "error"),
        ("[[a]]", "error"),
        ("", "error"),
    ],
)
def test_pair_verdict_examples(reply: str, verdict: str) -> None:
    assert parse_pair_verdict(reply) == verdict


def test_strict_readers_raise_where_fastchat_records_an_error() -> None:
    assert read_rating("Rating: [[9]]") == 9.0
    assert read_pair_verdict("[[C]]") == "tie"
    with pytest.raises(JudgeReplyError, match="rating"):
        read_rating("no rating here")
    with pytest.raises(JudgeReplyError, match=r"\[\[A\]\]"):
        read_pair_verdict("no verdict")
