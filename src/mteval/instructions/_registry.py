"""Instruction ids, the dialect that defines each, and the three public entry points."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Literal

from mteval.errors import InstructionError
from mteval.instructions._base import Instruction
from mteval.instructions._ifeval import IFEVAL_INSTRUCTIONS
from mteval.instructions._ifeval import RELATIONS as IFEVAL_RELATIONS
from mteval.instructions._mteval import MTEVAL_INSTRUCTIONS

__all__ = [
    "IFEVAL_IDS",
    "INSTRUCTION_IDS",
    "MTEVAL_IDS",
    "Dialect",
    "check",
    "describe",
    "resolve",
    "sample_mteval_args",
]

Dialect = Literal["ifeval", "mt-eval"]

#: IFEval's 25 instruction ids, in the order of its registry.
IFEVAL_IDS: tuple[str, ...] = tuple(IFEVAL_INSTRUCTIONS)
#: The 15 instruction ids of MT-Eval's ``global_inst.jsonl``.
MTEVAL_IDS: tuple[str, ...] = tuple(MTEVAL_INSTRUCTIONS)
#: Every instruction id either family defines, sorted.
INSTRUCTION_IDS: tuple[str, ...] = tuple(sorted(set(IFEVAL_IDS) | set(MTEVAL_IDS)))

_DIALECTS: tuple[Dialect, ...] = ("ifeval", "mt-eval")
_FAMILY_NAMES = {"ifeval": "IFEval", "mt-eval": "MT-Eval"}


def _uses_ifeval_convention(
    ifeval_cls: type[Instruction], mteval_cls: type[Instruction], kwargs: object
) -> bool:
    """Return whether ``kwargs`` follow IFEval's argument convention, not MT-Eval's.

    That is: they name an argument only IFEval's variant takes (``language``
    rather than ``lang``), or use a relation only IFEval has ("at least").
    """
    if not isinstance(kwargs, Mapping):
        return False
    given = {name for name, value in kwargs.items() if value is not None}
    if given - set(mteval_cls.arg_names) and given <= set(ifeval_cls.arg_names):
        return True
    relation = kwargs.get("relation")
    return relation in IFEVAL_RELATIONS and relation != "less than"


def resolve(
    instruction_id: str, kwargs: Mapping[str, object], *, dialect: str | None = None
) -> type[Instruction]:
    """Return the instruction class that ``instruction_id`` means here.

    Args:
        instruction_id: An id from :data:`INSTRUCTION_IDS`.
        kwargs: The instruction's arguments (they pick the family of an id both
            define when ``dialect`` is None).
        dialect: ``"ifeval"`` or ``"mt-eval"`` to force a family; None to
            prefer MT-Eval's variant unless the arguments follow IFEval's
            convention.

    Returns:
        The instruction class.

    Raises:
        InstructionError: The id is unknown, or not defined by the forced dialect,
            or the dialect is unknown.
    """
    if dialect is not None and dialect not in _DIALECTS:
        raise InstructionError(
            f"unknown instruction dialect {dialect!r}; use 'ifeval', 'mt-eval' or None"
        )
    ifeval_cls = IFEVAL_INSTRUCTIONS.get(instruction_id)
    mteval_cls = MTEVAL_INSTRUCTIONS.get(instruction_id)
    if ifeval_cls is None and mteval_cls is None:
        raise InstructionError(
            f"unknown instruction id {instruction_id!r}; known ids: {', '.join(INSTRUCTION_IDS)}"
        )
    if dialect is not None:
        chosen = ifeval_cls if dialect == "ifeval" else mteval_cls
        if chosen is None:
            ids = IFEVAL_IDS if dialect == "ifeval" else MTEVAL_IDS
            raise InstructionError(
                f"instruction id {instruction_id!r} is not defined by "
                f"{_FAMILY_NAMES[dialect]} (dialect={dialect!r}); its ids: {', '.join(ids)}"
            )
        return chosen
    if ifeval_cls is None:
        assert mteval_cls is not None
        return mteval_cls
    if mteval_cls is None or _uses_ifeval_convention(ifeval_cls, mteval_cls, kwargs):
        return ifeval_cls
    return mteval_cls


def _build(instruction_id: str, kwargs: Mapping[str, object], dialect: str | None) -> Instruction:
    return resolve(instruction_id, kwargs, dialect=dialect).from_kwargs(kwargs)


def check(
    instruction_id: str,
    kwargs: Mapping[str, object],
    response: str,
    *,
    dialect: str | None = None,
) -> bool:
    """Return whether ``response`` follows the instruction.

    Never raises because of the response: any string (empty, whitespace only,
    any Unicode, very long) gets a verdict.

    Args:
        instruction_id: An id from :data:`INSTRUCTION_IDS`, e.g. ``"startend:start_char"``.
        kwargs: The instruction's arguments, e.g. ``{"letter": "o"}``; entries
            whose value is None count as absent.
        response: The model's response.
        dialect: ``"ifeval"`` or ``"mt-eval"`` to force a family for an id both
            define; None to pick MT-Eval's variant unless ``kwargs`` follow
            IFEval's convention (``language`` instead of ``lang``, relation
            ``"at least"``).

    Returns:
        True if the response follows the instruction.

    Raises:
        InstructionError: Unknown id or dialect, or invalid arguments.
        TypeError: ``response`` is not a string.
    """
    instruction = _build(instruction_id, kwargs, dialect)
    if not isinstance(response, str):
        raise TypeError(f"response must be a str, got {type(response).__name__}")
    return instruction.check(response)


def describe(
    instruction_id: str, kwargs: Mapping[str, object], *, dialect: str | None = None
) -> str:
    """Return the instruction text given to the model, exactly as the original renders it.

    Args:
        instruction_id: An id from :data:`INSTRUCTION_IDS`.
        kwargs: The instruction's arguments; entries whose value is None count as absent.
        dialect: As for :func:`check`.

    Returns:
        The prompt text (IFEval's ``build_description`` or MT-Eval's ``get_prompt``).

    Raises:
        InstructionError: Unknown id or dialect, or invalid arguments.
    """
    return _build(instruction_id, kwargs, dialect).describe()


def sample_mteval_args(instruction_id: str, rng: random.Random) -> dict[str, object]:
    """Draw an MT-Eval instruction's arguments as its original constructor did.

    Makes exactly the calls the constructor made on MT-Eval's module-level
    seeder, in the same order, so that replaying ``random.Random(11)`` over the
    benchmark's construction order reproduces its arguments.

    Args:
        instruction_id: An id from :data:`MTEVAL_IDS`.
        rng: The generator to draw from (advanced by the draws).

    Returns:
        The arguments as the original ``get_args()`` returns them, with JSON
        types (lists for sequences).

    Raises:
        InstructionError: The id is not an MT-Eval instruction.
    """
    mteval_cls = MTEVAL_INSTRUCTIONS.get(instruction_id)
    if mteval_cls is None:
        raise InstructionError(
            f"{instruction_id!r} is not an MT-Eval instruction id; "
            f"MT-Eval ids: {', '.join(MTEVAL_IDS)}"
        )
    return mteval_cls.sample(rng)
