"""``sglang/MODEL``: a checkpoint served by SGLang, started by mteval.

``python -m sglang.launch_server`` serves MODEL (a Hugging Face folder or hub
id). SGLang's RadixAttention caches shared prefixes by default, which suits
mteval's back-to-back turns of one dialogue. Concurrency defaults to
``max_running_requests`` (256, passed to the server).

Options (``-M key=value``): any ``launch_server`` flag in its underscore form
(``context_length``, ``tp_size``, ``mem_fraction_static``, ``dtype``,
``max_running_requests``, ...), plus ``ready_timeout``.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from mteval.models.providers._managed import ManagedServerAPI, engine_flags
from mteval.models.providers.vllm import checkpoint_fingerprint

__all__ = ["SGLangAPI"]

DEFAULT_MAX_RUNNING_REQUESTS = 256


class SGLangAPI(ManagedServerAPI):
    """A checkpoint behind SGLang's OpenAI-compatible server."""

    provider = "sglang"
    engine = "SGLang"
    OPERATIONAL: ClassVar[frozenset[str]] = frozenset(
        {
            "max_running_requests",
            "mem_fraction_static",
            "tp_size",
            "dp_size",
            "chunked_prefill_size",
            "disable_radix_cache",
            "cuda_graph_max_bs",
        }
    )

    @property
    def max_running_requests(self) -> int:
        """Requests SGLang runs at once: ``-M max_running_requests`` or 256."""
        return int(self.options.get("max_running_requests", DEFAULT_MAX_RUNNING_REQUESTS))

    def default_concurrency(self) -> int:
        """As many requests as SGLang batches."""
        return self.max_running_requests

    def context_limit(self) -> int | None:
        """``-M context_length``, when given."""
        value = self.options.get("context_length")
        return int(value) if value is not None else None

    def compute_fingerprint(self) -> str:
        """File hashes of a local folder, or the hub snapshot revision."""
        return checkpoint_fingerprint(self.model_name, self.options.get("revision"))

    def server_argvs(self) -> list[list[str]]:
        """``python -m sglang.launch_server --model-path MODEL --port P ...``."""
        options: dict[str, Any] = dict(self.engine_options())
        options["max_running_requests"] = self.max_running_requests
        return [
            [
                sys.executable,
                "-m",
                "sglang.launch_server",
                "--model-path",
                self.model_name,
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
                "--served-model-name",
                self.model_name,
                *engine_flags(options, dashes=True, bool_style="only-true"),
            ]
        ]


API = SGLangAPI
"""The class the registry serves ``sglang/...`` with."""
