r"""Text measurements exactly as the benchmark takes them.

The benchmark counts words two ways: the judge prompts get a whitespace word
count (``len(text.split())``) while the length instruction counts ``\w+``
tokens. Sentences are counted with NLTK's Punkt tokenizer (``punkt_tab``).
"""

from __future__ import annotations

import functools
import io
import os
import re
import sys
from typing import Any

from mteval.errors import ResourceError

__all__ = [
    "count_regex_words",
    "count_sentences",
    "count_whitespace_words",
    "ensure_punkt",
    "split_sentences",
]

_WORD_TOKEN = re.compile(r"\w+")


def count_whitespace_words(text: str) -> int:
    """Return ``len(text.split())``: the word count the judge prompts show."""
    return len(text.split())


def count_regex_words(text: str) -> int:
    r"""Return the number of ``\w+`` tokens: the length instruction's word count.

    Equivalent to NLTK's ``RegexpTokenizer(r"\w+")``, which both IFEval and
    MT-Eval use.
    """
    return len(_WORD_TOKEN.findall(text))


def _import_nltk() -> Any:
    """Import NLTK without the SciPy statistics module it pulls in for collocations.

    ``import nltk`` loads ``scipy.stats`` (via ``nltk.metrics``) when SciPy is
    installed: half a second and ~50 MB that sentence splitting never uses. NLTK
    guards that import, so hiding the module while NLTK loads makes it skip it;
    the module is unhidden at once, so ``import scipy.stats`` works afterwards.
    """
    if "nltk" in sys.modules:
        return sys.modules["nltk"]
    hidden = "scipy.stats" not in sys.modules
    if hidden:
        sys.modules["scipy.stats"] = None  # type: ignore[assignment]
    try:
        import nltk
    finally:
        if hidden and sys.modules.get("scipy.stats") is None:
            del sys.modules["scipy.stats"]
    _absolute_search_path(nltk)
    return nltk


def _absolute_search_path(nltk: Any) -> None:
    # A relative NLTK_DATA means the folder as seen from where mteval started,
    # whatever the working folder is when the sentence model is first loaded.
    nltk.data.path[:] = [
        os.path.abspath(p) if isinstance(p, str) and p and not os.path.isabs(p) else p
        for p in nltk.data.path
    ]


@functools.lru_cache(maxsize=1)
def ensure_punkt() -> None:
    """Make sure NLTK's ``punkt_tab`` model is available, downloading it if allowed.

    Looks in NLTK's search path (``NLTK_DATA`` first). When missing, tries one
    quiet download into NLTK's default folder; when that fails too, raises a
    :class:`~mteval.errors.ResourceError` saying what to do. NLTK's own
    download error goes into that message, not to standard error.

    Raises:
        ResourceError: punkt_tab is missing and could not be downloaded.
    """
    nltk = _import_nltk()
    _absolute_search_path(nltk)
    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
        nltk.sent_tokenize("Load the model. Now.")
        return
    except LookupError:
        pass
    messages = io.StringIO()
    try:
        ok = nltk.download("punkt_tab", quiet=True, raise_on_error=True, print_error_to=messages)
    except Exception:  # any network or disk failure: report one clear error below
        ok = False
    if ok:
        try:
            nltk.data.find("tokenizers/punkt_tab/english/")
            return
        except LookupError:
            pass
    reason = " ".join(messages.getvalue().replace("[nltk_data]", "").split())
    if len(reason) > 120:
        reason = reason[:119] + "…"
    searched = ", ".join(str(p) for p in nltk.data.path[:3])
    raise ResourceError(
        "NLTK's sentence model 'punkt_tab' was not found"
        + (f" (searched {searched}, …)" if searched else "")
        + " and could not be downloaded"
        + (f" ({reason})" if reason else "")
        + ": set NLTK_DATA to a folder containing tokenizers/punkt_tab/english, "
        "or run `python -m nltk.downloader punkt_tab` on a machine with internet"
    )


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences with NLTK's English Punkt model."""
    ensure_punkt()
    return list(_import_nltk().sent_tokenize(text))


def count_sentences(text: str) -> int:
    """Return ``len(nltk.sent_tokenize(text))``, the benchmark's sentence count."""
    return len(split_sentences(text))
