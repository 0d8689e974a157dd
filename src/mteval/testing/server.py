"""The mock OpenAI-compatible chat server: scripted replies, latency, capacity, faults.

:class:`MockEndpoint` serves real HTTP on a local port from an asyncio event
loop: either the caller's (``async with``, :meth:`MockEndpoint.start_async`) or
its own, in a background thread (``with``, :meth:`MockEndpoint.start`).

Per chat request the server:

1. stamps its arrival and counts an attempt for its key (the SHA-256 of the
   canonical JSON request body, so a retry has the same key);
2. decides on a fault: the next scripted one, else a deterministic draw from
   :class:`~mteval.testing.FaultConfig` capped at ``max_consecutive`` failures
   in a row per key;
3. answers HTTP-status faults (5xx, 429) at once and holds ``hang`` without
   answering; neither takes a capacity slot; with ``overflow_above``, answers
   llama.cpp's ``Context size has been exceeded`` 500 when that many requests
   are already in service;
4. otherwise waits for one of ``max_concurrency`` slots (FIFO), computes the
   policy's reply, sleeps ``latency_s + per_token_s * completion_tokens``,
   frees the slot and sends the (possibly corrupted) reply;
5. records the request (in memory and, with ``log_path``, as a JSON line).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from mteval.testing._http import (
    HttpError,
    Request,
    error_body,
    json_bytes,
    read_request,
    response_head,
)
from mteval.testing.config import (
    FAULT_KINDS,
    JUDGE_FAULTS,
    EndpointConfig,
    FaultKind,
    JudgePolicy,
)
from mteval.testing.records import EndpointStats, RequestLog, RequestRecord
from mteval.testing.replies import (
    Responder,
    count_tokens,
    draw_fault,
    judge_fault_reply,
    last_user_message,
    message_text,
    prompt_key,
)
from mteval.types import stable_hash

__all__ = ["MockEndpoint"]

_T = TypeVar("_T")
_log = logging.getLogger(__name__)

_STATUS_FAULTS: dict[str, int] = {
    "http_500": 500,
    "http_502": 502,
    "http_503": 503,
    "http_429": 429,
    "http_429_no_retry_after": 429,
}
# Faults that do not count as a failure for ``max_consecutive`` or ``successes``.
_BENIGN_FAULTS = frozenset({"slow_drip"})
_LOG_FLUSH_INTERVAL_S = 0.5


@dataclass(slots=True)
class _Progress:
    """What is known about a chat request so far; logged however it ends."""

    arrival: float
    model: str | None = None
    key: str | None = None
    user_sha: str | None = None
    fault: FaultKind | None = None
    start: float | None = None
    end: float | None = None
    status: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _Counters:
    """Mutable counters behind :class:`EndpointStats` (touched on the loop only)."""

    def __init__(self) -> None:
        self.requests = 0
        self.successes = 0
        self.by_model: Counter[str] = Counter()
        self.by_fault: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self.attempts: dict[str, int] = {}
        self.prompt_attempts: dict[str, int] = {}
        self.consecutive: dict[str, int] = {}
        self.queue_time_s = 0.0
        self.service_time_s = 0.0
        self.overflows = 0


class _FifoLimiter:
    """At most ``capacity`` holders; waiters are admitted strictly in arrival order."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.busy = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> None:
        if self.busy < self.capacity and not self._waiters:
            self.busy += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # release() hands its slot over by resolving this
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot arrived together with the cancellation
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.busy -= 1


