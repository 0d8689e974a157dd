"""OpenAI-compatible chat endpoints through the official ``openai`` SDK.

Serves OpenAI itself and every server that speaks its chat API: vLLM, SGLang,
Ollama, llama.cpp, LM Studio, TGI, Together, OpenRouter and others. The SDK's
own retries are turned off: :class:`mteval.models.Model` retries.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from mteval.errors import ConfigError, EndpointError
from mteval.models.base import (
    ContextLengthError,
    FailureInfo,
    MalformedResponseError,
    ModelAPI,
)
from mteval.types import ChatMessage, GenerateConfig, ModelOutput, Usage

__all__ = ["PLACEHOLDER_KEY", "OpenAIChatAPI", "context_overflow", "redact"]

PLACEHOLDER_KEY = "mteval-no-key"
"""Sent when a base URL is given without a key: local servers ignore it."""

_CAPACITY_TEXT = re.compile(
    r"context (size|window|length)? ?(has been |was |is )?exceeded|kv.?cache|out of memory"
    r"|server is busy|overloaded|no (free|available) slot",
    re.IGNORECASE,
)
"""Server errors that mean "too much at once": llama.cpp's slots share one context
cache (``HTTP 500: Context size has been exceeded``), engines run out of KV cache."""

_KEY_PATTERN = re.compile(r"(sk-|key-|Bearer\s+)[A-Za-z0-9_\-\*\.]{4,}")


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """Remove API keys from ``text``: the given secrets and anything shaped like a key."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _KEY_PATTERN.sub(lambda m: m.group(1) + "***", text)


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        # An HTTP date: honour it relative to now.
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


