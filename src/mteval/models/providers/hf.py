"""``hf/MODEL_OR_PATH``: a checkpoint run in process by Hugging Face transformers.

The MT-Eval paper's own path for open models (its ``inference.py``): the
tokenizer's chat template, greedy decoding unless a temperature is given,
and ``model.generate``. MODEL_OR_PATH is a hub id, a local checkpoint folder,
or a ``.gguf`` file (dequantized by transformers; needs the ``gguf`` package).
Needs the ``mteval[hf]`` extra; uses the GPU when there is one.

Generation runs on one worker thread, never on the event loop, so the store
and the judge's endpoint keep going. Requests that arrive while a batch runs
wait in a queue; the next batch takes up to ``batch_size`` of them with the
same settings (dynamic batching), left-padded.

Options (``-M key=value``): ``batch_size`` (default 8; the default
concurrency is twice that, so the next batch is ready when one ends),
``device`` (``cuda``, ``cpu``, ...), ``dtype`` (``float32``, ``bfloat16``,
...), ``n_ctx`` (context window; default the model's), ``revision``,
``trust_remote_code``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from mteval.errors import ConfigError
from mteval.models.base import ContextLengthError, FailureInfo, ModelAPI
from mteval.models.fingerprint import file_fingerprint, folder_fingerprint, hub_revision
from mteval.types import ChatMessage, GenerateConfig, ModelOutput, Usage

__all__ = ["HFLocalAPI"]


@dataclass
class _Request:
    messages: Sequence[ChatMessage]
    config: GenerateConfig
    future: asyncio.Future[ModelOutput]
    loop: asyncio.AbstractEventLoop
    queued_at: float


def _settle(future: asyncio.Future[ModelOutput], result: Any) -> None:
    if future.done():
        return  # the caller gave up (cancelled)
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


class HFLocalAPI(ModelAPI):
    """A transformers model in this process, batched on one worker thread."""

    provider = "hf"
    api_key_env: ClassVar[str | None] = None
    OPTIONS: ClassVar[dict[str, str]] = {
        "batch_size": "requests generated together (default 8)",
        "device": "torch device (default: cuda when available, else cpu)",
        "dtype": "weights dtype (default: bfloat16 on GPU, float32 on CPU)",
        "n_ctx": "context window in tokens (default: the model's)",
        "revision": "hub revision (branch, tag or commit)",
        "trust_remote_code": "run the checkpoint's own modelling code (true/false)",
    }
    OPERATIONAL: ClassVar[frozenset[str]] = frozenset({"batch_size", "device"})

    def __init__(
        self,
        *,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 300.0,
        max_connections: int = 64,
        options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(model_name=model_name, base_url=None, options=options)
        if base_url is not None:
            raise ConfigError(
                f"hf/{model_name} runs in process: leave out the base URL (for a server, "
                "use openai/NAME --model-base-url URL)"
            )
        for module in ("torch", "transformers"):
            if importlib.util.find_spec(module) is None:
                raise ConfigError(f"the hf provider needs {module}: pip install 'mteval[hf]'")
        self._validate_options()
        size = self.options.get("batch_size", 8)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ConfigError(f"-M batch_size={size!r}: give a positive whole number")
        self.batch_size: int = size
        self._fingerprint: str | None = None
        self._model: Any = None
        self._tokenizer: Any = None
        self._device: str = "cpu"
        self._limit: int | None = None
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self.batches: list[int] = []
        """Size of every batch generated (for tests and benchmarks)."""

    # -- identity and limits -----------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """``hf:MODEL`` (no URL: the model runs here)."""
        return f"hf:{self.model_name}"

    @property
    def connection_key(self) -> str:
        """One limit per loaded model."""
        return f"hf/{self.model_name}#{id(self):x}"

    def default_concurrency(self) -> int:
        """Two batches: one generating, the next one filling up."""
        return 2 * self.batch_size

    def fixed_capacity(self) -> bool:
        """The engine's batch capacity is known: no adaptive backing off below it."""
        return True

    def weights_fingerprint(self) -> str | None:
        """The weights' fingerprint (after :meth:`preflight`)."""
        return self._fingerprint

    def cache_identity(self) -> dict[str, Any]:
        """Provider, model, weights fingerprint and reply-changing options.

        Raises:
            RuntimeError: Called before :meth:`preflight`.
        """
        if self._fingerprint is None:
            raise RuntimeError("the cache identity of a local model is known after preflight")
        return {
            "endpoint": "hf",
            "model": self.model_name,
            "weights": self._fingerprint,
            "options": {k: v for k, v in sorted(self.options.items()) if k not in self.OPERATIONAL},
        }

    # -- loading -----------------------------------------------------------------------------

    def _source(self) -> tuple[str, dict[str, Any]]:
        """Where from_pretrained loads from, and its arguments."""
        path = Path(self.model_name).expanduser()
        kwargs: dict[str, Any] = {}
        if self.options.get("revision") is not None:
            kwargs["revision"] = str(self.options["revision"])
        if self.options.get("trust_remote_code"):
            kwargs["trust_remote_code"] = True
        if path.suffix == ".gguf":
            kwargs["gguf_file"] = path.name
            return str(path.parent), kwargs
        return (str(path) if path.exists() else self.model_name), kwargs

    def _fingerprint_now(self) -> str:
        path = Path(self.model_name).expanduser()
        if path.suffix == ".gguf" or path.is_file():
            return file_fingerprint(path)
        if path.is_dir():
            return folder_fingerprint(path)
        revision = self.options.get("revision")
        return hub_revision(self.model_name, str(revision) if revision is not None else None)

    def _load(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        source, kwargs = self._source()
        device = self.options.get("device")
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype_name = self.options.get("dtype")
        dtype: Any = torch.bfloat16 if str(device).startswith("cuda") else torch.float32
        if dtype_name is not None:
            dtype = getattr(torch, str(dtype_name), None)
            if not isinstance(dtype, torch.dtype):
                raise ConfigError(f"-M dtype={dtype_name!r}: not a torch dtype")
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model: Any = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, **kwargs)
        model.to(device)
        model.eval()
        if getattr(tokenizer, "chat_template", None) is None:
            raise ConfigError(
                f"hf/{self.model_name} has no chat template: mteval sends chat messages, "
                "so it needs an instruct (chat) model"
            )
        limit = self.options.get("n_ctx")
        if limit is None:
            limit = getattr(model.config, "max_position_embeddings", None)
        self._limit = int(limit) if limit else None
        self._tokenizer, self._model, self._device = tokenizer, model, str(device)

    async def preflight(self) -> None:
        """Fingerprint and load the model (in a worker thread), then start the batcher.

        Raises:
            ConfigError: The weights cannot be found or loaded.
        """
        if self._worker is not None:
            return
        try:
            self._fingerprint = await asyncio.to_thread(self._fingerprint_now)
            await asyncio.to_thread(self._load)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"hf/{self.model_name}: cannot load the model ({exc})") from None
        self._worker = threading.Thread(
            target=self._serve, name=f"mteval-hf-{self.model_name}", daemon=True
        )
        self._worker.start()

    # -- generation --------------------------------------------------------------------------

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        """Queue the request for the worker thread and wait for its reply."""
        if self._worker is None:
            raise RuntimeError(f"hf/{self.model_name} was used before preflight")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ModelOutput] = loop.create_future()
        self._queue.put(_Request(messages, config, future, loop, time.perf_counter()))
        return await future

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(item)
            groups: dict[str, list[_Request]] = {}
            for request in batch:
                key = repr(sorted(request.config.request_fields().items()))
                groups.setdefault(key, []).append(request)
            for group in groups.values():
                try:
                    results: list[Any] = self._run_batch(group)
                except Exception as exc:  # reported to each caller, classified there
                    results = [exc] * len(group)
                for request, result in zip(group, results, strict=True):
                    request.loop.call_soon_threadsafe(_settle, request.future, result)

    def _run_batch(self, group: list[_Request]) -> list[Any]:
        import torch

        tokenizer, model = self._tokenizer, self._model
        prompts = [
            tokenizer.apply_chat_template(
                [{"role": m.role, "content": m.content} for m in r.messages],
                tokenize=False,
                add_generation_prompt=True,
            )
            for r in group
        ]
        lengths = [len(tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts]
        results: list[Any] = [None] * len(group)
        runnable = []
        for i, length in enumerate(lengths):
            if self._limit is not None and length >= self._limit:
                results[i] = ContextLengthError(limit=self._limit, prompt_tokens=length)
            else:
                runnable.append(i)
        if not runnable:
            return results
        config = group[0].config
        max_new = config.max_tokens or 1024
        if self._limit is not None:
            # Like a server: generation stops where the context window ends.
            max_new = max(1, min(max_new, self._limit - max(lengths[i] for i in runnable)))
        encoded = tokenizer(
            [prompts[i] for i in runnable],
            return_tensors="pt",
            padding=True,
            add_special_tokens=False,
        ).to(self._device)
        sample = bool(config.temperature)
        kwargs: dict[str, Any] = {
            "max_new_tokens": max_new,
            "do_sample": sample,
            "pad_token_id": tokenizer.pad_token_id,
        }
        if sample:
            kwargs["temperature"] = config.temperature
            if config.top_p is not None:
                kwargs["top_p"] = config.top_p
            if config.seed is not None:
                torch.manual_seed(config.seed)
        else:
            # Greedy: unset the sampling defaults a checkpoint's generation config may carry.
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if config.stop:
            kwargs.update(stop_strings=list(config.stop), tokenizer=tokenizer)
        kwargs.update(config.extra)
        with torch.inference_mode():
            output = model.generate(**encoded, **kwargs)
        self.batches.append(len(runnable))
        width = encoded["input_ids"].shape[1]
        eos = set(_as_list(model.generation_config.eos_token_id) or [tokenizer.eos_token_id])
        for row, i in enumerate(runnable):
            new = output[row, width:].tolist()
            cut = next((k for k, token in enumerate(new) if token in eos), None)
            tokens = new if cut is None else new[:cut]
            finish = "stop" if cut is not None else "length"
            if cut is None and config.stop:
                text_all = tokenizer.decode(tokens, skip_special_tokens=True)
                if any(text_all.endswith(s) for s in config.stop):
                    finish = "stop"
            text = tokenizer.decode(tokens, skip_special_tokens=True)
            results[i] = ModelOutput(
                content=text,
                finish_reason=finish,
                usage=Usage(
                    prompt_tokens=lengths[i],
                    completion_tokens=len(tokens) + (cut is not None),
                    total_tokens=lengths[i] + len(tokens) + (cut is not None),
                ),
                model=self.model_name,
                latency_s=time.perf_counter() - group[i].queued_at,
            )
        return results

    def classify_error(self, error: BaseException) -> FailureInfo:
        """A prompt too long for the context is final; so is any other engine error."""
        where = f"hf/{self.model_name}"
        if isinstance(error, ContextLengthError):
            return FailureInfo("context_length", False, f"{error} ({where})")
        return FailureInfo("other", False, f"{where} failed: {type(error).__name__}: {error}"[:500])

    async def aclose(self) -> None:
        """Stop the worker thread and free the model."""
        worker, self._worker = self._worker, None
        if worker is not None:
            self._queue.put(None)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(worker.join, 60)
        self._model = self._tokenizer = None


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [int(value)]


API = HFLocalAPI
"""The class the registry serves ``hf/...`` with."""
