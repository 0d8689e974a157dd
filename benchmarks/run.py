"""How close does `mteval run` get to what the endpoint allows? A reproducible benchmark.

For each scenario it starts a simulated OpenAI-compatible endpoint on 127.0.0.1
(``mteval.testing.endpoint`` in its own process: a fixed latency per request plus
a cost per output token, at most C requests in service at once, the rest queued,
every request's arrival/start/end logged), runs the real ``mteval run`` CLI
against it (model: replays the benchmark's reference replies, so reply lengths are
realistic; judge: deterministic scores), and computes from the endpoint's log the
workload's lower bound:

    max(longest chain of dependent requests, total service time / C)

where a chain is one dialogue's turns in order plus the judgment of its last turn
(each turn alone in gold-history and single-turn sets). It reports wall time,
the lower bound, efficiency = lower bound / time, requests per second, the mteval
process's peak RSS and CPU time per request.

Usage::

    python benchmarks/run.py --latency 0.2 --capacity 64            # one scenario
    python benchmarks/run.py --suite --record                       # the standard table
                                                                    # -> docs/benchmarks.md

Efficiency is given two ways: against the run's active span (the endpoint's first
arrival to its last response: what the scheduler controls) and end to end (the
process's wall time, including interpreter start, imports and building the task
sets, about a second and a half that does not grow with the workload).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks.md"
TABLE_START = "<!-- benchmark-table:start -->"
TABLE_END = "<!-- benchmark-table:end -->"


@dataclass
class Scenario:
    """One benchmark configuration."""

    name: str
    tasks: str = "main"
    benchmark: str = "mt-eval"
    latency_s: float = 0.2
    per_token_s: float = 0.0
    capacity: int | None = 64
    max_connections: int = 64
    rerun: bool = False  # also time a cached rerun of the same command
    limit: int | None = None  # only the first N dialogues of each task
    one_core: bool = False  # pin mteval to one core, the endpoint to another
    adaptive: bool = False  # adaptive concurrency (mteval's default) below max_connections
    timeout_s: float | None = None  # --timeout (default: mteval's)


@dataclass
class Measurement:
    """What one scenario measured."""

    scenario: str
    tasks: str
    latency_ms: float
    per_token_ms: float
    capacity: str
    max_connections: int
    requests: int
    wall_s: float
    span_s: float
    lower_bound_s: float
    chain_s: float
    work_over_c_s: float
    efficiency: float
    efficiency_e2e: float
    requests_per_s: float
    peak_rss_mb: float
    cpu_s: float
    cpu_ms_per_request: float
    rerun_wall_s: float | None = None
    rerun_requests: int | None = None
    cpu_ms_per_request_net: float | None = None
    adaptive: bool = False
    repeated_requests: int | None = None
    concurrency: dict[str, Any] | None = None


def _env() -> dict[str, str]:
    shared = REPO.parent / "shared"
    # This process builds the replay map too, so it needs the data as well.
    os.environ.setdefault("MTEVAL_DATA_DIR", str(shared / "mt-eval"))
    os.environ.setdefault("NLTK_DATA", str(shared / "nltk_data"))
    os.environ.setdefault("MTBENCH101_DATA_DIR", str(shared / "mt-bench-101"))
    env = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "OPENAI_API_KEY"):
        env.pop(name, None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _reference_replies(tasks: str, benchmark: str = "mt-eval") -> dict[str, str]:
    """sha256(user message) -> reply, for a mock model replaying the reference replies.

    A newline is appended to each reference so that the model's own history
    differs from the gold history, as with a real model; otherwise the gold
    settings would repeat the own-history requests and be answered from cache.
    """
    from mteval.benchmarks import get_benchmark

    bench = get_benchmark(benchmark)
    sources = bench.load_sources(None)
    replies: dict[str, str] = {}
    for spec in bench.resolve_tasks(tasks):
        for dialogue in spec.load(sources).dialogues:
            for turn in dialogue.turns:
                if turn.do_inference and turn.reference.strip():
                    key = hashlib.sha256(turn.user.encode("utf-8")).hexdigest()
                    replies[key] = turn.reference + "\n"
    return replies


def _pin(cores: set[int]) -> Any:
    def apply() -> None:
        try:
            os.sched_setaffinity(0, cores)
        except (AttributeError, OSError):
            pass

    return apply


JUDGES: dict[str, dict[str, Any]] = {
    # Verdict formats other than MT-Eval's JSON: the scripted judge answers in the benchmark's.
    "mt-bench-101": {"kind": "choice", "replies": ["Rating: [[7]]", "Rating: [[4]]"]},
}


def _start_endpoint(workdir: Path, scenario: Scenario, env: dict[str, str]) -> tuple[Any, str]:
    replies = workdir / "replies.json"
    replies.write_text(
        json.dumps(_reference_replies(scenario.tasks, scenario.benchmark)), encoding="utf-8"
    )
    config = {
        "models": {
            # Questions with no reference (global instructions) get a short reply.
            "model": {"kind": "replay", "path": str(replies), "fallback": "A short answer."},
            "judge": JUDGES.get(scenario.benchmark, {"kind": "judge"}),
        },
        "latency_s": scenario.latency_s,
        "per_token_s": scenario.per_token_s,
        "max_concurrency": scenario.capacity,
    }
    (workdir / "endpoint.json").write_text(json.dumps(config), encoding="utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mteval.testing.endpoint",
            "--port",
            "0",
            "--config",
            str(workdir / "endpoint.json"),
            "--log",
            str(workdir / "requests.jsonl"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_pin({1}) if scenario.one_core else None,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("READY "):
        process.kill()
        raise SystemExit(f"the endpoint did not start: {line!r}")
    return process, line.split(" ", 1)[1]


def _run_mteval(
    url: str, workdir: Path, scenario: Scenario, env: dict[str, str], tag: str
) -> tuple[float, Any]:
    command = [
        sys.executable,
        "-m",
        "mteval.cli",
        "run",
        "--benchmark",
        scenario.benchmark,
        "--model",
        "openai/model",
        "--model-base-url",
        url,
        "--judge",
        "openai/judge",
        "--judge-base-url",
        url,
        "--tasks",
        scenario.tasks,
        "--max-connections",
        str(scenario.max_connections),
        "--db",
        str(workdir / "mteval.db"),
        "--output-dir",
        str(workdir / f"out-{tag}"),
        "--no-progress",
    ]
    if scenario.limit is not None:
        command += ["--limit", str(scenario.limit)]
    if not scenario.adaptive:
        command += ["--no-adaptive"]
    if scenario.timeout_s is not None:
        command += ["--timeout", str(scenario.timeout_s)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=_pin({0}) if scenario.one_core else None,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        err = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"mteval run failed ({process.returncode}): {err[-2000:]}")
    return wall, usage


def _read_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _body_key(request: dict[str, Any]) -> str:
    from mteval.types import stable_hash

    body = {"model": request["model"], "messages": request["messages"], **request["settings"]}
    return stable_hash(body)


def _lower_bound(
    db: Path, log: list[dict[str, Any]], capacity: int | None, benchmark: str = "mt-eval"
) -> tuple[float, float, float]:
    """(lower bound, longest chain, total service / C) from the store and the log."""
    from mteval.benchmarks import get_benchmark

    TASKS = get_benchmark(benchmark).tasks  # noqa: N806

    service: dict[str, float] = {}
    for entry in log:
        if entry.get("status") == 200 and entry.get("key") and entry["key"] not in service:
            service[entry["key"]] = entry["end"] - entry["start"]
    total = sum(e["end"] - e["start"] for e in log if e.get("status") == 200)
    connection = sqlite3.connect(db)
    try:
        requests = {
            key: _body_key(json.loads(zlib.decompress(blob)))
            for key, blob in connection.execute("SELECT key, request FROM completions")
        }
        turns = connection.execute(
            "SELECT task, dialogue_id, position, completion_key FROM turns"
            " WHERE status = 'answered'"
        ).fetchall()
        judges = {
            (task, dialogue, position): key
            for task, dialogue, position, key in connection.execute(
                "SELECT task, dialogue_id, position, judge_key FROM judgments"
                " WHERE judge_key IS NOT NULL"
            )
        }
    finally:
        connection.close()

    def cost(completion_key: str | None) -> float:
        if completion_key is None or completion_key not in requests:
            return 0.0
        return service.get(requests[completion_key], 0.0)

    chains: dict[tuple[str, str], list[tuple[int, str]]] = {}
    longest = 0.0
    for task, dialogue, position, key in turns:
        if TASKS[task].history == "gold":
            longest = max(longest, cost(key) + cost(judges.get((task, dialogue, position))))
        else:
            chains.setdefault((task, dialogue), []).append((position, key))
    for (task, dialogue), items in chains.items():
        items.sort()
        last = items[-1][0]
        chain = sum(cost(key) for _, key in items) + cost(judges.get((task, dialogue, last)))
        longest = max(longest, chain)
    spread = total / capacity if capacity else 0.0
    return max(longest, spread), longest, spread


def measure(scenario: Scenario, *, keep: Path | None = None) -> Measurement:
    """Run one scenario and return its measurement."""
    env = _env()
    with tempfile.TemporaryDirectory(prefix="mteval-bench-") as tmp:
        workdir = keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        endpoint, url = _start_endpoint(workdir, scenario, env)
        try:
            wall, usage = _run_mteval(url, workdir, scenario, env, "first")
            rerun_wall = rerun_requests = None
            if scenario.rerun:
                before = _stats(url)["requests"]
                rerun_wall, _ = _run_mteval(url, workdir, scenario, env, "rerun")
                rerun_requests = _stats(url)["requests"] - before
        finally:
            endpoint.send_signal(signal.SIGTERM)
            endpoint.wait(30)
        log = _read_log(workdir / "requests.jsonl")
        # The rerun sends nothing (the cache answers); the log is the first run's.
        first = log
        bound, chain, spread = _lower_bound(
            workdir / "mteval.db", first, scenario.capacity, scenario.benchmark
        )
        arrivals = [e["arrival"] for e in first]
        ends = [e["end"] for e in first]
        span = max(ends) - min(arrivals) if first else 0.0
        cpu = usage.ru_utime + usage.ru_stime
        requests = len(first)
        bodies = [e["key"] for e in first]  # a retry repeats its request's key
        used = _concurrency_used(workdir / "out-first" / "results.json")
        return Measurement(
            scenario=scenario.name,
            tasks=scenario.tasks
            if scenario.benchmark == "mt-eval"
            else f"{scenario.benchmark}: {scenario.tasks}",
            latency_ms=scenario.latency_s * 1000,
            per_token_ms=scenario.per_token_s * 1000,
            capacity=str(scenario.capacity) if scenario.capacity else "unlimited",
            max_connections=scenario.max_connections,
            requests=requests,
            wall_s=wall,
            span_s=span,
            lower_bound_s=bound,
            chain_s=chain,
            work_over_c_s=spread,
            efficiency=bound / span if span else 0.0,
            efficiency_e2e=bound / wall if wall else 0.0,
            requests_per_s=requests / span if span else 0.0,
            peak_rss_mb=usage.ru_maxrss / 1024,
            cpu_s=cpu,
            cpu_ms_per_request=1000 * cpu / requests if requests else 0.0,
            rerun_wall_s=rerun_wall,
            rerun_requests=rerun_requests,
            adaptive=scenario.adaptive,
            repeated_requests=len(bodies) - len(set(bodies)),
            concurrency=used,
        )


def _concurrency_used(path: Path) -> dict[str, Any] | None:
    """The concurrency the run recorded (results.json ``usage.concurrency``)."""
    try:
        usage = json.loads(path.read_text(encoding="utf-8")).get("usage", {})
    except (OSError, ValueError):
        return None
    used = usage.get("concurrency")
    return used if isinstance(used, dict) else None


def measure_startup() -> float:
    """CPU seconds of a run that does almost nothing: the fixed cost of a run.

    One classification dialogue (10 requests) at zero latency: interpreter start,
    imports, building and checking the task sets, opening the store, preflight.
    """
    scenario = Scenario(
        name="startup",
        tasks="recollection_multi_cls",
        latency_s=0.0,
        capacity=None,
        max_connections=8,
        limit=1,
    )
    env = _env()
    with tempfile.TemporaryDirectory(prefix="mteval-bench-") as tmp:
        workdir = Path(tmp)
        endpoint, url = _start_endpoint(workdir, scenario, env)
        try:
            _, usage = _run_mteval(url, workdir, scenario, env, "startup")
        finally:
            endpoint.send_signal(signal.SIGTERM)
            endpoint.wait(30)
    return float(usage.ru_utime + usage.ru_stime)


def _stats(url: str) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(url.rsplit("/v1", 1)[0] + "/stats", timeout=10) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


SUITE = [
    Scenario(name="sequential", latency_s=0.2, capacity=1, max_connections=1),
    Scenario(name="C=8", latency_s=0.2, capacity=8, max_connections=8),
    Scenario(name="C=64", latency_s=0.2, capacity=64, max_connections=64),
    Scenario(name="C=64 +25% connections", latency_s=0.2, capacity=64, max_connections=80),
    Scenario(name="C=512", latency_s=0.2, capacity=512, max_connections=512),
    Scenario(
        name="C=512 at 5 ms/token",
        latency_s=0.2,
        per_token_s=0.005,
        capacity=512,
        max_connections=512,
    ),
    # A small local server (two slots, like `llama-server --parallel 2`) run with
    # mteval's default settings, against a fixed limit equal to its capacity.
    Scenario(
        name="C=2, default settings",
        latency_s=0.5,
        capacity=2,
        max_connections=32,
        adaptive=True,
        limit=2,
    ),
    Scenario(
        name="C=2, fixed 2 (reference)",
        latency_s=0.5,
        capacity=2,
        max_connections=2,
        limit=2,
    ),
    Scenario(
        name="zero latency, one core",
        latency_s=0.0,
        capacity=None,
        max_connections=32,
        one_core=True,
    ),
    # MT-Bench-101 under golden history: every evaluated turn is independent, so all
    # 3,615 answers (and each one's judgment right after it) can be in flight at once.
    Scenario(
        name="MT-Bench-101, C=64",
        benchmark="mt-bench-101",
        tasks="all",
        latency_s=0.2,
        capacity=64,
        max_connections=64,
    ),
    Scenario(
        name="all tasks + cached rerun",
        tasks="all",
        latency_s=0.0,
        capacity=None,
        max_connections=32,
        rerun=True,
    ),
]


def _row(m: Measurement) -> str:
    rerun = "—"
    if m.rerun_wall_s is not None:
        rerun = f"{m.rerun_wall_s:.1f} s, {m.rerun_requests} req"
    net = "—" if m.cpu_ms_per_request_net is None else f"{m.cpu_ms_per_request_net:.2f}"
    latency = f"{m.latency_ms:.0f} + {m.per_token_ms:g}/token"
    connections = f"{m.max_connections} adaptive" if m.adaptive else str(m.max_connections)
    return (
        f"| {m.scenario} | {m.tasks} | {latency} | {m.capacity} | {connections} "
        f"| {m.requests} | {m.wall_s:.1f} | {m.span_s:.1f} | {m.lower_bound_s:.1f} "
        f"| {m.efficiency:.2f} | {m.efficiency_e2e:.2f} | {m.requests_per_s:.0f} "
        f"| {m.peak_rss_mb:.0f} | {m.cpu_ms_per_request:.2f} | {net} | {rerun} |"
    )


HEADER = (
    "| scenario | tasks | latency ms | C | max conn. | requests | wall s | span s | lower bound s "
    "| efficiency (span) | efficiency (e2e) | req/s | peak RSS MB | CPU ms/req "
    "| CPU ms/req after startup | cached rerun |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _merge(rows: list[Measurement]) -> list[Measurement]:
    """Rows measured now, plus earlier rows of the suite's other scenarios, in suite order."""
    path = DOC.parent / "benchmarks.json"
    earlier: dict[str, Measurement] = {}
    if path.exists():
        for item in json.loads(path.read_text(encoding="utf-8")):
            known = {k: v for k, v in item.items() if k in Measurement.__dataclass_fields__}
            earlier[item["scenario"]] = Measurement(**known)
    for row in rows:
        earlier[row.scenario] = row
    order = [s.name for s in SUITE]
    kept = [m for m in earlier.values() if m.scenario in order or m in rows]
    return sorted(kept, key=lambda m: order.index(m.scenario) if m.scenario in order else 99)


