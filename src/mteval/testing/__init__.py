"""A scripted, fault-injecting, latency-modelled OpenAI-compatible chat server.

Used as the test suite's endpoint, as the performance benchmark's simulated
endpoint and as an offline smoke test (``python -m mteval.testing.endpoint``).
This package is a leaf: it imports only the standard library, pydantic and
``mteval.types``/``mteval.errors``, and core code never imports it.

Example::

    from mteval.testing import EndpointConfig, JudgePolicy, MockEndpoint

    config = EndpointConfig(models={"judge": JudgePolicy()})
    with MockEndpoint(config) as ep:
        ...  # AsyncOpenAI(base_url=ep.base_url, api_key="x", max_retries=0)
"""

from mteval.testing.config import (
    FAULT_KINDS,
    JUDGE_FAULTS,
    TRANSIENT_FAULTS,
    CallablePolicy,
    ChoicePolicy,
    EchoPolicy,
    EndpointConfig,
    FaultConfig,
    FaultKind,
    FixedPolicy,
    JudgePolicy,
    Policy,
    ReplayPolicy,
    load_config,
)
from mteval.testing.records import EndpointStats, RequestRecord, read_request_log
from mteval.testing.replies import choice_for_prompt, judge_reply, prompt_key, score_for_prompt
from mteval.testing.server import MockEndpoint

__all__ = [
    "FAULT_KINDS",
    "JUDGE_FAULTS",
    "TRANSIENT_FAULTS",
    "CallablePolicy",
    "ChoicePolicy",
    "EchoPolicy",
    "EndpointConfig",
    "EndpointStats",
    "FaultConfig",
    "FaultKind",
    "FixedPolicy",
    "JudgePolicy",
    "MockEndpoint",
    "Policy",
    "ReplayPolicy",
    "RequestRecord",
    "choice_for_prompt",
    "judge_reply",
    "load_config",
    "prompt_key",
    "read_request_log",
    "score_for_prompt",
]
