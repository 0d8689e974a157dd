"""The rating parser: the first bracketed run of ASCII digits, as OpenCompass reads it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mteval.benchmarks.mt_bench_101 import parse_rating

_NO_BRACKETS = st.text().map(lambda s: s.replace("[", "").replace("]", ""))


def test_reads_the_requested_format() -> None:
    assert parse_rating("The reply is fine.\n\nRating: [[7]]") == 7


def test_reads_ten() -> None:
    assert parse_rating("Rating: [[10]]") == 10


def test_takes_the_first_bracketed_integer_even_before_the_rating() -> None:
    assert parse_rating("As in step [2], the sum is wrong. Rating: [[4]]") == 2


def test_single_brackets_count() -> None:
    assert parse_rating("Rating: [5]") == 5


def test_no_range_check() -> None:
    assert parse_rating("Rating: [[0]]") == 0
    assert parse_rating("Rating: [[42]]") == 42


def test_non_integers_do_not_parse() -> None:
    assert parse_rating("Rating: [[7.5]]") is None
    assert parse_rating("Rating: [[ 7 ]]") is None
    assert parse_rating("Rating: [[-3]]") is None
    assert parse_rating("Rating: 8/10") is None
    assert parse_rating("") is None


def test_non_ascii_digits_do_not_parse() -> None:
    assert parse_rating("Rating: [[٧]]") is None  # Arabic-Indic seven


@given(prefix=_NO_BRACKETS, rating=st.integers(min_value=0, max_value=10**6), suffix=st.text())
def test_first_bracketed_integer_wins_whatever_follows(
    prefix: str, rating: int, suffix: str
) -> None:
    assert parse_rating(f"{prefix}[[{rating}]]{suffix}") == rating


@given(text=_NO_BRACKETS)
def test_text_without_brackets_never_parses(text: str) -> None:
    assert parse_rating(text) is None


@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=30), text=_NO_BRACKETS)
def test_leading_zeros_and_long_runs_read_as_int(digits: str, text: str) -> None:
    assert parse_rating(text + "[" + digits + "]") == int(digits)
