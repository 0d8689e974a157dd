"""Programmatic scores: label match (classification) and instruction checks."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from mteval.instructions import check

__all__ = ["classification_score", "instruction_score", "normalize_for_match"]

_PUNCTUATION_TO_SPACE = str.maketrans({char: " " for char in string.punctuation})


def normalize_for_match(text: str) -> str:
    """Replace every ASCII punctuation character with a space, then lower-case."""
    return text.translate(_PUNCTUATION_TO_SPACE).lower()


def classification_score(response: str, label: str) -> float:
    """Score a classification reply as the benchmark does: 10 if the label occurs in it.

    Both texts are normalised (:func:`normalize_for_match`) and the label is
    searched as a substring, so ``"Science."`` matches ``science`` (and, as in
    the benchmark, ``"earth"`` would match ``art``).
    """
    return 10.0 if normalize_for_match(label) in normalize_for_match(response) else 0.0


def instruction_score(instruction_id: str, kwargs: Mapping[str, Any], response: str) -> float:
    """Score a global-instruction reply: 10 if it follows the instruction, else 0."""
    return 10.0 if check(instruction_id, dict(kwargs), response, dialect="mt-eval") else 0.0
