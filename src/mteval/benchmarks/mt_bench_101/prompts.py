"""The judge prompt, assembled byte for byte as OpenCompass sends it.

OpenCompass builds a system prompt (``judge + unique_prompt[task] +
score_format``) and a prompt template (``eval_prompt_construct``) per
evaluated turn, formats the dialogue text and reference into the template
with ``str.format`` (leaving ``{prediction}``), and later replaces every
``{prediction}`` in it by the answer (``safe_format``, a plain
``str.replace``). With an API judge whose meta template has no system role,
the system prompt falls back to the human role and the two consecutive human
prompts are merged with a newline: the judge gets one user message.
"""

from __future__ import annotations

from .rubrics import PREAMBLE, RUBRICS, SCORE_FORMAT
from .taxonomy import REFERENCE_TASKS

__all__ = ["judge_message", "prompt_template", "system_prompt"]

_DIALOGUE_OPEN = "The dialogue need to be judged is: \n *** \n "
_DIALOGUE_CLOSE = " \n ***"
# The reference block's odd indentation is a line continuation inside the
# reference code's string literal: the next source line's 20 spaces are text.
_REFERENCE_OPEN = "\n\n" + " " * 20 + "The reference solution is: \n ### \n "
_REFERENCE_CLOSE = " \n ###\n\n"
_PREDICTION = "{prediction}"


def system_prompt(task: str) -> str:
    """Return the judge's instructions for a task (preamble, rubric, score format)."""
    return PREAMBLE + RUBRICS[task] + SCORE_FORMAT


def prompt_template(task: str, history: str, reference: str | None) -> str:
    """Return the prompt with the dialogue filled in and ``{prediction}`` still open.

    Args:
        task: Task abbreviation.
        history: The judge's dialogue text (see :func:`.protocol.judge_history`).
        reference: The reference solution (MR and GR), else ``None``.

    Raises:
        ValueError: ``reference`` is missing for MR/GR or given for another task.
    """
    if task not in RUBRICS:
        raise KeyError(task)
    body = _DIALOGUE_OPEN + history + " " + _PREDICTION + _DIALOGUE_CLOSE
    if task in REFERENCE_TASKS:
        if reference is None:
            raise ValueError(f"task {task} needs a reference solution")
        return body + _REFERENCE_OPEN + reference + _REFERENCE_CLOSE
    if reference is not None:
        raise ValueError(f"task {task} takes no reference solution")
    return body


def judge_message(task: str, history: str, reference: str | None, prediction: str) -> str:
    """Return the one user message the judge receives for an answer.

    Args:
        task: Task abbreviation.
        history: The judge's dialogue text.
        reference: The MR/GR reference solution, else ``None``.
        prediction: The model's answer to the last turn.
    """
    filled = prompt_template(task, history, reference).replace(_PREDICTION, prediction)
    return system_prompt(task) + "\n" + filled
