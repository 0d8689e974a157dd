"""Start the viewer: open the store read-only, bind, serve until Ctrl-C."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

from mteval.errors import StoreError
from mteval.store.sqlite import RunStore
from mteval.store.views import quick_check

__all__ = ["LOCAL_HOSTS", "bind", "open_store", "serve"]

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
"""Hosts only this machine can reach (anything else gets a warning)."""


def open_store(path: str | os.PathLike[str]) -> RunStore:
    """Open a run store read-only and check that every page of it reads.

    Raises:
        StoreError: It is missing, not an mteval store, or damaged (one clear
            message naming the file and what to do).
    """
    store = RunStore(Path(path), read_only=True)
    try:
        verdict = quick_check(store)
    except Exception as exc:  # sqlite3.DatabaseError: a page cannot be read at all
        store.close()
        raise StoreError(
            f"{path} is damaged ({exc}): recover it with `sqlite3 {path} .recover`, or pass "
            "another store with --db"
        ) from None
    if verdict != "ok":
        store.close()
        raise StoreError(
            f"{path} is damaged ({verdict.splitlines()[0]}): recover it with "
            f"`sqlite3 {path} .recover`, or pass another store with --db"
        )
    return store


def bind(host: str, port: int) -> socket.socket:
    """Bind a listening socket (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise StoreError(
            f"cannot listen on {host}:{port} ({exc.strerror}): pick another --port"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(app: object, sock: socket.socket, *, on_ready: Callable[[], None] | None = None) -> None:
    """Serve ``app`` on ``sock`` until interrupted (Ctrl-C)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    if on_ready is not None:
        on_ready()
    server.run(sockets=[sock])
