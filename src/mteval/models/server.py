"""An engine's OpenAI-compatible server, started and owned by mteval.

:class:`ManagedServer` picks a free port, starts the command through
:mod:`mteval.models._watchdog` in a session of its own (so a Ctrl-C in the
terminal reaches mteval, which shuts the server down in order, and a
``kill -9`` of mteval still takes the server with it), waits until the
server answers its health route, and keeps the server's output in a log
file whose last lines every error quotes.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

from mteval.errors import EndpointError

__all__ = ["ManagedServer", "free_port"]

_LIVE: weakref.WeakSet[ManagedServer] = weakref.WeakSet()


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _stop_all_at_exit() -> None:
    for server in list(_LIVE):
        server.stop_now()


atexit.register(_stop_all_at_exit)


class ManagedServer:
    """One engine server process (behind its watchdog).

    Args:
        name: What the engine is called in messages (``llama.cpp``, ``vLLM``).
        argv: The server command; ``{port}`` in an argument becomes the port.
        health_path: A route that answers 200 once the model is loaded.
        ready_timeout_s: How long to wait for it.
        env: Extra environment variables for the server.
        host: The address it listens on.
    """

    def __init__(
        self,
        *,
        name: str,
        argv: Sequence[str],
        health_path: str = "/health",
        ready_timeout_s: float = 600.0,
        env: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.health_path = health_path
        self.ready_timeout_s = ready_timeout_s
        self.env = dict(env or {})
        self.host = host
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self.starts = 0

    @property
    def root_url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``…/v1``)."""
        return self.root_url + "/v1"

    @property
    def alive(self) -> bool:
        """Whether the server process is running."""
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        """The server command with the port filled in."""
        return [arg.replace("{port}", str(self.port)) for arg in self.argv]

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server printed (for error messages)."""
        if self.log_path is None:
            return "(no log)"
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return "\n".join("    " + line for line in tail) or "    (empty)"

    def _spawn(self) -> None:
        self.port = free_port(self.host)
        if self.log_path is None:
            folder = Path(tempfile.mkdtemp(prefix="mteval-engine-"))
            self.log_path = folder / "server.log"
        env = {**os.environ, **self.env}
        with self.log_path.open("ab") as log:
            log.write(f"--- mteval starts: {' '.join(self.command())}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mteval.models._watchdog", str(os.getpid()), "--"]
                + self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.starts += 1
        _LIVE.add(self)

    async def start(self) -> None:
        """Start the server and wait until it is ready.

        Raises:
            EndpointError: The server exited, or was not ready in time; the
                message quotes its last log lines.
        """
        try:
            self._spawn()
        except OSError as exc:
            raise EndpointError(
                f"cannot start {self.name} ({' '.join(self.command())}): {exc}"
            ) from None
        deadline = time.monotonic() + self.ready_timeout_s
        while True:
            if not self.alive:
                code = self.process.returncode if self.process else None
                raise EndpointError(
                    f"{self.name} exited (status {code}) before it was ready; log "
                    f"{self.log_path}, last lines:\n{self.log_tail()}"
                )
            if await asyncio.to_thread(self._healthy):
                return
            if time.monotonic() > deadline:
                await self.stop()
                raise EndpointError(
                    f"{self.name} was not ready within {self.ready_timeout_s:g} s "
                    f"(-M ready_timeout=SECONDS waits longer); log {self.log_path}, last "
                    f"lines:\n{self.log_tail()}"
                )
            await asyncio.sleep(0.25)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.root_url + self.health_path, timeout=2) as reply:
                return bool(reply.status == 200)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    async def restart(self) -> None:
        """Stop whatever is left of the server and start it again (a fresh port)."""
        await self.stop()
        await self.start()

    async def stop(self) -> None:
        """Shut the server down (SIGTERM to its watchdog, which ends the whole group)."""
        await asyncio.to_thread(self.stop_now)

    def stop_now(self, grace_s: float = 15.0) -> None:
        """Blocking :meth:`stop` (also run at interpreter exit)."""
        process = self.process
        _LIVE.discard(self)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
