"""Model access: thin providers behind one wrapper that retries, limits and caches."""

from mteval.models.adaptive import AdaptiveLimit, Ticket
from mteval.models.base import FailureInfo, MalformedResponseError, ModelAPI
from mteval.models.endpoints import open_endpoint, retry_policy
from mteval.models.limits import PriorityLimiter
from mteval.models.model import (
    CompletionCache,
    MemoryCache,
    Model,
    ModelStats,
    RequestFailed,
    RetryPolicy,
)
from mteval.models.registry import PROVIDERS, create_api, parse_model_spec, resolve_api_key

__all__ = [
    "PROVIDERS",
    "AdaptiveLimit",
    "CompletionCache",
    "FailureInfo",
    "MalformedResponseError",
    "MemoryCache",
    "Model",
    "ModelAPI",
    "ModelStats",
    "PriorityLimiter",
    "RequestFailed",
    "RetryPolicy",
    "Ticket",
    "create_api",
    "open_endpoint",
    "parse_model_spec",
    "resolve_api_key",
    "retry_policy",
]
