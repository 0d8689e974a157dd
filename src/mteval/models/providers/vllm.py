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

from pathlib import Path
from typing import Any, ClassVar

from mteval.models.fingerprint import hub_revision, path_fingerprint
from mteval.models.providers._managed import ManagedServerAPI, engine_flags

__all__ = ["VLLMAPI", "checkpoint_fingerprint"]

DEFAULT_MAX_NUM_SEQS = 256


def checkpoint_fingerprint(model: str, revision: Any = None) -> str:
    """A local checkpoint folder's file hashes, or a hub model's snapshot revision."""
    path = Path(model).expanduser()
    if path.exists():
        return path_fingerprint(path)
    return hub_revision(model, str(revision) if revision is not None else None)


class VLLMAPI(ManagedServerAPI):
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

    @property
    def max_num_seqs(self) -> int:
        """Sequences vLLM runs at once: ``-M max_num_seqs`` or 256."""
        return int(self.options.get("max_num_seqs", DEFAULT_MAX_NUM_SEQS))

    def default_concurrency(self) -> int:
        """As many requests as vLLM batches."""
        return self.max_num_seqs

    def context_limit(self) -> int | None:
        """``-M max_model_len``, when given."""
        value = self.options.get("max_model_len")
        return int(value) if value is not None else None

    def compute_fingerprint(self) -> str:
        """File hashes of a local folder, or the hub snapshot revision."""
        return checkpoint_fingerprint(self.model_name, self.options.get("revision"))

    def server_argvs(self) -> list[list[str]]:
        """``vllm serve MODEL --host 127.0.0.1 --port P --enable-prefix-caching ...``."""
        options: dict[str, Any] = {"enable_prefix_caching": True, **self.engine_options()}
        options["max_num_seqs"] = self.max_num_seqs
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
