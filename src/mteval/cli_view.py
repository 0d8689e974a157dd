"""The ``mteval view`` command: the local web viewer over a run store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mteval.cli_common import err, out
from mteval.cli_common import guard as _guard

__all__ = ["register"]


def view_command(
    db: Annotated[Path, typer.Option(help="The run store (SQLite), opened read-only.")] = Path(
        "mteval.db"
    ),
    host: Annotated[
        str, typer.Option(help="Interface to listen on (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).", min=0, max=65535)] = 0,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="The benchmark's data, for user messages and reference replies."),
    ] = None,
) -> None:
    """Browse runs, read dialogues turn by turn and compare runs in a local web app."""

    def body() -> None:
        from mteval.benchmarks import get_benchmark
        from mteval.store import RunStore
        from mteval.viewer import (
            LOCAL_HOSTS,
            LOCAL_NAMES,
            References,
            TableCache,
            ViewerConfig,
            bind,
            create_app,
            open_store,
            serve,
        )

        store = open_store(db)
        try:
            references = References(get_benchmark().load_sources(data_dir, download=False))
            cache = TableCache()
            # Score tables take a bootstrap per run: compute them before anyone asks.
            cache.warm(lambda: RunStore(db, read_only=True))
            public = host not in LOCAL_HOSTS
            app = create_app(
                ViewerConfig(
                    store=store,
                    references=references,
                    cache=cache,
                    # Other machines reach it by names we cannot know in advance.
                    allowed_hosts=("*",) if public else LOCAL_NAMES,
                )
            )
            sock = bind(host, port)
            bound = sock.getsockname()[1]
            shown = f"[{host}]" if ":" in host else host
            if public:
                err.print(
                    f"[yellow]warning:[/] listening on {escape(host)}: every prompt, reply and "
                    "score in this store is readable by anyone who can reach this port",
                    highlight=False,
                )
            url = f"http://{shown}:{bound}/"

            def ready() -> None:
                out.print(f"mteval view: {url}  (Ctrl-C stops it)", highlight=False)

            serve(app, sock, on_ready=ready)
        finally:
            store.close()

    _guard(body)


def register(app: typer.Typer) -> None:
    """Add ``mteval view`` to the main app."""
    app.command("view")(view_command)
