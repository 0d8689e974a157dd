"""Run settings: small, keyword-only, immutable.

A :class:`RunConfig` says everything that decides a run's results (the
model, the judge, their settings, the tasks); its :meth:`fingerprint`
identifies the run, so that the same command resumes the same run. Settings
that change only speed or robustness (connections, retries, timeouts) are
left out of the fingerprint.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mteval.types import GenerateConfig, stable_hash

__all__ = [
    "DEFAULT_BENCHMARK",
    "DEFAULT_JUDGE",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_SYSTEM_MESSAGE",
    "EndpointSettings",
    "RetrySettings",
    "RunConfig",
]

DEFAULT_BENCHMARK = "mt-eval"
"""The benchmark a run evaluates unless told otherwise (and what every run stored by
mteval 0.1.0, before benchmarks were plug-ins, evaluated)."""

DEFAULT_SYSTEM_MESSAGE = "You are a helpful, respectful and honest assistant."
"""The system message MT-Eval's inference script sends (the default benchmark's)."""

DEFAULT_JUDGE = "openai/gpt-4-0613"
"""The judge the MT-Eval paper used (the default benchmark's)."""

DEFAULT_MAX_CONNECTIONS = 32


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EndpointSettings(_Frozen):
    """A model (or judge) and how to reach it.

    Attributes:
        spec: ``provider/model``, e.g. ``openai/gpt-4o-mini``.
        base_url: OpenAI-compatible base URL, e.g. ``http://localhost:8000/v1``.
        api_key_env: Name of the environment variable holding the key (the key
            itself is never part of any setting).
        generate: Generation settings.
        system_message: System message sent first (``None``: none).
        timeout_s: Per-request timeout.
        options: Provider options (``-M key=value``): how a local engine is
            started (context size, parallel slots, ...), unlike ``generate``,
            which is sent with each request.
    """

    spec: str
    base_url: str | None = None
    api_key_env: str | None = None
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    system_message: str | None = None
    timeout_s: float = 300.0
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    def identity(self) -> dict[str, Any]:
        """What about this endpoint decides results (no key, no timeout)."""
        identity: dict[str, Any] = {
            "spec": self.spec,
            "base_url": self.base_url,
            "generate": self.generate.request_fields(),
            "system_message": self.system_message,
        }
        if self.options:
            identity["options"] = dict(sorted(self.options.items()))
        return identity


class RetrySettings(_Frozen):
    """Retry policy settings (see :class:`mteval.models.RetryPolicy`)."""

    max_attempts: int = 6
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    max_total_s: float = 900.0
    judge_reply_attempts: int = 3
    """Times the judge is asked when its reply is unusable before a judge error."""


class RunConfig(_Frozen):
    """Everything a run needs.

    Attributes:
        benchmark: The benchmark's registry name.
        model: The model under evaluation.
        judge: The judge (needed by judge-scored tasks).
        tasks: Task names of that benchmark, in registry order.
        limit: Evaluate only the first N dialogues of each task.
        max_connections: Concurrency ceiling per endpoint (shared when the
            model and judge are one endpoint); the limit itself adapts below it
            unless ``adaptive`` is off. None: the provider's default (a local
            engine's batch capacity), else ``DEFAULT_MAX_CONNECTIONS``.
        judge_max_connections: Separate limit for the judge's endpoint when it
            differs from the model's (default: ``max_connections``).
        retry: Retry settings.
        adaptive: Adapt each endpoint's concurrency to what it serves
            (:class:`mteval.models.AdaptiveLimit`); off: exactly
            ``max_connections`` at once.
    """

    benchmark: str = DEFAULT_BENCHMARK
    model: EndpointSettings
    judge: EndpointSettings | None = None
    tasks: tuple[str, ...]
    limit: int | None = None
    max_connections: int | None = None
    judge_max_connections: int | None = None
    retry: RetrySettings = Field(default_factory=RetrySettings)
    adaptive: bool = True

    def fingerprint(
        self,
        *,
        data_commit: str,
        model_weights: str | None = None,
        judge_weights: str | None = None,
    ) -> str:
        """A hash of what decides the results: same fingerprint, same run.

        The default benchmark is left out of the hash, so runs stored before
        benchmarks were plug-ins keep their fingerprint (and resume).

        Args:
            data_commit: The benchmark sources' commit.
            model_weights: The fingerprint of a local model's weights: other
                weights under the same name make another run.
            judge_weights: The same for a local judge.
        """
        value: dict[str, Any] = {
            "model": self.model.identity(),
            "judge": self.judge.identity() if self.judge else None,
            "tasks": list(self.tasks),
            "limit": self.limit,
            "data": data_commit,
        }
        if model_weights is not None:
            value["model_weights"] = model_weights
        if judge_weights is not None:
            value["judge_weights"] = judge_weights
        if self.benchmark != DEFAULT_BENCHMARK:
            value["benchmark"] = self.benchmark
        return stable_hash(value)
