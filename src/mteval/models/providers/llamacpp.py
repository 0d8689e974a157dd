"""``llamacpp/PATH.gguf``: a GGUF file served by llama.cpp, started by mteval.

llama.cpp's own ``llama-server`` is used when it is on PATH: one process with
``n_parallel`` slots that batch together, prompt caching per slot, and
``/slots`` and ``/metrics`` for monitoring. Otherwise llama-cpp-python's
server (``python -m llama_cpp.server``, the ``mteval[llamacpp]`` extra) is
used; it answers one request at a time, so ``n_parallel`` servers are
started, each with its share of the CPU threads, and every request goes to
an idle one, preferring the one that served the dialogue's earlier turns,
whose KV cache still holds the shared prefix.

Options (``-M key=value``): ``n_ctx`` (context window per request),
``n_parallel`` (slots; the default concurrency), ``n_threads``,
``n_gpu_layers``, ``chat_format``, ``server`` (``auto``, ``llama-server``,
``python``), ``ready_timeout``; anything else goes to the server as a flag.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import Any, ClassVar

from mteval.errors import ConfigError
from mteval.models.fingerprint import file_fingerprint
from mteval.models.providers._managed import ManagedServerAPI, engine_flags

__all__ = ["LlamaCppAPI"]

# llama-server spells the common settings differently from llama-cpp-python.
_LLAMA_SERVER_FLAGS = {
    "n_threads": "--threads",
    "n_gpu_layers": "--n-gpu-layers",
    "chat_format": "--chat-template",
    "n_batch": "--batch-size",
}


class LlamaCppAPI(ManagedServerAPI):
    """A GGUF model behind llama.cpp's server (``llama-server`` or ``llama_cpp.server``)."""

    provider = "llamacpp"
    engine = "llama.cpp"
    MTEVAL_OPTIONS: ClassVar[dict[str, str]] = {
        **ManagedServerAPI.MTEVAL_OPTIONS,
        "server": "auto (llama-server if on PATH, else python), llama-server or python",
        "n_parallel": "parallel slots: requests served at once (the default concurrency)",
    }
    OPERATIONAL: ClassVar[frozenset[str]] = frozenset(
        {"n_threads", "n_threads_batch", "n_batch", "n_ubatch", "n_gpu_layers", "verbose"}
    )

    def _validate_options(self) -> None:
        super()._validate_options()
        server = self.options.get("server", "auto")
        if server not in ("auto", "llama-server", "python"):
            raise ConfigError(f"-M server={server!r}: use auto, llama-server or python")
        for name in ("n_parallel", "n_ctx", "n_threads"):
            value = self.options.get(name)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 1
            ):
                raise ConfigError(f"-M {name}={value!r}: give a positive whole number")

    @property
    def backend(self) -> str:
        """``llama-server`` or ``python`` (llama-cpp-python's server)."""
        choice = self.options.get("server", "auto")
        if choice == "auto":
            return "llama-server" if shutil.which("llama-server") else "python"
        return str(choice)

    @property
    def health_path(self) -> str:
        """llama-server has /health; llama-cpp-python's server answers /v1/models when loaded."""
        return "/health" if self.backend == "llama-server" else "/v1/models"

    @property
    def n_parallel(self) -> int:
        """Parallel slots: 4 in llama-server; one server per slot with llama-cpp-python."""
        value = self.options.get("n_parallel")
        if value is not None:
            return int(value)
        return 4 if self.backend == "llama-server" else 1

    def default_concurrency(self) -> int:
        """As many requests as there are slots."""
        return self.n_parallel

    def slots_per_server(self) -> int:
        """llama-server batches all its slots; each llama-cpp-python server serves one."""
        return self.n_parallel if self.backend == "llama-server" else 1

    def context_limit(self) -> int | None:
        """The context window given with ``-M n_ctx``."""
        value = self.options.get("n_ctx")
        return int(value) if value is not None else None

    def compute_fingerprint(self) -> str:
        """SHA-256 of the GGUF file (cached by path, size and mtime)."""
        path = Path(self.model_name).expanduser()
        if not path.is_file():
            raise OSError(f"no GGUF file at {path}")
        return file_fingerprint(path)

    def _passthrough(self) -> dict[str, Any]:
        skip = {"n_parallel", "server", "ready_timeout", "n_ctx", "n_threads"}
        return {k: v for k, v in self.options.items() if k not in skip}

    def server_argvs(self) -> list[list[str]]:
        """One llama-server with ``n_parallel`` slots, or ``n_parallel`` single-slot servers."""
        path = str(Path(self.model_name).expanduser().absolute())
        threads = self.options.get("n_threads")
        if self.backend == "llama-server":
            argv = [
                "llama-server",
                "--model",
                path,
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
                "--alias",
                self.model_name,
                "--parallel",
                str(self.n_parallel),
                "--metrics",
                "--slots",
            ]
            n_ctx = self.context_limit()
            if n_ctx is not None:
                # The KV cache is shared out among the slots: each gets n_ctx.
                argv += ["--ctx-size", str(n_ctx * self.n_parallel)]
            if threads is not None:
                argv += ["--threads", str(threads)]
            for key, value in self._passthrough().items():
                flag = _LLAMA_SERVER_FLAGS.get(key)
                argv += [flag, str(value)] if flag else engine_flags({key: value}, dashes=True)
            return [argv]
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError(
                "llamacpp/ needs llama.cpp's llama-server on PATH or llama-cpp-python: "
                "pip install 'mteval[llamacpp]'"
            )
        if threads is None:
            threads = max(1, (os.cpu_count() or 1) // self.n_parallel)
        argv = [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            path,
            "--model_alias",
            self.model_name,
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--n_threads",
            str(threads),
        ]
        if self.context_limit() is not None:
            argv += ["--n_ctx", str(self.context_limit())]
        argv += engine_flags(self._passthrough(), dashes=False, bool_style="value")
        return [list(argv) for _ in range(self.n_parallel)]

    async def preflight(self) -> None:
        """Check the backend exists before fingerprinting, then start the server(s)."""
        if not self._servers:
            self.server_argvs()  # raises the install hint early
        await super().preflight()


API = LlamaCppAPI
"""The class the registry serves ``llamacpp/...`` with."""
