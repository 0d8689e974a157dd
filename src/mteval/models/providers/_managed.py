"""The shared half of the managed-server providers (``vllm/``, ``sglang/``, ``llamacpp/``).

Each starts its engine's own OpenAI-compatible server as a child process in
:meth:`preflight`, then speaks to it through the OpenAI provider, so that
retries, the cache and resume work as for any endpoint. What differs per
engine (the command, the flags, the batch capacity) is a few methods of a
subclass.

An engine that dies mid-run is started again once; requests that were in
flight fail as connection errors and the wrapper's retries send them to the
new server. A second death stops the run with the server's last log lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from mteval.errors import ConfigError, EndpointError
from mteval.models.base import FailureInfo
from mteval.models.fingerprint import hub_revision, path_fingerprint
from mteval.models.providers.openai import OpenAIChatAPI, redact
from mteval.models.server import ManagedServer
from mteval.types import ChatMessage, GenerateConfig, ModelOutput

__all__ = [
    "CheckpointServerAPI",
    "EngineDiedError",
    "EngineRestartedError",
    "ManagedServerAPI",
    "checkpoint_fingerprint",
    "engine_flags",
]

_MAX_RESTARTS = 1


class EngineRestartedError(Exception):
    """The engine died under this request and was started again: send it again."""


class EngineDiedError(Exception):
    """The engine died again after its one restart: the run cannot go on."""


def engine_flags(options: dict[str, Any], *, dashes: bool, bool_style: str = "switch") -> list[str]:
    """Turn ``-M`` options into command-line flags for an engine.

    Args:
        options: Option name -> JSON value.
        dashes: Write ``max_num_seqs`` as ``--max-num-seqs`` (else ``--max_num_seqs``).
        bool_style: ``switch`` (``--flag`` / ``--no-flag``), ``value``
            (``--flag true``) or ``only-true`` (``--flag``, false leaves it out).
    """
    argv: list[str] = []
    for key, value in options.items():
        flag = "--" + (key.replace("_", "-") if dashes else key)
        if value is None:
            continue
        if isinstance(value, bool):
            if bool_style == "value":
                argv += [flag, "true" if value else "false"]
            elif value:
                argv.append(flag)
            elif bool_style == "switch":
                argv.append("--no-" + flag[2:])
        elif isinstance(value, list):
            argv += [flag, *(str(v) for v in value)]
        elif isinstance(value, dict):
            argv += [flag, json.dumps(value)]
        else:
            argv += [flag, str(value)]
    return argv


class ManagedServerAPI(OpenAIChatAPI):
    """A local engine's server, started by mteval (subclasses say which and how).

    Args:
        model_name: The checkpoint (a path, or a hub id for vLLM/SGLang).
        base_url: Must be None: the server is mteval's own.
        api_key: Ignored (local servers need no key).
        timeout_s: Per-request timeout.
        max_connections: HTTP connection pool size.
        options: ``-M`` options: mteval's own (:attr:`MTEVAL_OPTIONS`), the
            rest passed to the engine as flags.
    """

    engine: ClassVar[str] = "engine"
    api_key_env: ClassVar[str | None] = None
    MTEVAL_OPTIONS: ClassVar[dict[str, str]] = {
        "ready_timeout": "seconds to wait for the server to load the model (default 600)",
    }
    OPERATIONAL: ClassVar[frozenset[str]] = frozenset()
    """Engine options that change speed, not replies (left out of the cache identity)."""

    @property
    def health_path(self) -> str:
        """The route that answers 200 once the model is loaded."""
        return "/health"

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
        if base_url is not None:
            raise ConfigError(
                f"{self.provider}/{model_name} starts its own {self.engine} server: leave out "
                f"the base URL (for a server you started, use openai/NAME --model-base-url URL)"
            )
        super().__init__(
            model_name=model_name,
            base_url="http://127.0.0.1:0/v1",  # replaced by the server's once it runs
            api_key=None,
            timeout_s=timeout_s,
            max_connections=max_connections,
            options=options,
        )
        self._servers: list[ManagedServer] = []
        self._clients: list[Any] = []
        self._retired: list[Any] = []
        self._in_flight: list[int] = []
        self._restarts = 0
        self._restart_lock: asyncio.Lock | None = None
        self._fingerprint: str | None = None
        self._affinity: dict[str, int] = {}
        self.busy_log: list[tuple[int, float, float]] = []
        """(server index, start, end) of every request, on ``time.monotonic``."""

    # -- what a subclass says -------------------------------------------------------------

    @abstractmethod
    def server_argvs(self) -> list[list[str]]:
        """The command of each server to start (``{port}`` is filled in); usually one."""

    @abstractmethod
    def compute_fingerprint(self) -> str:
        """Fingerprint the weights (blocking; runs in a worker thread)."""

    def engine_options(self) -> dict[str, Any]:
        """The ``-M`` options meant for the engine (mteval's own removed)."""
        return {k: v for k, v in self.options.items() if k not in self.MTEVAL_OPTIONS}

    def _validate_options(self) -> None:
        timeout = self.options.get("ready_timeout", 600)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ConfigError(f"-M ready_timeout={timeout!r}: give a positive number of seconds")

    # -- identity and limits ---------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The running server's URL, or the engine's name before it runs."""
        if self._servers and self._servers[0].port is not None:
            return self._servers[0].base_url
        return f"{self.provider}:{self.model_name}"

    @property
    def connection_key(self) -> str:
        """One limit per engine instance (a model and a judge of the same spec get one each)."""
        return f"{self.provider}/{self.model_name}#{id(self):x}"

    def slots_per_server(self) -> int:
        """Requests one server process works on at once (its batch slots)."""
        return self.default_concurrency() or 1

    def engine_usage(self) -> dict[str, Any] | None:
        """Slot occupancy over this invocation, from the requests' own start and end times.

        A slot counts as busy while a request it serves is in flight: a server
        with ``k`` slots and ``n`` requests in flight has ``min(n, k)`` busy.
        """
        if not self.busy_log:
            return None
        per_server = self.slots_per_server()
        total = per_server * len(self._servers)
        events: list[tuple[float, int, int]] = []
        for index, start, end in self.busy_log:
            events += [(start, 1, index), (end, -1, index)]
        events.sort(key=lambda e: (e[0], e[1]))
        in_flight = [0] * len(self._servers)
        busy_time = [0.0] * (total + 1)
        last = events[0][0]
        for when, step, index in events:
            busy = sum(min(n, per_server) for n in in_flight)
            busy_time[busy] += when - last
            last = when
            in_flight[index] += step
        span = events[-1][0] - events[0][0]
        return {
            "slots": total,
            "servers": len(self._servers),
            "requests": len(self.busy_log),
            "span_s": round(span, 3),
            "all_slots_busy_s": round(busy_time[total], 3),
            "all_slots_busy_share": round(busy_time[total] / span, 4) if span > 0 else None,
            "mean_busy_slots": (
                round(sum(k * t for k, t in enumerate(busy_time)) / span, 3) if span > 0 else None
            ),
            "restarts": self._restarts,
        }

    def _where(self) -> str:
        return f"{self.provider}/{self.model_name}"

    def fixed_capacity(self) -> bool:
        """The engine's batch capacity is known: no adaptive backing off below it."""
        return True

    def weights_fingerprint(self) -> str | None:
        """The weights' fingerprint (after :meth:`preflight`)."""
        return self._fingerprint

    def cache_identity(self) -> dict[str, Any]:
        """Engine, model, weights fingerprint and reply-changing options; never the port.

        Raises:
            RuntimeError: Called before :meth:`preflight` fingerprinted the weights.
        """
        if self._fingerprint is None:
            raise RuntimeError("the cache identity of a local engine is known after preflight")
        return {
            "endpoint": self.provider,
            "model": self.model_name,
            "weights": self._fingerprint,
            "options": {
                k: v for k, v in sorted(self.engine_options().items()) if k not in self.OPERATIONAL
            },
        }

    def describe(self) -> dict[str, Any]:
        """JSON-safe description, with the weights' fingerprint."""
        description = super().describe()
        description["base_url"] = None
        description["weights"] = self._fingerprint
        return description

    # -- life cycle ------------------------------------------------------------------------

    async def preflight(self) -> None:
        """Fingerprint the weights and start the server(s); ready when this returns.

        Raises:
            ConfigError: The weights cannot be found.
            EndpointError: A server did not start; the message quotes its log.
        """
        if self._servers:
            return
        try:
            self._fingerprint = await asyncio.to_thread(self.compute_fingerprint)
        except OSError as exc:
            raise ConfigError(
                f"{self.provider}/{self.model_name}: cannot read the weights ({exc}); give "
                "an existing file or folder"
            ) from None
        timeout = float(self.options.get("ready_timeout", 600))
        self._servers = [
            ManagedServer(
                name=f"the {self.engine} server for {self.model_name}",
                argv=argv,
                health_path=self.health_path,
                ready_timeout_s=timeout,
            )
            for argv in self.server_argvs()
        ]
        self._in_flight = [0] * len(self._servers)
        self._restart_lock = asyncio.Lock()
        results = await asyncio.gather(
            *(server.start() for server in self._servers), return_exceptions=True
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            await self._stop_servers()
            raise failures[0]
        self._clients = [self._make_client(server.base_url) for server in self._servers]
        self.base_url = self._servers[0].base_url

    async def _stop_servers(self) -> None:
        await asyncio.gather(*(s.stop() for s in self._servers), return_exceptions=True)

    async def aclose(self) -> None:
        """Close the connections and shut the server(s) down."""
        for client in [*self._clients, *self._retired]:
            with contextlib.suppress(Exception):
                await client.close()
        self._clients, self._retired = [], []
        await self._stop_servers()

    # -- requests --------------------------------------------------------------------------

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        """Send one request to the least busy server; restart a dead engine once."""
        if not self._clients:
            raise RuntimeError(f"{self.provider}/{self.model_name} was used before preflight")
        index = self._pick_server(messages)
        server = self._servers[index]
        starts = server.starts
        self._in_flight[index] += 1
        started = time.monotonic()
        try:
            return await self._post(self._clients[index], messages, config)
        except Exception as exc:
            if not isinstance(exc, EngineRestartedError | EngineDiedError):
                await self._check_engine(index, starts, exc)
            raise
        finally:
            self._in_flight[index] -= 1
            self.busy_log.append((index, started, time.monotonic()))

    def _pick_server(self, messages: Sequence[ChatMessage]) -> int:
        """The server that answered this dialogue before if it is idle, else the least busy.

        A server keeps the last prompt's KV cache, and a dialogue's next turn
        extends its previous prompt: sent back to the same server, only the
        new turn is processed.
        """
        if len(self._servers) == 1:
            return 0
        opening = "\x00".join(m.content for m in messages[:2])
        preferred = self._affinity.get(opening)
        if preferred is not None and self._in_flight[preferred] == 0:
            index = preferred
        else:
            index = min(range(len(self._servers)), key=self._in_flight.__getitem__)
        self._affinity[opening] = index
        return index

    async def _check_engine(self, index: int, starts: int, error: Exception) -> None:
        """After a failed request: restart the engine once if it died, else let it be."""
        import openai

        server = self._servers[index]
        if not isinstance(error, openai.APIConnectionError | openai.InternalServerError):
            return
        if isinstance(error, openai.APIConnectionError):
            # The watchdog outlives the engine by up to half a second: let it notice.
            for _ in range(10):
                if not server.alive:
                    break
                await asyncio.sleep(0.1)
        if server.alive and server.starts == starts:
            return
        assert self._restart_lock is not None
        async with self._restart_lock:
            if server.starts != starts:
                raise EngineRestartedError("the engine was restarted") from None
            if self._restarts >= _MAX_RESTARTS:
                raise EngineDiedError(
                    f"the {self.engine} server died again after a restart; log "
                    f"{server.log_path}, last lines:\n{server.log_tail()}"
                ) from None
            self._restarts += 1
            tail = server.log_tail(5)
            await server.restart()
            self._retired.append(self._clients[index])
            self._clients[index] = self._make_client(server.base_url)
            if index == 0:
                self.base_url = server.base_url
            raise EngineRestartedError(
                f"the {self.engine} server died and was restarted; it said:\n{tail}"
            ) from None

    def classify_error(self, error: BaseException) -> FailureInfo:
        """A restart is worth a retry; a second death stops the run."""
        if isinstance(error, EngineRestartedError):
            return FailureInfo("engine_died", True, redact(str(error)))
        if isinstance(error, EngineDiedError):
            return FailureInfo("engine_died", False, redact(str(error)), fatal=True)
        if isinstance(error, EndpointError):
            return FailureInfo("engine_died", False, redact(str(error)), fatal=True)
        return super().classify_error(error)


def checkpoint_fingerprint(model: str, revision: Any = None) -> str:
    """A local checkpoint folder's file hashes, or a hub model's snapshot revision."""
    path = Path(model).expanduser()
    if path.exists():
        return path_fingerprint(path)
    return hub_revision(model, str(revision) if revision is not None else None)


class CheckpointServerAPI(ManagedServerAPI):
    """A GPU engine serving a hub id or checkpoint folder, batching many requests.

    Subclasses name the engine options that set its batch size and its context
    length; the batch size is also the default concurrency.
    """

    batch_option: ClassVar[str]
    """The engine option that caps the requests it runs at once (passed to the server)."""
    context_option: ClassVar[str]
    """The engine option that sets the context length."""
    DEFAULT_BATCH: ClassVar[int] = 256
    """The batch size when the option is not given."""

    @property
    def batch_size(self) -> int:
        """Requests the engine runs at once: ``-M <batch_option>`` or :attr:`DEFAULT_BATCH`."""
        return int(self.options.get(self.batch_option, self.DEFAULT_BATCH))

    def default_concurrency(self) -> int:
        """As many requests as the engine batches."""
        return self.batch_size

    def context_limit(self) -> int | None:
        """``-M <context_option>``, when given."""
        value = self.options.get(self.context_option)
        return int(value) if value is not None else None

    def compute_fingerprint(self) -> str:
        """File hashes of a local folder, or the hub snapshot revision."""
        return checkpoint_fingerprint(self.model_name, self.options.get("revision"))

    def batch_options(self) -> dict[str, Any]:
        """The engine options, the batch size always given (the engine's default may differ)."""
        options: dict[str, Any] = dict(self.engine_options())
        options[self.batch_option] = self.batch_size
        return options