def _record(rows: list[Measurement]) -> None:
    import mteval

    rows = _merge(rows)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    block = "\n".join(
        [
            TABLE_START,
            f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} with mteval "
            f"{mteval.__version__} on {machine}.",
            "",
            HEADER,
            *(_row(m) for m in rows),
            "",
            "Raw numbers: `docs/benchmarks.json`.",
            TABLE_END,
        ]
    )
    text = f"# Benchmarks\n\n{TABLE_START}\n{TABLE_END}\n"
    if DOC.exists():
        text = DOC.read_text(encoding="utf-8")
    start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
    DOC.write_text(text[:start] + block + text[end:], encoding="utf-8")
    (DOC.parent / "benchmarks.json").write_text(
        json.dumps([asdict(m) for m in rows], indent=2) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", action="store_true", help="run the standard scenarios")
    parser.add_argument("--only", help="with --suite: scenario names to run, separated by ';'")
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the table to docs/ (rows of scenarios not run now are kept)",
    )
    parser.add_argument("--tasks", default="main")
    parser.add_argument("--benchmark", default="mt-eval", help="the benchmark to run")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request")
    parser.add_argument("--per-token", type=float, default=0.0, help="seconds per output token")
    parser.add_argument("--capacity", type=int, default=64, help="endpoint slots (0: unlimited)")
    parser.add_argument("--max-connections", type=int, default=None)
    parser.add_argument("--rerun", action="store_true", help="also time a cached rerun")
    parser.add_argument("--one-core", action="store_true", help="pin mteval to one core")
    parser.add_argument(
        "--adaptive", action="store_true", help="adaptive concurrency (default: a fixed limit)"
    )
    parser.add_argument("--keep", type=Path, help="keep the work folder here")
    args = parser.parse_args(argv)

    if args.suite:
        scenarios = SUITE
        if args.only:
            wanted = {name.strip() for name in args.only.split(";")}
            scenarios = [s for s in SUITE if s.name in wanted]
    else:
        capacity = args.capacity or None
        scenarios = [
            Scenario(
                name="custom",
                tasks=args.tasks,
                benchmark=args.benchmark,
                latency_s=args.latency,
                per_token_s=args.per_token,
                capacity=capacity,
                max_connections=args.max_connections or capacity or 32,
                rerun=args.rerun,
                one_core=args.one_core,
                adaptive=args.adaptive,
            )
        ]
    startup = measure_startup()
    print(f"startup (imports, task sets, store, preflight): {startup:.2f} s of CPU")
    print(HEADER)
    rows = []
    for scenario in scenarios:
        measurement = measure(scenario, keep=args.keep)
        if measurement.requests:
            measurement.cpu_ms_per_request_net = (
                1000 * max(0.0, measurement.cpu_s - startup) / measurement.requests
            )
        rows.append(measurement)
        print(_row(measurement), flush=True)
    if args.record:
        _record(rows)
        print(f"recorded in {DOC}")


if __name__ == "__main__":
    main()
