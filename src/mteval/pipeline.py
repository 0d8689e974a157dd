"""Library entry points: run an evaluation end to end, resume it, get its results.

``evaluate`` / ``evaluate_async`` take model names and options like the CLI;
``run`` / ``run_async`` take a :class:`~mteval.config.RunConfig`. All of them
store every record as it happens, reuse completed work (same command, same
run) and return :class:`~mteval.analysis.Results`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import gc
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mteval._version import __version__
from mteval.analysis.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED
from mteval.analysis.results import Results, load_results, run_meta, run_meta_fields
from mteval.benchmarks import Benchmark, TaskSpec, get_benchmark
from mteval.benchmarks.base import PairwiseResult, RunAnswers
from mteval.config import (
    DEFAULT_BENCHMARK,
    DEFAULT_MAX_CONNECTIONS,
    EndpointSettings,
    RetrySettings,
    RunConfig,
)
from mteval.errors import ConfigError
from mteval.models import (
    AdaptiveLimit,
    Model,
    PriorityLimiter,
    open_endpoint,
    retry_policy,
)
from mteval.report.markdown import results_markdown
from mteval.resources import check_resources
from mteval.runner import ResumeState, Runner, RunProgress
from mteval.scoring import ScorerContext, ScorerSet, get_scorer
from mteval.store import RunInfo, RunStore
from mteval.types import GenerateConfig, TaskSet

__all__ = [
    "BENCHMARK_DEFAULT",
    "DEFAULT_DB",
    "ProgressSnapshot",
    "evaluate",
    "evaluate_async",
    "pairwise",
    "pairwise_async",
    "run",
    "run_async",
    "write_outputs",
    "write_pairwise",
]

DEFAULT_DB = "mteval.db"


class _Default(enum.Enum):
    TOKEN = "the benchmark's default"


BENCHMARK_DEFAULT = _Default.TOKEN
"""Stands for "the benchmark's own default" (its judge, its system message)."""


@dataclass(frozen=True)
class ProgressSnapshot:
    """What a progress display needs, sampled a few times per second."""

    run_id: str
    turns_total: int
    turns_finished: int
    turns_answered: int
    turn_errors: int
    turns_not_run: int
    judgments_done: int
    judgment_errors: int
    in_flight: int
    requests_sent: int
    cache_hits: int
    retries: int
    elapsed_s: float
    concurrency: int = 0
    """The model endpoint's concurrency limit now (adaptive: where it stands)."""


ProgressCallback = Callable[[ProgressSnapshot], None]


@dataclass
class _Endpoints:
    model: Model
    judge: Model | None
    apis: list[Any] = field(default_factory=list)


def _with_limit(task_set: TaskSet, limit: int | None) -> TaskSet:
    if limit is None:
        return task_set
    return TaskSet(name=task_set.name, dialogues=task_set.dialogues[:limit])


def _build_endpoints(
    config: RunConfig, store: RunStore, environ: Mapping[str, str], sleep: Any
) -> _Endpoints:
    retry = retry_policy(config.retry)
    limiters: dict[str, tuple[PriorityLimiter, AdaptiveLimit | None]] = {}

    def make(settings: EndpointSettings, limit: int | None) -> Model:
        api = open_endpoint(
            settings, max_connections=limit or DEFAULT_MAX_CONNECTIONS, environ=environ
        )
        # The user's ceiling, else what the provider can serve at once (a local
        # engine's batch capacity), else the general default.
        explicit = limit is not None
        limit = limit or api.default_concurrency() or DEFAULT_MAX_CONNECTIONS
        shared = limiters.get(api.connection_key)
        if shared is None:
            controller = None
            # A local engine's slots are its capacity: the controller would read
            # its CPU-bound latency growth as overload and idle slots.
            if config.adaptive and (explicit or not api.fixed_capacity()):
                controller = AdaptiveLimit(ceiling=limit, initial=_initial_concurrency(api, limit))
            shared = limiters[api.connection_key] = (PriorityLimiter(limit), controller)
        kwargs: dict[str, Any] = {}
        if sleep is not None:
            kwargs["sleep"] = sleep
        return Model(
            api,
            config=settings.generate,
            retry=retry,
            limiter=shared[0],
            controller=shared[1],
            cache=store,
            **kwargs,
        )

    model = make(config.model, config.max_connections)
    judge = None
    if config.judge is not None:
        judge = make(config.judge, config.judge_max_connections or config.max_connections)
    return _Endpoints(model=model, judge=judge)


