"""The viewer's web app: Starlette routes over a read-only run store.

Pages: the runs list (``/``), a run (``/run/{id}``), its turns with filters
(``/run/{id}/turns``), one dialogue (``/run/{id}/dialogue``), and the
comparison of runs (``/compare``, ``/compare/dialogue``). ``/api/runs``
serves the live counts the pages poll while a run is in progress.

Safety: the store is opened read-only; URL parameters are only ever SQL
parameters or looked up in fixed tables, never paths (the two static files
are read from the package at start-up and served by name); every text is
escaped by Jinja2's autoescaping, Markdown renders without HTML; and a
Content-Security-Policy forbids any script but the viewer's own file.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from mteval.errors import MtevalError, StoreError
from mteval.store.sqlite import RunInfo, RunStore
from mteval.store.views import (
    OUTCOMES,
    RunCounts,
    TurnFilter,
    dialogue_diffs,
    dialogue_judge_calls,
    dialogue_turns,
    dialogues_around,
    run_benchmark,
    run_counts,
    search_turns,
)
from mteval.viewer.data import References, TableCache, headlines
from mteval.viewer.figures import per_turn_figure, task_figure
from mteval.viewer.render import fmt_score, markdown

__all__ = ["LOCAL_NAMES", "PAGE_SIZE", "ViewerConfig", "create_app"]

PAGE_SIZE = 50
"""Turns or dialogues per page."""

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
LOCAL_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
"""Host names of this machine (the viewer answers only these unless told otherwise)."""

_STATIC = {"viewer.css": "text/css; charset=utf-8", "viewer.js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True, kw_only=True)
class ViewerConfig:
    """What the viewer serves.

    Attributes:
        store: The run store, opened read-only.
        references: The default benchmark's user messages and reference replies
            (other benchmarks' are looked up as ``mteval run`` would, without
            downloading)
            (None: shown from the store only).
        n_resamples: Bootstrap replicates of the score tables' intervals.
        cache: The score tables' cache (shared with a background warm-up);
            None: a new one.
        poll_ms: How often pages of a run in progress refresh their counts.
        stalled_after_s: A run still marked running whose process has not
            said it is alive for this long is shown as ``stalled`` (killed,
            or its machine went away; ``mteval run`` resumes it).
        allowed_hosts: Host headers it answers (the default: this machine's
            names only, so that a web page cannot read the store through a
            DNS-rebound name); ``("*",)`` when it listens for other machines.
    """

    store: RunStore
    references: References | None = None
    n_resamples: int = 1000
    cache: TableCache | None = None
    poll_ms: int = 2000
    stalled_after_s: float = 60.0
    allowed_hosts: tuple[str, ...] = LOCAL_NAMES


class _BadRequest(Exception):
    pass


class _NotFound(Exception):
    pass


def _int(request: Request, name: str, default: int | None = None, low: int = 0) -> int | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _BadRequest(f"{name} must be a whole number, not {raw!r}") from None
    if value < low or value > 10**9:
        raise _BadRequest(f"{name} must be between {low} and 1000000000")
    return value


def _float(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise _BadRequest(f"{name} must be a number, not {raw!r}") from None
    if not math.isfinite(value):
        raise _BadRequest(f"{name} must be a finite number")
    return value


def _text(request: Request, name: str, limit: int = 500) -> str | None:
    raw = request.query_params.get(name, "")
    if len(raw) > limit:
        raise _BadRequest(f"{name} is longer than {limit} characters")
    return raw.strip() or None


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{int(seconds)} s ago"
    if seconds < 5400:
        return f"{int(seconds // 60)} min ago"
    if seconds < 172800:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def create_app(config: ViewerConfig) -> Starlette:
    """Build the viewer's ASGI app over a read-only store."""
    store = config.store
    lock = threading.Lock()  # one connection, one query at a time
    cache = config.cache or TableCache(n_resamples=config.n_resamples)
    env = Environment(
        loader=PackageLoader("mteval.viewer", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = markdown
    env.filters["score"] = fmt_score
    env.globals["fmt_time"] = lambda t: time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))
    env.globals["OUTCOMES"] = OUTCOMES
    env.globals["poll_ms"] = config.poll_ms
    static = {
        name: resources.files("mteval.viewer").joinpath("static").joinpath(name).read_bytes()
        for name in _STATIC
    }

    def shown_status(run: RunInfo, counts: RunCounts) -> str:
        beat = counts.heartbeat_at
        if run.status == "running" and beat and time.time() - beat > config.stalled_after_s:
            return "stalled"
        return run.status

    env.globals["shown_status"] = shown_status

    def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        body = env.get_template(template).render(**context)
        return HTMLResponse(body, status_code=status, headers=_headers())

    references: dict[str, References | None] = {}
    if config.references is not None:
        references[config.references.benchmark] = config.references

    def sources_of(run: RunInfo, task: str, dialogue_id: str) -> dict[int, tuple[str, str, bool]]:
        """The benchmark's turns of a dialogue (user, reference, answered); {} when unknown."""
        name = run_benchmark(run)
        if name not in references:
            try:
                references[name] = References(benchmark=name)
            except MtevalError:
                references[name] = None  # a benchmark this mteval lacks, or no data
        found = references[name]
        return found.turns(task, dialogue_id) if found is not None else {}

    # Counts and headline scores of runs that are not running never change while
    # their row does not: kept under (status, updated_at), so a runs list of many
    # finished runs reads only the live ones.
    settled: dict[str, tuple[tuple[str, float], RunCounts, dict[str, float | None]]] = {}

    def summaries(
        runs: list[RunInfo],
    ) -> tuple[dict[str, RunCounts], dict[str, dict[str, float | None]]]:
        fresh = [
            r
            for r in runs
            if r.status in ("running", "created")
            or settled.get(r.run_id, ((None, None),))[0] != (r.status, r.updated_at)
        ]
        counts = run_counts(store, [r.run_id for r in fresh])
        scores = headlines(store, fresh)
        for r in fresh:
            if r.status not in ("running", "created"):
                settled[r.run_id] = ((r.status, r.updated_at), counts[r.run_id], scores[r.run_id])
        for r in runs:
            if r.run_id not in counts:
                _, counts[r.run_id], scores[r.run_id] = settled[r.run_id]
        return counts, scores

    def get_run(run_id: str) -> RunInfo:
        try:
            return store.get_run(run_id)
        except StoreError:
            raise _NotFound(f"no run {run_id!r} in this store") from None

    def guarded(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def wrapped(request: Request) -> Response:
            try:
                with lock:
                    return handler(request)
            except _BadRequest as exc:
                return page("error.html.j2", 400, title="Bad request", message=str(exc))
            except _NotFound as exc:
                return page("error.html.j2", 404, title="Not found", message=str(exc))

        return wrapped

    def runs_page(request: Request) -> Response:
        every = store.list_runs()
        benchmarks = sorted({run_benchmark(r) for r in every})
        models = sorted({r.model for r in every})
        statuses = sorted({r.status for r in every})
        chosen = {k: _text(request, k) for k in ("benchmark", "model", "status")}
        runs = [
            r
            for r in every
            if (not chosen["benchmark"] or run_benchmark(r) == chosen["benchmark"])
            and (not chosen["model"] or r.model == chosen["model"])
            and (not chosen["status"] or r.status == chosen["status"])
        ]
        counts, results = summaries(runs)
        return page(
            "runs.html.j2",
            title="Runs",
            runs=runs,
            counts=counts,
            results=results,
            benchmarks=benchmarks,
            models=models,
            statuses=statuses,
            chosen=chosen,
            benchmark_of=run_benchmark,
            age=lambda r: _age(time.time() - r.updated_at),
        )

    def run_page(request: Request) -> Response:
        info = get_run(request.path_params["run_id"])
        tables = cache.tables(store, info.run_id, stale_ok=info.status in ("running", "created"))
        counts = run_counts(store, [info.run_id])[info.run_id]
        per_turn = {}
        if tables.results is not None:
            per_turn = {n: t.per_turn for n, t in tables.results.tasks.items() if t.per_turn}
        return page(
            "run.html.j2",
            title=f"Run {info.run_id}",
            run=info,
            benchmark=run_benchmark(info),
            counts=counts,
            tables=tables,
            task_svg=task_figure(tables.tasks),
            turn_svg=per_turn_figure(per_turn),
            resamples=config.n_resamples,
        )

    def turns_page(request: Request) -> Response:
        info = get_run(request.path_params["run_id"])
        where = TurnFilter(
            task=_text(request, "task", 200),
            turn_index=_int(request, "turn", low=1),
            min_score=_float(request, "min"),
            max_score=_float(request, "max"),
            outcome=_text(request, "outcome", 40),
            error_text=_text(request, "error"),
            text=_text(request, "q"),
        )
        if where.outcome is not None and where.outcome not in OUTCOMES:
            raise _BadRequest(f"outcome must be one of {', '.join(OUTCOMES)}")
        number = _int(request, "page", 1, low=1) or 1
        result = search_turns(
            store, info.run_id, where, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        pages = max(1, math.ceil(result.total / PAGE_SIZE))
        query = {k: v for k, v in request.query_params.items() if k != "page" and v}
        return page(
            "turns.html.j2",
            title=f"Turns of {info.run_id}",
            run=info,
            where=where,
            result=result,
            number=number,
            pages=pages,
            tasks=list(info.tasks),
            page_url=lambda n: "?" + urlencode({**query, "page": n}),
        )

    def dialogue_page(request: Request) -> Response:
        info = get_run(request.path_params["run_id"])
        task, dialogue_id = _text(request, "task", 200), _text(request, "id", 500)
        if not task or not dialogue_id:
            raise _BadRequest("a dialogue needs ?task=…&id=…")
        turns = dialogue_turns(store, info.run_id, task, dialogue_id)
        if not turns:
            raise _NotFound(
                f"run {info.run_id} has no turn of dialogue {dialogue_id!r} in {task!r}"
            )
        before, after = dialogues_around(store, info.run_id, task, dialogue_id)
        sources = sources_of(info, task, dialogue_id)
        recorded = {t.position: t for t in turns}
        # The benchmark's turns the model did not answer (given as history) show as context.
        chat = [(p, recorded.get(p)) for p in sorted(set(recorded) | set(sources))]
        others = [r for r in store.list_runs() if r.run_id != info.run_id and task in r.tasks]
        calls = dialogue_judge_calls(store, info.run_id, task, dialogue_id)
        return page(
            "dialogue.html.j2",
            calls=calls,
            title=f"{task} · {dialogue_id}",
            run=info,
            task=task,
            dialogue_id=dialogue_id,
            chat=chat,
            sources=sources,
            before=before,
            after=after,
            others=others,
        )

    def run_ids(request: Request) -> list[RunInfo]:
        ids = [i for i in request.query_params.getlist("run") if i]
        if len(ids) < 2:
            raise _BadRequest("select two or more runs to compare")
        if len(ids) > 8:
            raise _BadRequest("compare at most 8 runs at once")
        if len(set(ids)) != len(ids):
            raise _BadRequest("a run is selected twice")
        return [get_run(i) for i in ids]

    def compare_page(request: Request) -> Response:
        runs = run_ids(request)
        task = _text(request, "task", 200)
        number = _int(request, "page", 1, low=1) or 1
        diffs, total = dialogue_diffs(
            store,
            [r.run_id for r in runs],
            task=task,
            offset=(number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        tasks = sorted(set(runs[0].tasks).intersection(*(r.tasks for r in runs[1:])))
        query = [("run", r.run_id) for r in runs] + ([("task", task)] if task else [])
        return page(
            "compare.html.j2",
            title="Compare runs",
            runs=runs,
            task=task,
            tasks=tasks,
            diffs=diffs,
            total=total,
            number=number,
            pages=max(1, math.ceil(total / PAGE_SIZE)),
            query=urlencode(query),
            page_url=lambda n: "?" + urlencode([*query, ("page", n)]),
            results=summaries(runs)[1],
        )

    def compare_dialogue_page(request: Request) -> Response:
        runs = run_ids(request)
        task, dialogue_id = _text(request, "task", 200), _text(request, "id", 500)
        if not task or not dialogue_id:
            raise _BadRequest("a dialogue needs ?task=…&id=…")
        by_run = {r.run_id: dialogue_turns(store, r.run_id, task, dialogue_id) for r in runs}
        positions = sorted({t.position for turns in by_run.values() for t in turns})
        if not positions:
            raise _NotFound(f"no run here has dialogue {dialogue_id!r} in {task!r}")
        aligned = [
            (p, [next((t for t in by_run[r.run_id] if t.position == p), None) for r in runs])
            for p in positions
        ]
        sources = sources_of(runs[0], task, dialogue_id)
        return page(
            "compare_dialogue.html.j2",
            title=f"Compare · {task} · {dialogue_id}",
            runs=runs,
            task=task,
            dialogue_id=dialogue_id,
            aligned=aligned,
            sources=sources,
            back="?" + urlencode([("run", r.run_id) for r in runs] + [("task", task)]),
        )

    def api_runs(request: Request) -> Response:
        runs = store.list_runs()
        counts = summaries(runs)[0]
        body = {
            r.run_id: {
                "status": shown_status(r, counts[r.run_id]),
                "updated_at": r.updated_at,
                **{
                    k: getattr(counts[r.run_id], k)
                    for k in (
                        "expected",
                        "answered",
                        "errors",
                        "not_run",
                        "scored",
                        "judge_errors",
                        "requests",
                        "done",
                    )
                },
            }
            for r in runs
        }
        return JSONResponse(body, headers=_headers())

    def static_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in static:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(static[name], media_type=_STATIC[name], headers=_headers())

    routes = [
        Route("/", guarded(runs_page)),
        Route("/run/{run_id}", guarded(run_page)),
        Route("/run/{run_id}/turns", guarded(turns_page)),
        Route("/run/{run_id}/dialogue", guarded(dialogue_page)),
        Route("/compare", guarded(compare_page)),
        Route("/compare/dialogue", guarded(compare_dialogue_page)),
        Route("/api/runs", guarded(api_runs)),
        Route("/static/{name}", static_file),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(config.allowed_hosts))],
    )
    app.state.store = store
    return app


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": _CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