class MockEndpoint:
    """A scripted, fault-injecting, latency-modelled OpenAI-compatible chat server.

    Nothing happens until it is started. Run it on its own loop in a thread::

        with MockEndpoint(EndpointConfig()) as ep:
            client = AsyncOpenAI(base_url=ep.base_url, api_key="x", max_retries=0)

    or on the running loop::

        async with MockEndpoint(config) as ep: ...
        ep = await MockEndpoint.start_async(config); ...; await ep.stop_async()

    The control methods (:meth:`stats`, :meth:`reset`, :meth:`script_faults`,
    :meth:`set_config`, :meth:`records`) are plain calls: with a server in a
    thread they may be made from any thread; with one on the caller's loop, from
    that loop's thread.

    Args:
        config: How to answer (default: echo every model, no latency, no faults).
        host: Interface to listen on.
        port: Port to listen on; 0 picks a free one.
        log_path: Append one JSON line per finished chat request to this file.
        keep_records: How many of the latest request records to keep in memory
            for :meth:`records`.
    """

    def __init__(
        self,
        config: EndpointConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | str | None = None,
        keep_records: int = 10_000,
    ) -> None:
        self._config = config if config is not None else EndpointConfig()
        self._host = host
        self._port = port
        self._log_path = Path(log_path) if log_path is not None else None
        self._records: deque[RequestRecord] = deque(maxlen=keep_records)
        self._counters = _Counters()
        self._scripted: dict[str | None, deque[FaultKind | None]] = {}
        self._seq = 0
        self._in_flight = 0
        self._in_service = 0
        self._queued = 0
        self._max_in_service = 0
        self._max_queued = 0
        self._responder: Responder | None = None
        self._limiter: _FifoLimiter | None = None
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self._log: RequestLog | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._bound: tuple[str, int] | None = None
        self._thread: threading.Thread | None = None
        self._stop_event: asyncio.Event | None = None
        self._thread_done: concurrent.futures.Future[None] | None = None

    # -- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Root URL of the running server, e.g. ``http://127.0.0.1:8123``."""
        if self._bound is None:
            raise RuntimeError("the mock endpoint is not running")
        host, port = self._bound
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """OpenAI ``base_url`` of the running server: ``http://127.0.0.1:<port>/v1``."""
        return f"{self.url}/v1"

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._bound is None:
            raise RuntimeError("the mock endpoint is not running")
        return self._bound[1]

    @property
    def config(self) -> EndpointConfig:
        """The config in force."""
        return self._config

    @property
    def log_path(self) -> Path | None:
        """The request log file, if any."""
        return self._log_path

    # -- lifecycle: the caller's loop ---------------------------------------------------------

    @classmethod
    async def start_async(
        cls,
        config: EndpointConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | str | None = None,
        keep_records: int = 10_000,
    ) -> MockEndpoint:
        """Create an endpoint and start it on the running event loop.

        Takes the constructor's arguments. Stop it with :meth:`stop_async`.
        """
        endpoint = cls(config, host=host, port=port, log_path=log_path, keep_records=keep_records)
        await endpoint._open()
        return endpoint

    async def stop_async(self) -> None:
        """Stop serving: drop open connections, end hung requests, flush the log."""
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.stop)
            return
        await self._close()

    async def __aenter__(self) -> MockEndpoint:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop_async()

    # -- lifecycle: a loop of its own ---------------------------------------------------------

    @classmethod
    def start(
        cls,
        config: EndpointConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | str | None = None,
        keep_records: int = 10_000,
    ) -> MockEndpoint:
        """Create an endpoint and start it on its own event loop in a background thread.

        Takes the constructor's arguments. Stop it with :meth:`stop`.
        """
        endpoint = cls(config, host=host, port=port, log_path=log_path, keep_records=keep_records)
        endpoint._start_thread()
        return endpoint

    def stop(self) -> None:
        """Stop a server started with :meth:`start` or ``with`` (waits for its thread)."""
        if self._thread is None:
            if self._server is not None:
                raise RuntimeError("started on a running loop: use 'await stop_async()'")
            return
        loop, event, thread = self._loop, self._stop_event, self._thread
        if loop is not None and event is not None and thread.is_alive():
            loop.call_soon_threadsafe(event.set)
        thread.join()
        self._thread = None
        done, self._thread_done = self._thread_done, None
        if done is not None:
            done.result()  # re-raise a failure while shutting down

    def __enter__(self) -> MockEndpoint:
        self._start_thread()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _start_thread(self) -> None:
        if self._server is not None or self._thread is not None:
            raise RuntimeError("the mock endpoint is already running")
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread_done = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._thread_main, args=(ready,), name="mteval-mock-endpoint", daemon=True
        )
        self._thread.start()
        try:
            ready.result()
        except BaseException:
            self._thread.join()
            self._thread = None
            raise

    def _thread_main(self, ready: concurrent.futures.Future[None]) -> None:
        async def main() -> None:
            try:
                self._stop_event = asyncio.Event()
                await self._open()
            except BaseException as exc:
                ready.set_exception(exc)
                return
            ready.set_result(None)
            await self._stop_event.wait()
            await self._close()

        done = self._thread_done
        try:
            asyncio.run(main())
        except BaseException as exc:
            if done is not None:
                done.set_exception(exc)
            return
        if done is not None:
            done.set_result(None)

    async def _open(self) -> None:
        if self._server is not None:
            raise RuntimeError("the mock endpoint is already running")
        self._loop = asyncio.get_running_loop()
        if self._responder is None or self._responder.config is not self._config:
            self._responder = Responder(self._config)
        cap = self._config.max_concurrency
        self._limiter = _FifoLimiter(cap) if cap is not None else None
        self._server = await asyncio.start_server(
            self._serve_connection, self._host, self._port, backlog=4096, limit=1 << 20
        )
        sockname = self._server.sockets[0].getsockname()
        host = str(sockname[0])
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        self._bound = (host, int(sockname[1]))
        if self._log_path is not None:
            self._log = RequestLog(self._log_path)
            self._flusher = asyncio.ensure_future(self._flush_periodically())

    async def _close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._bound = None
        server.close()
        connections = list(self._connections)
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
        await server.wait_closed()
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
            self._flusher = None
        if self._log is not None:
            self._log.close()
            self._log = None

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(_LOG_FLUSH_INTERVAL_S)
            if self._log is not None:
                self._log.flush()

    # -- control ------------------------------------------------------------------------------

    def _on_loop(self, fn: Callable[[], _T]) -> _T:
        """Run ``fn`` on the server's loop thread (directly when already there or idle)."""
        thread, loop = self._thread, self._loop
        if (
            thread is None
            or loop is None
            or threading.current_thread() is thread
            or not thread.is_alive()
        ):
            return fn()
        result: concurrent.futures.Future[_T] = concurrent.futures.Future()

        def run() -> None:
            try:
                result.set_result(fn())
            except BaseException as exc:
                result.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return result.result()

    def stats(self) -> EndpointStats:
        """Return the counters since the start or the last :meth:`reset`."""
        return self._on_loop(self._snapshot)

    def _snapshot(self) -> EndpointStats:
        c = self._counters
        return EndpointStats(
            requests=c.requests,
            successes=c.successes,
            by_model=dict(c.by_model),
            by_fault=dict(c.by_fault),
            by_status=dict(c.by_status),
            attempts=dict(c.attempts),
            in_flight=self._in_flight,
            in_service=self._in_service,
            queued=self._queued,
            max_in_service=self._max_in_service,
            max_queued=self._max_queued,
            queue_time_s=c.queue_time_s,
            service_time_s=c.service_time_s,
            scripted_pending=sum(len(queue) for queue in self._scripted.values()),
            overflows=c.overflows,
        )

    def records(self) -> list[RequestRecord]:
        """Return the latest finished request records (up to ``keep_records``), oldest first."""
        return self._on_loop(lambda: list(self._records))

    def reset(self) -> None:
        """Clear counters, attempt counts, in-memory records and scripted faults.

        The log file is append-only and keeps its lines; ``seq`` keeps counting.
        """
        self._on_loop(self._reset)

    def _reset(self) -> None:
        self._counters = _Counters()
        self._records.clear()
        self._scripted.clear()
        self._max_in_service = self._in_service
        self._max_queued = self._queued

    def script_faults(self, kinds: Iterable[FaultKind | None], *, model: str | None = None) -> None:
        """Apply ``kinds`` to the next requests, one each, in order.

        A scripted fault overrides the random draw and ``max_consecutive``;
        ``None`` scripts a clean reply. With ``model``, only requests for that
        model consume the script (before any model-independent one).

        Args:
            kinds: Fault kinds (or ``None``), one per coming request.
            model: Only requests whose ``model`` equals this.

        Raises:
            ValueError: An unknown fault kind.
        """
        items = list(kinds)
        for kind in items:
            if kind is not None and kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")

        def add() -> None:
            self._scripted.setdefault(model, deque()).extend(items)

        self._on_loop(add)

    def set_config(self, config: EndpointConfig) -> None:
        """Replace the config; requests already in service finish under the old one.

        Raises:
            ConfigError: A replay mapping file cannot be read.
        """
        responder = Responder(config)  # reads replay files here, not on the loop

        def swap() -> None:
            old_cap = self._config.max_concurrency
            self._config = config
            self._responder = responder
            if config.max_concurrency != old_cap:
                cap = config.max_concurrency
                self._limiter = _FifoLimiter(cap) if cap is not None else None

        self._on_loop(swap)

    # -- HTTP ---------------------------------------------------------------------------------

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while True:
                try:
                    request = await read_request(reader)
                except HttpError as exc:
                    body = error_body(exc.message, "invalid_request_error", None)
                    writer.write(response_head(exc.status, len(body), keep_alive=False) + body)
                    await writer.drain()
                    break
                if request is None:
                    break
                if not await self._dispatch(request, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        except asyncio.CancelledError:
            # Only _close() (or loop shutdown) cancels a connection; ending the task
            # normally keeps asyncio's stream callback from logging the cancellation.
            pass
        except Exception:  # a bug here must not take the server down
            _log.exception("mock endpoint: unexpected error; closing the connection")
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()

    async def _dispatch(
        self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; return whether the connection stays open."""
        path = request.path.rstrip("/")
        if self._config.v1_only and path in ("/chat/completions", "/models"):
            return await self._send_error(
                writer,
                request,
                404,
                f"Unknown route: {request.method} {request.path} (the API is under /v1)",
                "not_found",
            )
        if path in ("/v1/chat/completions", "/chat/completions"):
            if request.method != "POST":
                return await self._send_error(writer, request, 405, "Use POST.", None)
            return await self._chat(request, reader, writer)
        if path in ("/v1/models", "/models"):
            if request.method != "GET":
                return await self._send_error(writer, request, 405, "Use GET.", None)
            if not self._authorized(request):
                return await self._send_unauthorized(writer, request)
            models = [
                {"id": name, "object": "model", "created": 0, "owned_by": "mteval-mock"}
                for name in self._config.models
            ]
            return await self._send(
                writer, request, 200, json_bytes({"object": "list", "data": models})
            )
        if path == "/stats" and request.method == "GET":
            return await self._send(
                writer, request, 200, self._snapshot().model_dump_json().encode("utf-8")
            )
        if path == "/reset" and request.method == "POST":
            self._reset()
            return await self._send(writer, request, 200, b'{"ok":true}')
        return await self._send_error(
            writer, request, 404, f"Unknown route: {request.method} {request.path}", "not_found"
        )

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        request: Request,
        status: int,
        body: bytes,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> bool:
        head = response_head(status, len(body), keep_alive=request.keep_alive, headers=headers)
        writer.write(head + body)
        await writer.drain()
        return request.keep_alive

    async def _send_error(
        self,
        writer: asyncio.StreamWriter,
        request: Request,
        status: int,
        message: str,
        code: str | None,
        type_: str = "invalid_request_error",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> bool:
        return await self._send(writer, request, status, error_body(message, type_, code), headers)

    def _authorized(self, request: Request) -> bool:
        key = self._config.api_key
        return key is None or request.headers.get("authorization") == f"Bearer {key}"

    async def _send_unauthorized(self, writer: asyncio.StreamWriter, request: Request) -> bool:
        return await self._send_error(
            writer, request, 401, "Incorrect API key provided.", "invalid_api_key"
        )

    # -- chat completions ---------------------------------------------------------------------

    async def _chat(
        self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        arrival = time.time()
        self._seq += 1
        seq = self._seq
        counters = self._counters
        counters.requests += 1
        self._in_flight += 1
        progress = _Progress(arrival=arrival)
        try:
            return await self._chat_inner(request, reader, writer, seq, progress)
        finally:
            now = time.time()
            status = progress.status
            model = progress.model
            fault = progress.fault
            self._in_flight -= 1
            counters.by_status[status] += 1
            if status == 200 and (fault is None or fault in _BENIGN_FAULTS):
                counters.successes += 1
            record = RequestRecord(
                seq=seq,
                model=model,
                key=progress.key,
                arrival=arrival,
                start=progress.start if progress.start is not None else now,
                end=progress.end if progress.end is not None else now,
                status=status,
                fault=fault,
                prompt_tokens=progress.prompt_tokens,
                completion_tokens=progress.completion_tokens,
                user_sha=progress.user_sha,
            )
            self._records.append(record)
            if self._log is not None:
                self._log.add(record)

    async def _chat_inner(
        self,
        request: Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        seq: int,
        state: _Progress,
    ) -> bool:
        async def reject(status: int, message: str, code: str | None, **kw: Any) -> bool:
            state.status = status
            return await self._send_error(writer, request, status, message, code, **kw)

        if not self._authorized(request):
            state.status = 401
            return await self._send_unauthorized(writer, request)
        try:
            body = json.loads(request.body)
        except ValueError:
            return await reject(400, "The request body is not valid JSON.", None)
        if not isinstance(body, dict):
            return await reject(400, "The request body must be a JSON object.", None)
        model = body.get("model")
        messages = body.get("messages")
        if not isinstance(model, str) or not model:
            return await reject(400, "'model' is required and must be a string.", None)
        state.model = model
        self._counters.by_model[model] += 1
        if not isinstance(messages, list) or not messages:
            return await reject(400, "'messages' must be a non-empty array.", None)
        if body.get("stream"):
            return await reject(400, "This mock endpoint does not support streaming.", None)
        responder = self._responder
        assert responder is not None
        policy = responder.policy_for(model)
        if policy is None:
            return await reject(404, f"The model '{model}' does not exist.", "model_not_found")
        prompt = last_user_message(messages)
        key = stable_hash(body)
        state.key = key
        state.user_sha = prompt_key(prompt)
        state.prompt_tokens = sum(
            count_tokens(message_text(m.get("content"))) for m in messages if isinstance(m, dict)
        )
        is_judge = isinstance(policy, JudgePolicy)
        fault_key = key if self._config.faults.per == "request" else f"prompt:{state.user_sha}"
        fault = self._decide_fault(model, key, is_judge, fault_key)
        state.fault = fault
        config = self._config
        faults = config.faults

        if fault in _STATUS_FAULTS:
            status = _STATUS_FAULTS[fault]
            if status == 429:
                headers: tuple[tuple[str, str], ...] = ()
                if fault == "http_429":
                    headers = (("Retry-After", f"{faults.retry_after_s:g}"),)
                return await reject(
                    429,
                    "Rate limit reached (injected fault).",
                    "rate_limit_exceeded",
                    type_="requests",
                    headers=headers,
                )
            return await reject(
                status,
                f"The server had an error (injected fault {fault}).",
                None,
                type_="server_error",
            )
        if fault == "hang":
            await self._hang(reader, faults.hang_s)
            return False

        overflow = config.overflow_above
        if overflow is not None and self._in_service >= overflow:
            self._counters.overflows += 1
            return await reject(500, "Context size has been exceeded.", None, type_="server_error")

        # Served: wait for a capacity slot, then "generate".
        limiter = self._limiter
        if limiter is not None:
            self._queued += 1
            self._max_queued = max(self._max_queued, self._queued)
            try:
                await limiter.acquire()
            finally:
                self._queued -= 1
        start = time.time()
        state.start = start
        self._counters.queue_time_s += start - state.arrival
        self._in_service += 1
        self._max_in_service = max(self._max_in_service, self._in_service)
        try:
            try:
                content = await responder.reply(policy, body, prompt)
            except Exception as exc:  # a callable policy failed: a server error
                state.end = time.time()
                return await reject(
                    500, f"The reply policy failed: {exc!r}", None, type_="server_error"
                )
            finish_reason = "stop"
            if fault in JUDGE_FAULTS:
                fence = policy.fence if isinstance(policy, JudgePolicy) else True
                assert fault is not None
                content = judge_fault_reply(fault, prompt, fence=fence)
            elif fault == "empty_content":
                content = ""
            elif fault == "length":
                content = content[: len(content) // 2]
                finish_reason = "length"
            completion_tokens = count_tokens(content)
            state.completion_tokens = completion_tokens
            service_s = config.latency_s + config.per_token_s * completion_tokens
            if service_s > 0:
                await asyncio.sleep(service_s)
        finally:
            end = time.time()
            if state.end is None:
                state.end = end
            self._in_service -= 1
            self._counters.service_time_s += end - start
            if limiter is not None:
                limiter.release()

        reply: dict[str, Any] = {
            "id": f"chatcmpl-mock-{seq}",
            "object": "chat.completion",
            "created": int(end),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": state.prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": state.prompt_tokens + completion_tokens,
            },
        }
        if fault == "no_choices":
            del reply["choices"]
        payload = json_bytes(reply)
        if fault == "bad_json":
            payload = payload[: len(payload) // 2]
        state.status = 200
        if fault == "reset":
            writer.write(response_head(200, len(payload), keep_alive=True))
            writer.write(payload[: len(payload) // 2])
            await writer.drain()
            writer.transport.abort()
            return False
        if fault == "slow_drip":
            await self._drip(writer, request, payload, faults.drip_s, faults.drip_bytes)
            return request.keep_alive
        return await self._send(writer, request, 200, payload)

    def _decide_fault(
        self, model: str, key: str, is_judge: bool, fault_key: str | None = None
    ) -> FaultKind | None:
        counters = self._counters
        attempt = counters.attempts.get(key, 0) + 1
        counters.attempts[key] = attempt
        if fault_key is not None and fault_key != key:
            # Faults follow the prompt, not the exact request: count its attempts apart.
            key = fault_key
            attempt = counters.prompt_attempts.get(key, 0) + 1
            counters.prompt_attempts[key] = attempt
        for queue_name in (model, None):
            queue = self._scripted.get(queue_name)
            if queue:
                fault = queue.popleft()
                break
        else:
            faults = self._config.faults
            fault = None
            if counters.consecutive.get(key, 0) < faults.max_consecutive:
                fault = draw_fault(faults, key, attempt, judge=is_judge)
        if fault is not None:
            counters.by_fault[fault] += 1
        if fault is None or fault in _BENIGN_FAULTS:
            counters.consecutive.pop(key, None)
        else:
            counters.consecutive[key] = counters.consecutive.get(key, 0) + 1
        return fault

    async def _hang(self, reader: asyncio.StreamReader, hang_s: float) -> None:
        """Hold the request unanswered until ``hang_s`` passes or the client hangs up."""
        sleeper = asyncio.ensure_future(asyncio.sleep(hang_s))
        hangup = asyncio.ensure_future(reader.read(1))
        try:
            await asyncio.wait({sleeper, hangup}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, hangup):
                task.cancel()
            await asyncio.gather(sleeper, hangup, return_exceptions=True)

    async def _drip(
        self,
        writer: asyncio.StreamWriter,
        request: Request,
        payload: bytes,
        drip_s: float,
        drip_bytes: int,
    ) -> None:
        writer.write(response_head(200, len(payload), keep_alive=request.keep_alive))
        await writer.drain()
        chunks = [payload[i : i + drip_bytes] for i in range(0, len(payload), drip_bytes)]
        pause = drip_s / len(chunks)
        for chunk in chunks:
            await asyncio.sleep(pause)
            writer.write(chunk)
            await writer.drain()