def _accumulate(earlier: Any, now: Any) -> Any:
    """Add this invocation's usage counters to those of the run's earlier invocations."""
    if isinstance(now, bool) or isinstance(earlier, bool):
        return now
    if isinstance(now, int | float) and isinstance(earlier, int | float):
        total = earlier + now
        return round(total, 3) if isinstance(total, float) else total
    if isinstance(now, dict) and isinstance(earlier, dict):
        merged = dict(earlier)
        for key, value in now.items():
            merged[key] = _accumulate(earlier.get(key), value) if key in earlier else value
        return merged
    return now if now is not None else earlier


def _concurrency(endpoints: _Endpoints) -> dict[str, Any]:
    """The concurrency each role's endpoint actually used (what the run records)."""
    used: dict[str, Any] = {"model": endpoints.model.concurrency()}
    if endpoints.judge is not None:
        used["judge"] = endpoints.judge.concurrency()
        if endpoints.judge.limiter is endpoints.model.limiter:
            used["judge"]["shared_with"] = "model"
    return used


def _initial_concurrency(api: Any, ceiling: int) -> int:
    """Where the adaptive limit starts: low, or the provider's own default concurrency."""
    value = api.default_concurrency()
    if isinstance(value, int) and value >= 1:
        return min(value, ceiling)
    return min(_ADAPTIVE_START, ceiling)


_ADAPTIVE_START = 1
"""Requests at once before the endpoint has answered anything (slow start doubles it)."""


def _snapshot(run_id: str, progress: RunProgress, endpoints: _Endpoints) -> ProgressSnapshot:
    import time

    models = [m for m in (endpoints.model, endpoints.judge) if m is not None]
    return ProgressSnapshot(
        run_id=run_id,
        turns_total=progress.turns_total,
        turns_finished=progress.turns_finished,
        turns_answered=progress.turns_done,
        turn_errors=progress.turn_errors,
        turns_not_run=progress.turns_not_run,
        judgments_done=progress.judgments_done,
        judgment_errors=progress.judgment_errors,
        in_flight=sum(m.stats.in_flight for m in models),
        requests_sent=sum(m.stats.attempts for m in models),
        cache_hits=sum(m.stats.cache_hits for m in models),
        retries=sum(m.stats.retries for m in models),
        elapsed_s=time.monotonic() - progress.started_at,
        concurrency=endpoints.model.limiter.limit if endpoints.model.limiter else 0,
    )


