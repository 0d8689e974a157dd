"""From settings to a provider: what a run and an audit both do to reach an endpoint."""

from __future__ import annotations

from collections.abc import Mapping

from mteval.config import EndpointSettings, RetrySettings
from mteval.models.base import ModelAPI
from mteval.models.model import RetryPolicy
from mteval.models.registry import create_api, parse_model_spec, resolve_api_key

__all__ = ["open_endpoint", "retry_policy"]


def open_endpoint(
    settings: EndpointSettings, *, max_connections: int, environ: Mapping[str, str]
) -> ModelAPI:
    """Create the provider for an endpoint, its key read from ``environ``.

    Args:
        settings: The model (or judge) and how to reach it.
        max_connections: The concurrency the caller will allow (HTTP pool size).
        environ: Where the API key is read (never a file or a flag).

    Raises:
        ConfigError: Invalid spec, unknown provider or option, missing key or SDK.
    """
    provider, _ = parse_model_spec(settings.spec)
    key = resolve_api_key(
        provider, key_env=settings.api_key_env, base_url=settings.base_url, environ=environ
    )
    return create_api(
        settings.spec,
        base_url=settings.base_url,
        api_key=key,
        timeout_s=settings.timeout_s,
        max_connections=max_connections,
        # The provider's own options (a local engine's settings).
        options=settings.options,
    )


def retry_policy(settings: RetrySettings) -> RetryPolicy:
    """The model wrapper's retry policy for the configured retry settings."""
    return RetryPolicy(
        max_attempts=settings.max_attempts,
        base_delay_s=settings.base_delay_s,
        max_delay_s=settings.max_delay_s,
        max_total_s=settings.max_total_s,
    )
