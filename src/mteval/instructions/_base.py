"""The shape every verifiable instruction shares, and strict argument reading.

An instruction is a frozen dataclass holding its validated arguments. It is
built from the benchmark's JSON-like ``kwargs`` by :meth:`Instruction.from_kwargs`,
renders the text given to the model with :meth:`Instruction.describe` and
grades a response with :meth:`Instruction.check`, which never raises.

Arguments are read the way the original constructors read them: a value of
``None`` means "absent". Where an original would replace an absent or
out-of-range value with a random draw, the value is required here (a random
draw cannot be reproduced when grading), and a missing or bad value raises
:class:`~mteval.errors.InstructionError`.
"""

from __future__ import annotations

import abc
import reprlib
from collections.abc import Mapping, Sequence
from typing import ClassVar, Literal

from mteval.errors import InstructionError

__all__ = ["Family", "Instruction", "KwargsReader"]

Family = Literal["ifeval", "mt-eval"]

_short_repr = reprlib.Repr()
_short_repr.maxstring = 60
_short_repr.maxother = 60


class KwargsReader:
    """Validated access to one instruction's keyword arguments.

    Args:
        instruction_id: The instruction the arguments belong to (for messages).
        kwargs: The raw arguments; entries whose value is ``None`` are dropped.
        allowed: The argument names the instruction takes.

    Raises:
        InstructionError: ``kwargs`` is not a mapping or has an unknown name.
    """

    def __init__(
        self, instruction_id: str, kwargs: Mapping[str, object], allowed: Sequence[str]
    ) -> None:
        self.instruction_id = instruction_id
        if not isinstance(kwargs, Mapping):
            raise InstructionError(
                f"arguments of instruction {instruction_id!r} must be a mapping, "
                f"got {type(kwargs).__name__}"
            )
        self.values: dict[str, object] = {k: v for k, v in kwargs.items() if v is not None}
        unknown = sorted(repr(k) for k in self.values if k not in allowed)
        if unknown:
            takes = f"it takes: {', '.join(allowed)}" if allowed else "it takes no arguments"
            raise InstructionError(
                f"instruction {instruction_id!r} got unexpected argument(s) "
                f"{', '.join(unknown)}; {takes}"
            )

    def has(self, name: str) -> bool:
        """Return whether ``name`` was given (with a value other than ``None``)."""
        return name in self.values

    def invalid(self, name: str, expected: str) -> InstructionError:
        """Return the error for a missing or bad value of ``name``."""
        if name not in self.values:
            return InstructionError(
                f"instruction {self.instruction_id!r} needs argument {name!r} ({expected})"
            )
        return InstructionError(
            f"invalid argument {name!r} for instruction {self.instruction_id!r}: "
            f"expected {expected}, got {_short_repr.repr(self.values[name])}"
        )

    def integer(self, name: str, *, minimum: int | None = None) -> int:
        """Return the integer ``name``, at least ``minimum`` when one is given."""
        expected = "an integer" if minimum is None else f"an integer >= {minimum}"
        value = self.values.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.invalid(name, expected)
        if minimum is not None and value < minimum:
            raise self.invalid(name, expected)
        return value

    def string(self, name: str, *, nonempty: bool = False) -> str:
        """Return the string ``name``; with ``nonempty``, an empty one is an error."""
        value = self.values.get(name)
        if not isinstance(value, str) or (nonempty and not value):
            raise self.invalid(name, "a non-empty string" if nonempty else "a string")
        return value

    def strings(self, name: str, *, nonempty: bool = False) -> list[str]:
        """Return the list (or tuple) of strings ``name`` as a new list."""
        expected = "a non-empty list of strings" if nonempty else "a list of strings"
        value = self.values.get(name)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise self.invalid(name, expected)
        if nonempty and not value:
            raise self.invalid(name, expected)
        return list(value)

    def choice(self, name: str, options: Sequence[str]) -> str:
        """Return ``name``, which must be one of ``options``."""
        value = self.values.get(name)
        if not isinstance(value, str) or value not in options:
            raise self.invalid(name, "one of " + ", ".join(repr(o) for o in options))
        return value


class Instruction(abc.ABC):
    """A verifiable instruction with validated arguments.

    Subclasses are frozen dataclasses whose fields are the arguments, set
    ``instruction_id``, ``family`` and ``arg_names``, and implement
    :meth:`parse`, :meth:`describe` and :meth:`check`.
    """

    instruction_id: ClassVar[str]
    family: ClassVar[Family]
    arg_names: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, object]) -> Instruction:
        """Build the instruction from JSON-like arguments.

        Args:
            kwargs: The arguments, by name; ``None`` values count as absent.

        Returns:
            The instruction.

        Raises:
            InstructionError: An argument is unknown, missing or invalid.
        """
        return cls.parse(KwargsReader(cls.instruction_id, kwargs, cls.arg_names))

    @classmethod
    def parse(cls, args: KwargsReader) -> Instruction:
        """Build the instruction from validated arguments (none by default)."""
        return cls()

    @abc.abstractmethod
    def describe(self) -> str:
        """Return the instruction text given to the model."""

    @abc.abstractmethod
    def check(self, response: str) -> bool:
        """Return whether ``response`` follows the instruction; never raises."""
