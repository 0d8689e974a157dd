"""Models named by string: ``provider/model``, like Inspect AI.

A built-in provider is one module of :mod:`mteval.models.providers` named
after it (``llamacpp.py`` serves ``llamacpp/...``) whose ``API`` attribute is
its :class:`~mteval.models.base.ModelAPI` class; adding one is adding that
file. Third-party packages register theirs under the ``mteval.providers``
entry point group (``name = "package.module:Class"``). Provider modules
import their SDK lazily, so naming a provider never needs its extra; the
install hint comes when it is used.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Mapping
from typing import Any

from mteval.errors import ConfigError
from mteval.models.base import ModelAPI

__all__ = [
    "DEFAULT_KEY_ENV",
    "ENTRY_POINT_GROUP",
    "PROVIDERS",
    "create_api",
    "parse_model_spec",
    "provider_class",
    "provider_names",
    "resolve_api_key",
]

ENTRY_POINT_GROUP = "mteval.providers"
"""Entry point group through which other packages add providers."""

_PACKAGE = "mteval.models.providers"

# The extra that installs each built-in provider's SDK, for the hint when it is missing.
_EXTRAS = {"anthropic": "anthropic", "llamacpp": "llamacpp", "hf": "hf"}


def _builtin_names() -> list[str]:
    package = importlib.import_module(_PACKAGE)
    return sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    )


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def provider_names() -> list[str]:
    """Every provider name: the built-in ones, then those registered by entry points."""
    names = _builtin_names()
    return names + sorted(set(_entry_points()) - set(names))


PROVIDERS: tuple[str, ...] = ("anthropic", "hf", "llamacpp", "openai", "sglang", "vllm")
"""The built-in providers (:func:`provider_names` adds third-party ones)."""

DEFAULT_KEY_ENV: dict[str, str] = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def provider_class(provider: str) -> type[ModelAPI]:
    """Return the :class:`ModelAPI` class of ``provider`` (imports its module, not its SDK).

    Raises:
        ConfigError: No such provider, or its entry point is broken.
    """
    if provider in _builtin_names():
        module = importlib.import_module(f"{_PACKAGE}.{provider}")
        cls = module.API
    else:
        entry = _entry_points().get(provider)
        if entry is None:
            raise ConfigError(
                f"unknown provider {provider!r}: use one of {', '.join(provider_names())} "
                "(any OpenAI-compatible server is openai/<model> with --model-base-url)"
            )
        try:
            cls = entry.load()
        except Exception as exc:
            raise ConfigError(
                f"the provider {provider!r} registered by entry point {entry.value!r} failed "
                f"to load ({type(exc).__name__}: {exc})"
            ) from None
    if not (isinstance(cls, type) and issubclass(cls, ModelAPI)):
        raise ConfigError(f"the provider {provider!r} is not a mteval.models.ModelAPI class")
    return cls


def parse_model_spec(spec: str) -> tuple[str, str]:
    """Split ``provider/model`` (the model part may itself contain slashes).

    Raises:
        ConfigError: Not of that form, or an unknown provider.
    """
    provider, sep, name = spec.partition("/")
    if not sep or not provider or not name.strip():
        raise ConfigError(
            f"invalid model spec {spec!r}: use PROVIDER/MODEL, e.g. openai/gpt-4o-mini, "
            f"llamacpp/model.gguf or hf/HuggingFaceTB/SmolLM2-135M-Instruct; providers: "
            f"{', '.join(provider_names())}"
        )
    if provider not in provider_names():
        raise ConfigError(
            f"unknown provider {provider!r} in {spec!r}: use one of "
            f"{', '.join(provider_names())} (any OpenAI-compatible server is "
            "openai/<model> with --model-base-url)"
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

    A keyless provider (a local engine) never asks for one.

    Returns:
        The key, or None when none is needed (a keyless provider, or a base
        URL without a key).

    Raises:
        ConfigError: A named variable is unset, or no key exists for a hosted API.
    """
    default = provider_class(provider).api_key_env
    env = os.environ if environ is None else environ
    if key_env:
        value = env.get(key_env)
        if not value:
            raise ConfigError(
                f"the environment variable {key_env} (named for the API key) is not set"
            )
        return value
    if default is None:
        return None
    value = env.get(default)
    if value:
        return value
    if base_url:
        return None
    raise ConfigError(
        f"no API key for {provider}: set {default} "
        "(or name another variable with --model-api-key-env / --judge-api-key-env)"
    )


def create_api(
    spec: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout_s: float = 300.0,
    max_connections: int = 64,
    options: Mapping[str, Any] | None = None,
) -> ModelAPI:
    """Create the provider for ``spec``.

    Args:
        spec: ``provider/model``.
        base_url: The endpoint, for providers that take one.
        api_key: The key, for providers that need one.
        timeout_s: Per-request timeout.
        max_connections: The concurrency the caller will allow (HTTP pool size).
        options: Provider options (``-M key=value``).

    Raises:
        ConfigError: Invalid spec, unknown provider or option, or missing SDK.
    """
    provider, name = parse_model_spec(spec)
    cls = provider_class(provider)
    try:
        return cls(  # type: ignore[call-arg]
            model_name=name,
            base_url=base_url,
            api_key=api_key,
            timeout_s=timeout_s,
            max_connections=max_connections,
            options=dict(options or {}),
        )
    except ImportError as exc:
        extra = _EXTRAS.get(provider, provider)
        raise ConfigError(
            f"the {provider} provider needs an extra package ({exc.name}): "
            f"pip install 'mteval[{extra}]'"
        ) from None
