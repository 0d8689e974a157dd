"""Run an engine's server so that it never outlives mteval.

``python -m mteval.models._watchdog PARENT_PID -- COMMAND...`` starts COMMAND
in this process's group (mteval starts the watchdog in a new session) and
waits. It tears the whole group down (SIGTERM, then SIGKILL after a grace
period) when mteval asks (SIGTERM/SIGINT) or when mteval is gone, even after a
``kill -9`` that gives mteval no chance to clean up: Linux tells the watchdog
at once through ``PR_SET_PDEATHSIG``, and a check of the parent pid twice a
second covers other systems. When the server exits by itself, the watchdog
reaps what the server left behind and exits with its status.

Kept free of mteval imports: it starts in a fraction of a second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

_GRACE_S = 10.0
_PR_SET_PDEATHSIG = 1


def _ask_for_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGUSR1), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the parent-pid check still notices


def _tear_down(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM the group (the server and anything it started); SIGKILL it if the server stays."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    group = os.getpgid(0)
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + _GRACE_S
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return
        time.sleep(0.1)
    # The server ignored SIGTERM: kill the group, this process with it.
    os.killpg(group, signal.SIGKILL)


def main(argv: list[str]) -> int:
    """Entry point: ``PARENT_PID -- COMMAND...``."""
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m mteval.models._watchdog PARENT_PID -- COMMAND...", file=sys.stderr)
        return 2
    parent = int(argv[0])
    _ask_for_parent_death_signal()
    if os.getppid() != parent:
        return 1  # mteval died before we were ready
    stop = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop
        # SIGUSR1 is the parent-death signal; it also fires when only the thread
        # that started us ends, so believe it only if the parent is really gone.
        if signum != signal.SIGUSR1 or os.getppid() != parent:
            stop = True

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
        signal.signal(signum, request_stop)
    child = subprocess.Popen(argv[2:])
    while not stop and child.poll() is None:
        time.sleep(0.5 if os.getppid() == parent else 0.0)
        if os.getppid() != parent:
            stop = True
    code = child.poll()
    _tear_down(child)
    return code if code is not None else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
