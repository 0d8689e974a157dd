"""Models named by string: ``provider/model``, like Inspect AI.

Factories import their SDK lazily and say how to install it when missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from mteval.errors import ConfigError
from mteval.models.base import ModelAPI

__all__ = ["DEFAULT_KEY_ENV", "PROVIDERS", "create_api", "parse_model_spec", "resolve_api_key"]

DEFAULT_KEY_ENV: dict[str, str] = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def _openai(**kwargs: Any) -> ModelAPI:
    from mteval.models.providers.openai import OpenAIChatAPI

    return OpenAIChatAPI(**kwargs)


def _anthropic(**kwargs: Any) -> ModelAPI:
    from mteval.models.providers.anthropic import AnthropicChatAPI

    return AnthropicChatAPI(**kwargs)


PROVIDERS: dict[str, Callable[..., ModelAPI]] = {"openai": _openai, "anthropic": _anthropic}


def parse_model_spec(spec: str) -> tuple[str, str]:
    """Split ``provider/model`` (the model part may itself contain slashes).

    Raises:
        ConfigError: Not of that form, or an unknown provider.
    """
    provider, sep, name = spec.partition("/")
    if not sep or not provider or not name.strip():
        raise ConfigError(
            f"invalid model spec {spec!r}: use PROVIDER/MODEL, e.g. openai/gpt-4o-mini or "
            f"openai/Qwen2.5-7B-Instruct with --model-base-url; providers: {', '.join(PROVIDERS)}"
        )
    if provider not in PROVIDERS:
        raise ConfigError(
            f"unknown provider {provider!r} in {spec!r}: use one of {', '.join(PROVIDERS)} "
            "(any OpenAI-compatible server is openai/<model> with --model-base-url)"
        )
    return provider, name


def resolve_api_key(
    provider: str,
    *,
    key_env: str | None,
    base_url: str | None,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """Read the API key from the environment (never from a file or a flag).

    Returns:
        The key, or None when none is needed (a base URL without a key).

    Raises:
        ConfigError: A named variable is unset, or no key exists for a hosted API.
    """
    env = os.environ if environ is None else environ
    if key_env:
        value = env.get(key_env)
        if not value:
            raise ConfigError(
                f"the environment variable {key_env} (named for the API key) is not set"
            )
        return value
    default = DEFAULT_KEY_ENV.get(provider)
    value = env.get(default) if default else None
    if value:
        return value
    if base_url:
        return None
    raise ConfigError(
        f"no API key for {provider}: set {default or 'the key variable'} "
        "(or name another variable with --model-api-key-env / --judge-api-key-env)"
    )


def create_api(
    spec: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout_s: float = 300.0,
    max_connections: int = 64,
) -> ModelAPI:
    """Create the provider for ``spec``.

    Raises:
        ConfigError: Invalid spec, unknown provider or missing SDK.
    """
    provider, name = parse_model_spec(spec)
    factory = PROVIDERS[provider]
    try:
        return factory(
            model_name=name,
            base_url=base_url,
            api_key=api_key,
            timeout_s=timeout_s,
            max_connections=max_connections,
        )
    except ImportError as exc:
        raise ConfigError(
            f"the {provider} provider needs an extra package ({exc.name}): "
            f"pip install 'mteval[{provider}]'"
        ) from None
