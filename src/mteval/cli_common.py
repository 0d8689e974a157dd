"""What every ``mteval`` command shares: the consoles and the one-line error guard."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from mteval.errors import MtevalError

__all__ = ["err", "guard", "out"]

# Piped output (files, CI logs) gets wide tables instead of truncated cells.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

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
