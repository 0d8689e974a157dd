"""What every ``mteval`` command shares: the consoles, the one-line error guard, signals."""

from __future__ import annotations

import asyncio
import io
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import IO, Any, TextIO, TypeVar, cast

import typer
from rich.console import Console
from rich.markup import escape

from mteval.errors import MtevalError

__all__ = ["Interrupted", "err", "guard", "out", "run_until_signalled"]


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


class Interrupted(Exception):
    """The process was asked to stop by a signal (SIGTERM, SIGHUP).

    Attributes:
        signum: The signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# What schedulers (Slurm, Kubernetes, systemd) and closed terminals send; Ctrl-C
# (SIGINT) is asyncio.run's own.
STOP_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s
)


def run_until_signalled(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run`` that treats SIGTERM and SIGHUP like Ctrl-C.

    The signal cancels the coroutine, so that it stores what it finished and
    marks its run interrupted, as it does on Ctrl-C.

    Raises:
        Interrupted: A stop signal arrived.
    """
    received: list[int] = []

    async def main() -> _T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        inner = asyncio.ensure_future(coroutine)

        def stop(signum: int) -> None:
            if not received:
                received.append(signum)
                inner.cancel()

        installed = []
        for signum in STOP_SIGNALS:
            try:
                loop.add_signal_handler(signum, stop, signum)
                installed.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                pass
        try:
            return await inner
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)

    try:
        return asyncio.run(main())
    except asyncio.CancelledError:
        if received:
            raise Interrupted(received[0]) from None
        raise


def guard(action: Callable[[], _T]) -> _T:
    """Run a command body, turning errors into one line and an exit status.

    A user-caused error (:class:`~mteval.errors.MtevalError`) prints
    ``error: ...`` and exits 2; Ctrl-C exits 130 and SIGTERM / SIGHUP exit
    128 + the signal's number (143 / 129), after saying that the work done so
    far is stored.
    """
    try:
        return action()
    except Interrupted as exc:
        err.print(
            f"[yellow]interrupted ({signal.Signals(exc.signum).name}):[/] everything finished "
            "so far is stored; run the same command again to resume",
            highlight=False,
        )
        raise typer.Exit(128 + exc.signum) from None
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
