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
from typing import ClassVar

from mteval.models.providers._managed import CheckpointServerAPI, engine_flags

__all__ = ["SGLangAPI"]

DEFAULT_MAX_RUNNING_REQUESTS = 256


class SGLangAPI(CheckpointServerAPI):
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

    batch_option = "max_running_requests"
    context_option = "context_length"
    DEFAULT_BATCH = DEFAULT_MAX_RUNNING_REQUESTS

    @property
    def max_running_requests(self) -> int:
        """Requests SGLang runs at once: ``-M max_running_requests`` or 256."""
        return self.batch_size

    def server_argvs(self) -> list[list[str]]:
        """``python -m sglang.launch_server --model-path MODEL --port P ...``."""
        options = self.batch_options()
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