def write_outputs(results: Results, output_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``results.json`` and ``results.md`` into ``output_dir``.

    Returns:
        The two paths.
    """
    directory = Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "results.json"
    tmp = json_path.with_name("results.json.tmp")
    tmp.write_text(json.dumps(results.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, json_path)
    md_path = directory / "results.md"
    md_path.write_text(results_markdown(results), encoding="utf-8")
    return json_path, md_path


def _resumed_config(stored: dict[str, Any], given: RunConfig) -> RunConfig:
    """The stored run's settings, with this invocation's operational ones.

    What decides results (model, judge, generation settings, tasks, limit) comes
    from the stored run; connection limits, timeouts and the retry policy come
    from the caller, so ``--retry-errors RUN --max-attempts 20`` means it.
    """
    config = RunConfig.model_validate(stored)
    model = config.model.model_copy(update={"timeout_s": given.model.timeout_s})
    judge = config.judge
    if judge is not None:
        timeout = given.judge.timeout_s if given.judge is not None else judge.timeout_s
        judge = judge.model_copy(update={"timeout_s": timeout})
    return config.model_copy(
        update={
            "model": model,
            "judge": judge,
            "retry": given.retry,
            "max_connections": given.max_connections,
            "judge_max_connections": given.judge_max_connections,
            "adaptive": given.adaptive,
        }
    )


def _needs_judge(specs: tuple[TaskSpec, ...]) -> bool:
    return any(get_scorer(spec.scorer).needs_judge for spec in specs)


@contextlib.contextmanager
def _quiet_gc() -> Any:
    """Keep the cyclic garbage collector from stalling the event loop during a run.

    A run starts with hundreds of thousands of long-lived objects (SDK types,
    task sets); each full collection walked them all, pausing every request in
    flight for 0.1-0.2 s, ten times per main run. Freezing them moves them out of
    the collector's view; a larger first threshold makes collections of the
    short-lived request objects rarer. Both are undone afterwards.
    """
    threshold = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(max(threshold[0], 50_000), threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


async def run_async(
    config: RunConfig,
    *,
    db_path: str | os.PathLike[str] = DEFAULT_DB,
    output_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    resume: str | None = None,
    new_run: bool = False,
    on_progress: ProgressCallback | None = None,
    on_start: Callable[[str, bool], None] | None = None,
    environ: Mapping[str, str] | None = None,
    sleep: Any = None,
    retry_errors: bool = False,
) -> Results:
    """Run (or resume) an evaluation and return its results.

    Args:
        config: What to run.
        db_path: The run store.
        output_dir: Where to write ``results.json`` and ``results.md`` (none if None).
        data_dir: The benchmark's sources (default: its environment variable
            (MT-Eval: ``$MTEVAL_DATA_DIR``), the cache, a download).
        resume: Continue this run id, with its stored settings (``config`` is ignored).
        new_run: Start a new run even if one with the same settings exists.
        on_progress: Called a few times per second with a :class:`ProgressSnapshot`.
        on_start: Called once with the run id and whether it resumes earlier work.
        environ: Environment for API keys (default: ``os.environ``).
        sleep: Backoff sleep override (tests).
        retry_errors: Judge again the turns whose judging failed in an earlier
            attempt at the run (otherwise those judge errors stand; failed
            and not-run turns are always sent again).

    Raises:
        MtevalError: Bad settings, data or endpoints — before anything is spent
            when possible; everything finished before a failure stays stored.
    """
    env = os.environ if environ is None else environ
    fresh_store = not Path(db_path).exists()
    store = RunStore(db_path)
    endpoints: _Endpoints | None = None
    try:
        if not fresh_store:
            # A damaged store is found now, before any request, not halfway through.
            store.check_sound()
        if resume is not None:
            config = _resumed_config(store.get_run(resume).config["run"], config)
        benchmark = get_benchmark(config.benchmark)
        specs = tuple(benchmark.get_task(name) for name in config.tasks)
        if _needs_judge(specs) and config.judge is None:
            paper = (
                f" (the paper used {benchmark.default_judge})" if benchmark.default_judge else ""
            )
            raise ConfigError(
                "the selected tasks need a judge: pass --judge PROVIDER/MODEL" + paper
            )
        # Everything the scorers need, before the first request and before the
        # run is recorded: a run that cannot be scored correctly does not start.
        # (Loading it now also keeps that second out of the run's first requests.)
        check_resources(r for spec in specs for r in spec.resources)
        sources = benchmark.load_sources(data_dir)
        work = [(spec, _with_limit(spec.load(sources), config.limit)) for spec in specs]
        if benchmark.prepare is not None:
            benchmark.prepare(sources, specs, judged=config.judge is not None)
        # Reach the endpoints before recording anything: a refused run leaves no trace.
        endpoints = _build_endpoints(config, store, env, sleep)
        seen: set[str] = set()
        for model in (endpoints.model, endpoints.judge):
            if model is not None and model.api.connection_key not in seen:
                seen.add(model.api.connection_key)
                await model.api.preflight()
        fingerprint = config.fingerprint(
            data_commit=benchmark.data_id,
            model_weights=endpoints.model.api.weights_fingerprint(),
            judge_weights=endpoints.judge.api.weights_fingerprint() if endpoints.judge else None,
        )
        info: RunInfo | None = store.get_run(resume) if resume is not None else None
        if info is None and not new_run:
            info = store.find_run(fingerprint)
        resumed = info is not None
        if info is None:
            info = store.create_run(
                fingerprint=fingerprint,
                model=config.model.spec,
                judge=config.judge.spec if config.judge else None,
                tasks=config.tasks,
                config={
                    "run": config.model_dump(mode="json"),
                    "n_turns": {
                        spec.name: sum(len(spec.protocol.positions(d)) for d in ts.dialogues)
                        for spec, ts in work
                    },
                    **run_meta_fields(benchmark.name, specs, benchmark.score_table(specs)),
                },
                mteval_version=__version__,
                data_commit=benchmark.data_id,
                benchmark=benchmark.name,
            )
        run_id = info.run_id
        store.claim_run(run_id)
        if on_start is not None:
            on_start(run_id, resumed)
        replies: dict[tuple[str, str, int], str] = {}
        scorer = ScorerSet(
            ScorerContext(
                judge=endpoints.judge,
                sources=sources,
                reply_attempts=config.retry.judge_reply_attempts,
                replies=replies,
            )
        )
        runner = Runner(
            model=endpoints.model,
            system_message=config.model.system_message,
            scorer=scorer,
            sink=store.sink(run_id),
            resume=ResumeState.from_records(
                store.turns(run_id), store.judgments(run_id), retry_errors=retry_errors
            ),
            replies=replies,
        )
        status = "failed"
        ticker = asyncio.create_task(_tick(run_id, runner, endpoints, store, on_progress))
        try:
            with _quiet_gc():
                await runner.run(work)
            status = "finished"
        except (KeyboardInterrupt, asyncio.CancelledError):
            status = "interrupted"
            raise
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            snapshot = _snapshot(run_id, runner.progress, endpoints)
            if on_progress is not None:
                on_progress(snapshot)
            usage = {
                "model": endpoints.model.stats.as_dict(),
                "judge": endpoints.judge.stats.as_dict() if endpoints.judge else None,
                "wall_time_s": round(snapshot.elapsed_s, 3),
                "invocations": 1,
            }
            earlier = (info.summary or {}).get("usage") if resumed else None
            usage = _accumulate(earlier, usage) if isinstance(earlier, dict) else usage
            # The concurrency of this invocation: the endpoint may differ from last time.
            usage["concurrency"] = _concurrency(endpoints)
            engine = endpoints.model.api.engine_usage()
            if engine is not None:
                usage["engine"] = engine
            summary = {"usage": usage}
            store.finish_run(run_id, status=status, summary=summary)
        results = load_results(store, run_id)
        if output_dir is not None:
            write_outputs(results, output_dir)
        return results
    finally:
        if endpoints is not None:
            for model in (endpoints.model, endpoints.judge):
                if model is not None:
                    with contextlib.suppress(Exception):
                        await model.aclose()
        refused = False
        if fresh_store:
            with contextlib.suppress(Exception):
                refused = not store.list_runs()
        store.close()
        if refused:
            # A run refused before it started leaves no empty store behind.
            _remove_store_files(Path(db_path))


def _remove_store_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            path.with_name(path.name + suffix).unlink()


async def _tick(
    run_id: str,
    runner: Runner,
    endpoints: _Endpoints,
    store: RunStore,
    on_progress: ProgressCallback | None,
) -> None:
    # Progress a few times a second when someone watches; the run's heartbeat
    # (which tells other processes it is alive) every ~10 s either way.
    interval = 0.2 if on_progress is not None else 10.0
    ticks = 0
    while True:
        await asyncio.sleep(interval)
        if on_progress is not None:
            on_progress(_snapshot(run_id, runner.progress, endpoints))
        ticks += 1
        if interval * ticks >= 10.0:
            ticks = 0
            store.heartbeat(run_id)


def run(config: RunConfig, **kwargs: Any) -> Results:
    """Synchronous :func:`run_async`."""
    return asyncio.run(run_async(config, **kwargs))


def _endpoint(
    spec: str,
    *,
    base_url: str | None,
    api_key_env: str | None,
    args: Mapping[str, Any] | None,
    temperature: float | None,
    max_tokens: int | None,
    seed: int | None,
    system_message: str | None,
    timeout_s: float,
    options: Mapping[str, Any] | None = None,
) -> EndpointSettings:
    generate = GenerateConfig(
        temperature=temperature, max_tokens=max_tokens, seed=seed, extra=dict(args or {})
    )
    return EndpointSettings(
        spec=spec,
        base_url=base_url,
        api_key_env=api_key_env,
        generate=generate,
        system_message=system_message,
        timeout_s=timeout_s,
        options=dict(options or {}),
    )


def _check_base_url(flag: str, url: str | None) -> None:
    if url is None:
        return
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        hint = f"http://{url}" if not sep else f"http://{rest}"
        raise ConfigError(
            f"{flag} {url!r}: give the full URL with its scheme, e.g. {hint} "
            "(an OpenAI-compatible server's base URL usually ends in /v1)"
        )


def build_config(
    *,
    model: str,
    benchmark: str = DEFAULT_BENCHMARK,
    judge: str | None | _Default = BENCHMARK_DEFAULT,
    tasks: str | list[str] | tuple[str, ...] | _Default = BENCHMARK_DEFAULT,
    model_base_url: str | None = None,
    judge_base_url: str | None = None,
    model_api_key_env: str | None = None,
    judge_api_key_env: str | None = None,
    model_args: Mapping[str, Any] | None = None,
    judge_args: Mapping[str, Any] | None = None,
    model_options: Mapping[str, Any] | None = None,
    judge_options: Mapping[str, Any] | None = None,
    temperature: float | None | _Default = BENCHMARK_DEFAULT,
    max_tokens: int | None = 1024,
    system_message: str | None | _Default = BENCHMARK_DEFAULT,
    limit: int | None = None,
    max_connections: int | None = None,
    judge_max_connections: int | None = None,
    timeout_s: float = 300.0,
    retry: RetrySettings | None = None,
    adaptive: bool = True,
    history: str | None = None,
) -> RunConfig:
    """Build a :class:`RunConfig` from CLI-style options (see :func:`evaluate`).

    ``judge``, ``tasks``, ``system_message`` and ``temperature`` default to the
    benchmark's own (MT-Eval: gpt-4-0613, ``main``, its inference script's system
    message, 0; MT-Bench: gpt-4, every category, FastChat's system message, the
    per-category temperatures). Requests carry the benchmark's seed (MT-Eval 111,
    MT-Bench none).

    ``history`` (``own`` or ``gold``) plays the selected tasks with that history,
    through each task's registered variant (MT-Eval's ``*_gold`` tasks,
    MT-Bench-101's ``*_own`` tasks).

    Raises:
        ConfigError: Unknown benchmark or bad limits.
        TaskNotFoundError: A task or group the benchmark does not have, or a task
            without a variant for ``history``.
    """
    bench: Benchmark = get_benchmark(benchmark)
    specs = bench.resolve_tasks(bench.default_tasks if isinstance(tasks, _Default) else tasks)
    if history is not None:
        specs = bench.with_history(specs, history)
    if isinstance(judge, _Default):
        judge = bench.default_judge
    if isinstance(system_message, _Default):
        system_message = bench.system_message
    if isinstance(temperature, _Default):
        temperature = bench.temperature
    if limit is not None and limit < 1:
        raise ConfigError("--limit must be at least 1")
    if max_connections is not None and max_connections < 1:
        raise ConfigError("--max-connections must be at least 1")
    if temperature is not None and temperature < 0:
        raise ConfigError(f"--temperature {temperature:g}: a temperature is 0 (greedy) or more")
    if max_tokens is not None and max_tokens < 1:
        raise ConfigError(f"--max-tokens {max_tokens}: allow at least 1 new token")
    for flag, url in (("--model-base-url", model_base_url), ("--judge-base-url", judge_base_url)):
        _check_base_url(flag, url)
    return RunConfig(
        benchmark=bench.name,
        model=_endpoint(
            model,
            base_url=model_base_url,
            api_key_env=model_api_key_env,
            args=model_args,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=bench.seed,
            system_message=system_message,
            timeout_s=timeout_s,
            options=model_options,
        ),
        judge=(
            _endpoint(
                judge,
                base_url=judge_base_url,
                api_key_env=judge_api_key_env,
                args=judge_args,
                temperature=0.0,
                max_tokens=bench.judge_max_tokens,
                seed=bench.seed,
                system_message=None,
                timeout_s=timeout_s,
                options=judge_options,
            )
            if judge
            else None
        ),
        tasks=tuple(spec.name for spec in specs),
        limit=limit,
        max_connections=max_connections,
        judge_max_connections=judge_max_connections,
        retry=retry or RetrySettings(),
        adaptive=adaptive,
    )


async def evaluate_async(
    *,
    model: str,
    benchmark: str = DEFAULT_BENCHMARK,
    judge: str | None | _Default = BENCHMARK_DEFAULT,
    tasks: str | list[str] | tuple[str, ...] | _Default = BENCHMARK_DEFAULT,
    db_path: str | os.PathLike[str] = DEFAULT_DB,
    output_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    new_run: bool = False,
    on_progress: ProgressCallback | None = None,
    **options: Any,
) -> Results:
    """Evaluate ``model`` on a benchmark (default MT-Eval) and return its results.

    Args:
        model: ``provider/model``, e.g. ``openai/gpt-4o-mini``.
        benchmark: The benchmark (``mteval benchmarks`` lists them).
        judge: The judge, ``provider/model`` (default: the benchmark's; MT-Eval:
            the paper's gpt-4-0613).
        tasks: Groups or task names of the benchmark (MT-Eval: ``main``
            (default), ``single``, ``gold``, ``ablations``, ``all``, or task names).
        db_path: The run store.
        output_dir: Where to write ``results.json``/``results.md``.
        data_dir: The benchmark's sources.
        new_run: Do not resume an earlier run with the same settings.
        on_progress: Progress callback.
        **options: Further :func:`build_config` options (``model_base_url``,
            ``judge_base_url``, ``limit``, ``max_connections``, ...).
    """
    config = build_config(model=model, benchmark=benchmark, judge=judge, tasks=tasks, **options)
    return await run_async(
        config,
        db_path=db_path,
        output_dir=output_dir,
        data_dir=data_dir,
        new_run=new_run,
        on_progress=on_progress,
    )


def evaluate(**kwargs: Any) -> Results:
    """Synchronous :func:`evaluate_async` (the one sync entry point for scripts)."""
    return asyncio.run(evaluate_async(**kwargs))


async def pairwise_async(
    run_ids: list[str] | tuple[str, ...],
    *,
    judge: str | None | _Default = BENCHMARK_DEFAULT,
    judge_base_url: str | None = None,
    judge_api_key_env: str | None = None,
    judge_args: Mapping[str, Any] | None = None,
    all_pairs: bool = False,
    db_path: str | os.PathLike[str] = DEFAULT_DB,
    output_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    timeout_s: float = 300.0,
    retry: RetrySettings | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    environ: Mapping[str, str] | None = None,
    sleep: Any = None,
) -> PairwiseResult:
    """Compare stored runs' answers with a judge, by their benchmark's pairwise protocol.

    The first run is the baseline unless ``all_pairs`` (MT-Bench: FastChat's
    ``pairwise-baseline`` / ``pairwise-all``). Judge completions are cached in
    the run store, so running the same comparison again sends nothing.

    Args:
        run_ids: Two or more stored runs of one benchmark.
        judge: The judge (default: the benchmark's).
        judge_base_url: The judge's endpoint.
        judge_api_key_env: Variable holding the judge's key.
        judge_args: Extra request fields for the judge.
        all_pairs: Compare every pair instead of each run with the first.
        db_path: The run store.
        output_dir: Where to write ``pairwise.json``, ``pairwise_games.jsonl`` and
            ``pairwise.md`` (none if None).
        data_dir: The benchmark's sources.
        max_connections: Judge requests at once.
        timeout_s: Per-request timeout.
        retry: Retry policy.
        n_resamples: Bootstrap replicates of the ratings' intervals.
        seed: Their seed.
        environ: Environment for API keys (default: ``os.environ``).
        sleep: Backoff sleep override (tests).

    Raises:
        MtevalError: Unknown runs, runs of different benchmarks, a benchmark
            without a pairwise protocol, or no judge.
    """
    env = os.environ if environ is None else environ
    ids = list(run_ids)
    if len(ids) < 2:
        raise ConfigError("pairwise needs at least two runs: RUN_A (the baseline) RUN_B ...")
    if len(set(ids)) != len(ids):
        raise ConfigError("pairwise: a run is given twice")
    if not Path(db_path).exists():
        raise ConfigError(f"the run store {db_path} does not exist (pass --db)")
    store = RunStore(db_path)
    judge_model: Model | None = None
    try:
        infos = [store.get_run(run_id) for run_id in ids]
        names = {run_meta(info).benchmark for info in infos}
        if len(names) != 1:
            raise ConfigError(
                f"pairwise compares runs of one benchmark; these are of {', '.join(sorted(names))}"
            )
        bench = get_benchmark(names.pop())
        if bench.pairwise is None:
            raise ConfigError(f"{bench.title} has no pairwise comparison")
        if isinstance(judge, _Default):
            judge = bench.default_judge
        if not judge:
            raise ConfigError("pairwise needs a judge: pass --judge PROVIDER/MODEL")
        settings = _endpoint(
            judge,
            base_url=judge_base_url,
            api_key_env=judge_api_key_env,
            args=judge_args,
            temperature=0.0,
            max_tokens=bench.judge_max_tokens,
            seed=bench.seed,
            system_message=None,
            timeout_s=timeout_s,
        )
        sources = bench.load_sources(data_dir)
        if bench.prepare is not None:
            bench.prepare(sources, (), judged=True)
        runs = []
        for info in infos:
            answers: dict[tuple[str, str], dict[int, str]] = {}
            for turn in store.turns(info.run_id):
                if turn.status == "answered" and turn.response is not None:
                    answers.setdefault((turn.task, turn.dialogue_id), {})[turn.turn_index] = (
                        turn.response
                    )
            runs.append(RunAnswers(run_id=info.run_id, model=info.model, answers=answers))
        # The judge is the one endpoint of this job: build it as a run's model.
        config = RunConfig(
            benchmark=bench.name,
            model=settings,
            tasks=(),
            max_connections=max_connections,
            retry=retry or RetrySettings(),
        )
        judge_model = _build_endpoints(config, store, env, sleep).model
        await judge_model.api.preflight()
        result = await bench.pairwise(
            sources=sources,
            runs=runs,
            judge=judge_model,
            all_pairs=all_pairs,
            n_resamples=n_resamples,
            seed=seed,
        )
        summary = {
            **result.summary,
            "judge": judge,
            "usage": {"judge": judge_model.stats.as_dict()},
        }
        result = PairwiseResult(summary=summary, games=result.games, table=result.table)
        if output_dir is not None:
            write_pairwise(result, output_dir)
        return result
    finally:
        if judge_model is not None:
            with contextlib.suppress(Exception):
                await judge_model.aclose()
        store.close()


def write_pairwise(result: PairwiseResult, output_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``pairwise.json``, ``pairwise_games.jsonl`` and ``pairwise.md`` into ``output_dir``.

    Returns:
        The paths written.
    """
    directory = Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    summary_path = directory / "pairwise.json"
    tmp = summary_path.with_name("pairwise.json.tmp")
    tmp.write_text(json.dumps(result.summary, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, summary_path)
    games_path = directory / "pairwise_games.jsonl"
    games_path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in result.games),
        encoding="utf-8",
    )
    table_path = directory / "pairwise.md"
    table_path.write_text(result.table, encoding="utf-8")
    return [summary_path, games_path, table_path]


def pairwise(run_ids: list[str] | tuple[str, ...], **kwargs: Any) -> PairwiseResult:
    """Synchronous :func:`pairwise_async`."""
    return asyncio.run(pairwise_async(run_ids, **kwargs))
