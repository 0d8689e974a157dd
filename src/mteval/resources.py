"""What scorers need from the environment, checked before the first request.

A scorer that finds its data missing in the middle of a run can only record
errors, and a run whose errors come from the environment rather than from the
model would end with a score computed over the turns that happened to work.
So each task declares the :class:`Resource` objects its scorer needs
(``TaskSpec.requires``), and :func:`check_resources` verifies all of them
before anything is sent, refusing with one error that lists every missing one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mteval.errors import ResourceError

__all__ = [
    "IFEVAL_WORD_LIST",
    "LANGDETECT_PROFILES",
    "PUNKT_TAB",
    "Resource",
    "check_resources",
]

_IFEVAL_WORDS = 1525


@dataclass(frozen=True, kw_only=True)
class Resource:
    """Something a scorer needs that is not part of the benchmark's data.

    Attributes:
        name: What it is, for messages (``NLTK punkt_tab``).
        check: Loads it (so the run does not pay for that later) or raises
            :class:`~mteval.errors.ResourceError` saying what to do.
    """

    name: str
    check: Callable[[], None]


def _check_punkt() -> None:
    from mteval.text import ensure_punkt

    ensure_punkt()


def _check_word_list() -> None:
    from mteval.instructions._shared import word_list

    try:
        words = word_list()
    except (OSError, UnicodeDecodeError) as exc:
        raise ResourceError(
            f"IFEval's word list (mteval/instructions/ifeval_words.txt) cannot be read ({exc}): "
            "reinstall mteval"
        ) from None
    if len(words) != _IFEVAL_WORDS:
        raise ResourceError(
            f"IFEval's word list (mteval/instructions/ifeval_words.txt) has {len(words)} words, "
            f"not {_IFEVAL_WORDS}: reinstall mteval"
        )


def _check_langdetect() -> None:
    try:
        from langdetect import detector_factory
        from langdetect.lang_detect_exception import LangDetectException
    except ImportError:
        raise ResourceError(
            "the language instruction needs langdetect: pip install langdetect"
        ) from None
    try:
        detector_factory.init_factory()
        langs = detector_factory._factory.get_lang_list()
    except (OSError, ValueError, LangDetectException) as exc:
        raise ResourceError(
            f"langdetect's language profiles cannot be loaded ({exc}): "
            "reinstall it with pip install --force-reinstall langdetect"
        ) from None
    if "en" not in langs:
        raise ResourceError(
            "langdetect's language profiles are incomplete (no 'en'): "
            "reinstall it with pip install --force-reinstall langdetect"
        )


PUNKT_TAB = Resource(name="NLTK punkt_tab", check=_check_punkt)
"""NLTK's sentence model: sentence counts in judge prompts and instruction checks."""

IFEVAL_WORD_LIST = Resource(name="IFEval word list", check=_check_word_list)
"""The keyword instruction's word list (a package resource)."""

LANGDETECT_PROFILES = Resource(name="langdetect profiles", check=_check_langdetect)
"""langdetect's language profiles (the language instruction)."""


def check_resources(resources: Iterable[Resource]) -> None:
    """Check every resource once; raise one error naming all that are missing.

    Raises:
        ResourceError: At least one resource is missing; the message lists each
            with what to do.
    """
    problems: list[str] = []
    seen: set[str] = set()
    for resource in resources:
        if resource.name in seen:
            continue
        seen.add(resource.name)
        try:
            resource.check()
        except ResourceError as exc:
            problems.append(str(exc))
    if len(problems) == 1:
        raise ResourceError(f"cannot score this run: {problems[0]}")
    if problems:
        raise ResourceError(
            "cannot score this run: " + "; ".join(f"({i}) {p}" for i, p in enumerate(problems, 1))
        )