class OpenAIChatAPI(ModelAPI):
    """Chat completions on an OpenAI-compatible endpoint.

    Args:
        model_name: Model name sent in each request.
        base_url: Endpoint base URL (``http://host:8000/v1``); OpenAI's when None.
        api_key: The key; never stored, logged or shown.
        timeout_s: Per-request timeout in seconds.
        max_connections: HTTP connection pool size (at least the concurrency limit).
    """

    provider = "openai"
    api_key_env: ClassVar[str | None] = "OPENAI_API_KEY"

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
        super().__init__(model_name=model_name, base_url=base_url, options=options)
        self._validate_options()
        if api_key is None and base_url is None and self.api_key_env is not None:
            raise ConfigError(
                "no API key for openai/" + model_name + ": set OPENAI_API_KEY (or "
                "--model-api-key-env NAME), or give --model-base-url for a local server"
            )
        self._api_key = api_key or PLACEHOLDER_KEY
        self._timeout_s = timeout_s
        self._max_connections = max(1, max_connections)
        self._client: Any = None

    @property
    def endpoint(self) -> str:
        """The base URL (OpenAI's public one when none was given)."""
        return (self.base_url or "https://api.openai.com/v1").rstrip("/")

    def _get_client(self) -> Any:
        """Return the SDK client (created on first use, never in the constructor)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self, base_url: str | None = None) -> Any:
        import openai

        try:
            import httpx2 as httpx_module  # the SDK's HTTP stack from openai 3
        except ImportError:  # pragma: no cover - older SDKs use httpx
            import httpx as httpx_module  # type: ignore[no-redef]
        limits = httpx_module.Limits(
            max_connections=self._max_connections,
            max_keepalive_connections=self._max_connections,
        )
        try:
            # The SDK's aiohttp transport (the openai[aiohttp] extra): about half
            # the CPU per request of the default httpx pool, whose per-request
            # scan of its connections grows with the concurrency limit.
            http_client = openai.DefaultAioHttpClient(limits=limits, timeout=self._timeout_s)
        except (RuntimeError, AttributeError):
            http_client = openai.DefaultAsyncHttpxClient(limits=limits, timeout=self._timeout_s)
        return openai.AsyncOpenAI(
            api_key=self._api_key,
            base_url=base_url or self.base_url,
            timeout=self._timeout_s,
            max_retries=0,
            http_client=http_client,
        )

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        """Send one chat completion request."""
        return await self._post(self._get_client(), messages, config)

    async def _post(
        self, client: Any, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
        body.update(config.request_fields())
        started = time.perf_counter()
        # The SDK's documented generic request method with a raw response: the
        # same client, headers, authentication and HTTP error handling as
        # chat.completions.create, without walking typed parameters and building
        # typed response objects (a millisecond or more per request).
        response = await client.post(
            "/chat/completions", cast_to=self._raw_response_type(), body=body
        )
        latency = time.perf_counter() - started
        payload = json.loads(response.content)
        return _parse_completion(payload, latency)

    @staticmethod
    def _raw_response_type() -> Any:
        try:
            import httpx2 as httpx_module
        except ImportError:  # pragma: no cover - older SDKs use httpx
            import httpx as httpx_module  # type: ignore[no-redef]
        return httpx_module.Response

    def classify_error(self, error: BaseException) -> FailureInfo:
        """Map SDK exceptions to retry decisions."""
        import openai

        where = self._where()

        def message(text: str) -> str:
            return redact(f"{text} from {where}", [self._api_key])

        if isinstance(error, MalformedResponseError):
            return FailureInfo("malformed", True, message(f"malformed response: {error}"))
        refused = _in_chain(error, ConnectionRefusedError)
        if refused:
            # The SDK reports a refused connection as a timeout or a connection
            # error depending on its transport; say what happened.
            return FailureInfo(
                "connection",
                True,
                message("connection refused (is the server running?)"),
            )
        if isinstance(error, openai.APITimeoutError):
            return FailureInfo("timeout", True, message("request timed out"), capacity=True)
        if isinstance(error, openai.APIConnectionError):
            cause = error.__cause__ or error
            return FailureInfo(
                "connection",
                True,
                message(f"connection failed ({type(cause).__name__})"),
                capacity=True,
            )
        if isinstance(error, openai.APIResponseValidationError):
            return FailureInfo("malformed", True, message("malformed response body"))
        if isinstance(error, openai.APIStatusError):
            status = error.status_code
            detail = _error_detail(error)
            if status == 429:
                return FailureInfo(
                    "rate_limit",
                    True,
                    message(f"HTTP 429 rate limited{detail}"),
                    retry_after_s=_retry_after(error.response),
                    capacity=True,
                )
            if status in (401, 403):
                return FailureInfo(
                    "auth",
                    False,
                    message(
                        f"HTTP {status}: the API key was rejected{detail}; check the key "
                        "variable (OPENAI_API_KEY or --model-api-key-env / --judge-api-key-env)"
                    ),
                    fatal=True,
                )
            if status == 404:
                return FailureInfo(
                    "not_found",
                    False,
                    message(
                        f"HTTP 404: model or route not found{detail}; check the model "
                        "name and that the base URL ends with /v1"
                    ),
                    fatal=True,
                )
            if status in (408, 409) or status >= 500:
                return FailureInfo(
                    "server",
                    True,
                    message(f"HTTP {status}{detail}"),
                    retry_after_s=_retry_after(error.response),
                    capacity=status in (502, 503, 504) or _CAPACITY_TEXT.search(detail) is not None,
                )
            if status in (400, 413, 422):
                overflow = context_overflow(error, fallback_limit=self.context_limit())
                if overflow is not None:
                    return FailureInfo("context_length", False, message(str(overflow)))
            return FailureInfo("bad_request", False, message(f"HTTP {status}{detail}"))
        if isinstance(error, ContextLengthError):
            return FailureInfo("context_length", False, message(str(error)))
        if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
            # The SDK lets a 200 response whose body is not JSON raise this.
            return FailureInfo("malformed", True, message("response body is not JSON"))
        return FailureInfo("other", False, message(f"unexpected {type(error).__name__}: {error}"))

    def _where(self) -> str:
        """Names the endpoint in error messages."""
        return f"{self.endpoint} (model {self.model_name})"

    def context_limit(self) -> int | None:
        """The context window in tokens, when mteval knows it (a server it started)."""
        return None

    async def preflight(self) -> None:
        """List models to check reachability and the key; unknown servers may 404 here."""
        import openai

        client = self._get_client()
        try:
            await client.models.list()
        except openai.APIConnectionError as exc:
            why = (
                "connection refused"
                if _in_chain(exc, ConnectionRefusedError)
                else type(exc.__cause__ or exc).__name__
            )
            raise EndpointError(
                f"cannot reach {self.endpoint}: {why}; "
                "check --model-base-url/--judge-base-url and that the server is running"
            ) from None
        except openai.APIStatusError as exc:
            if exc.status_code in (401, 403):
                raise EndpointError(
                    f"{self.endpoint} rejected the API key (HTTP {exc.status_code}): set the "
                    "right key in OPENAI_API_KEY or the variable named by --model-api-key-env "
                    "/ --judge-api-key-env"
                ) from None
            # Many OpenAI-compatible servers lack /models; the first real request decides.
        except openai.APIError:
            pass

    async def aclose(self) -> None:
        """Close the HTTP client."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()


