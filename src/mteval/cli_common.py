"""What every ``mteval`` command shares: the consoles and the one-line error guard."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from typing import IO, TextIO, TypeVar, cast

import typer
from rich.console import Console
from rich.markup import escape

from mteval.errors import MtevalError

__all__ = ["err", "guard", "out"]


class _TrimmedLines(io.TextIOBase):
    """The standard stream, without the spaces Rich pads a line with to the table width.

    Piped output (files, CI logs, ``grep``) keeps wide tables instead of
    truncated cells, but no line carries trailing blanks. The stream is looked
    up at each write, so that a replaced ``sys.stdout`` (tests) is honoured.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._pending = ""

    def _target(self) -> TextIO:
        stream: TextIO = getattr(sys, self._name)
        return stream

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        if lines:
            self._target().write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._target().write(self._pending)
            self._pending = ""
        self._target().flush()


def _console(name: str) -> Console:
    if getattr(sys, name).isatty():
        return Console(stderr=name == "stderr")
    return Console(file=cast(IO[str], _TrimmedLines(name)), width=200)


out = _console("stdout")
err = _console("stderr")

_T = TypeVar("_T")


def guard(action: Callable[[], _T]) -> _T:
    """Run a command body, turning errors into one line and an exit status.

    A user-caused error (:class:`~mteval.errors.MtevalError`) prints
    ``error: ...`` and exits 2; Ctrl-C exits 130 after saying that the work done
    so far is stored.
    """
    try:
        return action()
    except MtevalError as exc:
        # Messages quote user input (paths, flags, names): print them as text, not markup.
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except OSError as exc:  # a path the user gave cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        message = f"{where}{exc.strerror or exc}; check the path and its permissions"
        err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print(
            "[yellow]interrupted:[/] everything finished so far is stored; run the same "
            "command again to resume",
            highlight=False,
        )
        raise typer.Exit(130) from None
