"""``vllm/MODEL``: a checkpoint served by vLLM (``vllm serve``), started by mteval.

MODEL is a Hugging Face folder or hub id. Prefix caching is switched on
(``--enable-prefix-caching``): mteval plays a dialogue's turns back to back,
and each turn's prompt extends the previous one. Concurrency defaults to
``max_num_seqs`` (256, passed to the server), the sequences vLLM batches.

Options (``-M key=value``): any ``vllm serve`` flag in its underscore form
(``max_model_len``, ``tensor_parallel_size``, ``gpu_memory_utilization``,
``dtype``, ``max_num_seqs``, ...; ``true``/``false`` for switches), plus
``ready_timeout``.
"""

from __future__ import annotations

from typing import ClassVar

from mteval.models.providers._managed import (
    CheckpointServerAPI,
    checkpoint_fingerprint,
    engine_flags,
)

__all__ = ["VLLMAPI", "checkpoint_fingerprint"]

DEFAULT_MAX_NUM_SEQS = 256


class VLLMAPI(CheckpointServerAPI):
    """A checkpoint behind ``vllm serve`` (OpenAI-compatible)."""

    provider = "vllm"
    engine = "vLLM"
    OPERATIONAL: ClassVar[frozenset[str]] = frozenset(
        {
            "max_num_seqs",
            "gpu_memory_utilization",
            "tensor_parallel_size",
            "pipeline_parallel_size",
            "enable_prefix_caching",
            "max_num_batched_tokens",
            "swap_space",
            "enforce_eager",
        }
    )

    batch_option = "max_num_seqs"
    context_option = "max_model_len"
    DEFAULT_BATCH = DEFAULT_MAX_NUM_SEQS

    @property
    def max_num_seqs(self) -> int:
        """Sequences vLLM runs at once: ``-M max_num_seqs`` or 256."""
        return self.batch_size

    def server_argvs(self) -> list[list[str]]:
        """``vllm serve MODEL --host 127.0.0.1 --port P --enable-prefix-caching ...``."""
        options = {"enable_prefix_caching": True, **self.batch_options()}
        return [
            [
                "vllm",
                "serve",
                self.model_name,
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
                "--served-model-name",
                self.model_name,
                *engine_flags(options, dashes=True, bool_style="switch"),
            ]
        ]


API = VLLMAPI
"""The class the registry serves ``vllm/...`` with."""