def _parse_completion(payload: Any, latency: float) -> ModelOutput:
    """Read a chat completion body (OpenAI format) into a :class:`ModelOutput`.

    Raises:
        MalformedResponseError: The body is not a usable chat completion.
    """
    if not isinstance(payload, dict):
        raise MalformedResponseError("the response body is not a JSON object")
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise MalformedResponseError("the response has no choices")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        raise MalformedResponseError("the response's first choice has no message")
    content = message.get("content")
    if content is None and message.get("refusal"):
        content = str(message["refusal"])
    if not isinstance(content, str):
        raise MalformedResponseError("the response's first choice has no text content")
    usage = None
    raw_usage = payload.get("usage")
    if isinstance(raw_usage, dict):

        def count(name: str) -> int:
            value = raw_usage.get(name)
            return value if isinstance(value, int) and value >= 0 else 0

        usage = Usage(
            prompt_tokens=count("prompt_tokens"),
            completion_tokens=count("completion_tokens"),
            total_tokens=count("total_tokens"),
        )
    finish = choice.get("finish_reason")
    model = payload.get("model")
    return ModelOutput(
        content=content,
        finish_reason=finish if isinstance(finish, str) else None,
        usage=usage,
        model=model if isinstance(model, str) else None,
        latency_s=latency,
    )


def _in_chain(error: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``error`` or anything it was raised from is a ``kind``."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return True
        seen.add(id(current))
        os_error = getattr(current, "os_error", None)  # aiohttp's connector errors
        if isinstance(os_error, kind):
            return True
        current = current.__cause__ or current.__context__
    return False


def _error_detail(error: Any) -> str:
    body = getattr(error, "body", None)
    text = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            text = inner.get("message")
        elif isinstance(inner, str):
            text = inner
    if not text:
        return ""
    text = " ".join(str(text).split())
    return f": {text[:200]}"


_OVERFLOW_WORDS = re.compile(
    r"context[ _](length|window|size)|maximum model length|max_model_len",
    re.IGNORECASE,
)
_LIMIT_PATTERNS = (
    re.compile(r"maximum context length is (\d+)", re.IGNORECASE),
    re.compile(r"maximum model length (?:is |of )?(\d+)", re.IGNORECASE),
    re.compile(r"context (?:window|length|size) (?:is |of )?\(?(\d+)", re.IGNORECASE),
)
_PROMPT_PATTERNS = (
    re.compile(r"\((\d+) in the messages", re.IGNORECASE),
    re.compile(r"prompt \(length (\d+)\)", re.IGNORECASE),
    re.compile(r"input \((\d+) tokens\)", re.IGNORECASE),
    re.compile(r"requested tokens \((\d+)\)", re.IGNORECASE),
)


def context_overflow(error: Any, *, fallback_limit: int | None = None) -> ContextLengthError | None:
    """Recognise an engine's "prompt longer than the context window" rejection.

    vLLM, SGLang, llama.cpp (both servers) and OpenAI word it differently; each
    names the window, which the error repeats. Returns None for other errors.
    """
    body = getattr(error, "body", None)
    text = str(error)
    fields: dict[str, Any] = {}
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            fields = inner
            text = " ".join(str(inner.get(k, "")) for k in ("message", "type", "code")) + text
        elif isinstance(inner, str):
            text = inner + " " + text
    if not (_OVERFLOW_WORDS.search(text) or "context_length_exceeded" in text):
        return None

    def first(patterns: tuple[re.Pattern[str], ...]) -> int | None:
        for pattern in patterns:
            found = pattern.search(text)
            if found:
                return int(found.group(1))
        return None

    limit = fields.get("n_ctx") if isinstance(fields.get("n_ctx"), int) else first(_LIMIT_PATTERNS)
    prompt = fields.get("n_prompt_tokens")
    if not isinstance(prompt, int):
        prompt = first(_PROMPT_PATTERNS)
    return ContextLengthError(limit=limit or fallback_limit, prompt_tokens=prompt)


API = OpenAIChatAPI
"""The class the registry serves ``openai/...`` with."""
