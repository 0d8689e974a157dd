r"""Reading the judge's rating, as OpenCompass's ``post_process_mtbench101`` does.

The judge is asked to end with ``Rating: [[score]]``; OpenCompass takes the
first run of ASCII digits enclosed in square brackets anywhere in the reply
(``re.search(r'\[([0-9]+)\]', judgement)``) as the rating, with no range
check, and drops the turn when there is none.
"""

from __future__ import annotations

import re

__all__ = ["parse_rating"]

# [0-9], not \d: Python's \d also matches non-ASCII digits, the reference's class does not.
_RATING = re.compile(r"\[([0-9]+)\]")


def parse_rating(reply: str) -> int | None:
    """Return the first bracketed integer in a judge reply, or ``None`` if there is none.

    Args:
        reply: The judge's reply text.
    """
    match = _RATING.search(reply)
    return int(match.group(1)) if match else None
