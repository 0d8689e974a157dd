"""Run the mock OpenAI-compatible endpoint as a process: an offline smoke test.

Usage::

    python -m mteval.testing.endpoint --port 0 --config endpoint.json --log requests.jsonl

It prints exactly one line, ``READY http://<host>:<port>/v1``, to stdout once it
listens, serves until SIGTERM or SIGINT, then flushes the request log and exits
0. The config file is the JSON form of :class:`mteval.testing.EndpointConfig`,
for example::

    {"models": {"judge": {"kind": "judge"}, "gpt-mock": {"kind": "fixed", "text": "Hi."}},
     "default_policy": {"kind": "echo"}, "latency_s": 0.05, "max_concurrency": 8,
     "faults": {"p": 0.1, "seed": 7}}

This module also re-exports the in-process API (:class:`MockEndpoint` and friends).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from mteval.errors import ConfigError
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
    "main",
    "prompt_key",
    "read_request_log",
    "score_for_prompt",
]


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m mteval.testing.endpoint",
        description="Serve a scripted, offline OpenAI-compatible chat endpoint.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    parser.add_argument("--config", type=Path, help="EndpointConfig JSON file (default: echo)")
    parser.add_argument("--log", type=Path, help="append one JSON line per chat request here")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace, config: EndpointConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
    endpoint = await MockEndpoint.start_async(
        config, host=args.host, port=args.port, log_path=args.log, keep_records=0
    )
    try:
        sys.stdout.write(f"READY {endpoint.base_url}\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await endpoint.stop_async()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the endpoint until SIGTERM/SIGINT; return the process exit status.

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).
    """
    args = _parse_args(argv)
    try:
        config = load_config(args.config) if args.config else EndpointConfig()
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(args, config))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
