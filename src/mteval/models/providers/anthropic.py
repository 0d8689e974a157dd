"""Anthropic's Messages API (optional extra: ``pip install 'mteval[anthropic]'``)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, ClassVar

from mteval.errors import ConfigError
from mteval.models.base import (
    FailureInfo,
    MalformedResponseError,
    ModelAPI,
)
from mteval.models.providers.openai import redact
from mteval.types import ChatMessage, GenerateConfig, ModelOutput, Usage

__all__ = ["AnthropicChatAPI"]


class AnthropicChatAPI(ModelAPI):
    """Claude models through the official ``anthropic`` SDK.

    The system message goes in the request's ``system`` field; ``seed`` is not
    supported by the API and is not sent.
    """

    provider = "anthropic"
    api_key_env: ClassVar[str | None] = "ANTHROPIC_API_KEY"

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
        import anthropic  # noqa: F401  (fail early with an install hint)

        super().__init__(model_name=model_name, base_url=base_url, options=options)
        self._validate_options()
        if api_key is None and base_url is None:
            raise ConfigError("no API key for anthropic: set ANTHROPIC_API_KEY")
        self._api_key = api_key or "mteval-no-key"
        self._timeout_s = timeout_s
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            import anthropic

            self._client = anthropic.AsyncAnthropic(
                api_key=self._api_key,
                base_url=self.base_url,
                timeout=self._timeout_s,
                max_retries=0,
            )
        return self._client

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        """Send one Messages API request."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        chat = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
        fields = config.request_fields()
        kwargs: dict[str, Any] = {"max_tokens": fields.pop("max_tokens", 1024)}
        for name in ("temperature", "top_p"):
            if name in fields:
                kwargs[name] = fields.pop(name)
        if "stop" in fields:
            kwargs["stop_sequences"] = fields.pop("stop")
        fields.pop("seed", None)
        if system:
            kwargs["system"] = system
        started = time.perf_counter()
        reply = await self._get_client().messages.create(
            model=self.model_name, messages=chat, extra_body=fields or None, **kwargs
        )
        latency = time.perf_counter() - started
        blocks = getattr(reply, "content", None)
        if blocks is None:
            raise MalformedResponseError("the response has no content")
        text = "".join(getattr(b, "text", "") for b in blocks if getattr(b, "type", "") == "text")
        usage = getattr(reply, "usage", None)
        return ModelOutput(
            content=text,
            finish_reason=getattr(reply, "stop_reason", None),
            usage=Usage(
                prompt_tokens=int(getattr(usage, "input_tokens", 0) or 0),
                completion_tokens=int(getattr(usage, "output_tokens", 0) or 0),
                total_tokens=int(getattr(usage, "input_tokens", 0) or 0)
                + int(getattr(usage, "output_tokens", 0) or 0),
            ),
            model=getattr(reply, "model", None),
            latency_s=latency,
        )

    def classify_error(self, error: BaseException) -> FailureInfo:
        """Map SDK exceptions to retry decisions."""
        import anthropic

        def message(text: str) -> str:
            return redact(f"{text} from anthropic/{self.model_name}", [self._api_key])

        if isinstance(error, MalformedResponseError):
            return FailureInfo("malformed", True, message(str(error)))
        if isinstance(error, anthropic.APITimeoutError):
            return FailureInfo("timeout", True, message("request timed out"))
        if isinstance(error, anthropic.APIConnectionError):
            return FailureInfo("connection", True, message("connection failed"))
        if isinstance(error, anthropic.APIStatusError):
            status = error.status_code
            if status == 429:
                after = error.response.headers.get("retry-after")
                return FailureInfo(
                    "rate_limit",
                    True,
                    message("HTTP 429 rate limited"),
                    retry_after_s=float(after) if after and after.isdigit() else None,
                )
            if status in (401, 403):
                return FailureInfo(
                    "auth", False, message(f"HTTP {status}: check ANTHROPIC_API_KEY"), fatal=True
                )
            if status == 404:
                return FailureInfo(
                    "not_found", False, message("HTTP 404: unknown model"), fatal=True
                )
            if status >= 500 or status == 529:
                return FailureInfo("server", True, message(f"HTTP {status}"))
            return FailureInfo("bad_request", False, message(f"HTTP {status}"))
        return FailureInfo("other", False, message(f"unexpected {type(error).__name__}"))

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.close()
            self._client = None


API = AnthropicChatAPI
"""The class the registry serves ``anthropic/...`` with."""
