"""How fast does `mteval view` serve its pages on a big store? A reproducible benchmark.

It synthesises a store of N full ``--tasks all`` runs (default 25 runs, about
120,000 turns) by writing records through the store layer, exactly as a run
writes them: per answered turn of the real task sets, a completion (the stored
request and reply, which doubles as the cache), a turn record and a judgment
(replies of a realistic ~1,200 characters, rationales of ~300; 3% of turns fail,
2% of judgments fail). It then opens the store read-only as `mteval view` does
and times every page through the real ASGI app (Starlette's in-process client:
routing, queries, templates, response; no socket), cold (first request after
start: the score tables are computed) and warm (median of repeats).

Usage::

    python benchmarks/viewer.py                       # build (once) and measure
    python benchmarks/viewer.py --runs 20 --record    # -> docs/benchmarks.md

The store is kept in ``--workdir`` (default: a folder under the system temp dir)
and reused when it already holds the runs asked for.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks.md"
TABLE_START = "<!-- viewer-table:start -->"
TABLE_END = "<!-- viewer-table:end -->"
BUDGET_MS = 300.0  # the target for every page
sys.path.insert(0, str(REPO / "src"))

WORDS = (
    "the model answers each question with care and cites the document where it can while "
    "keeping every constraint of the instruction in mind across turns of a long dialogue"
).split()


def text(rng: random.Random, n_chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < n_chars:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)


def synthesise(path: Path, n_runs: int) -> tuple[list[str], int]:
    from mteval.benchmarks.mt_eval import SourceFiles
    from mteval.benchmarks.mt_eval.tasks import TASKS
    from mteval.records import JudgmentRecord, TurnRecord
    from mteval.store import RunStore
    from mteval.types import ModelOutput, Usage

    sources = SourceFiles()
    task_sets = {name: spec.load(sources) for name, spec in TASKS.items()}
    store = RunStore(path)
    existing = [r.run_id for r in store.list_runs()]
    rng = random.Random(0)
    n_turns = 0
    for r in range(len(existing), n_runs):
        model = f"openai/model-{r:02d}"
        info = store.create_run(
            fingerprint=f"viewer-benchmark-{r}",
            model=model,
            judge="openai/gpt-4-0613",
            tasks=list(TASKS),
            config={"n_turns": {n: ts.n_answered for n, ts in task_sets.items()}},
            mteval_version="benchmark",
            data_commit="synthetic",
        )
        sink = store.sink(info.run_id)
        for name, task_set in task_sets.items():
            method = "judge" if TASKS[name].scorer == "judge" else TASKS[name].scorer
            for dialogue in task_set.dialogues:
                index = 0
                failed = False
                for position, turn in enumerate(dialogue.turns):
                    if not turn.do_inference:
                        continue
                    index += 1
                    base = dict(
                        task=name,
                        dialogue_id=dialogue.id,
                        position=position,
                        turn_id=turn.id,
                        turn_index=index,
                    )
                    if failed:
                        sink.turn_finished(
                            TurnRecord(**base, status="not_run", error="an earlier turn failed")
                        )
                        continue
                    if rng.random() < 0.03:
                        failed = True
                        sink.turn_finished(
                            TurnRecord(**base, status="error", error="HTTP 500 after 6 attempts")
                        )
                        continue
                    reply = text(rng, rng.randint(400, 2000))
                    key = f"{info.run_id}-{name}-{dialogue.id}-{position}"
                    request = {
                        "model": model,
                        "messages": [
                            {"role": "system", "content": "You are a helpful assistant."},
                            {"role": "user", "content": turn.user},
                        ],
                        "settings": {"temperature": 0},
                    }
                    store.put(
                        key,
                        json.dumps(request),
                        ModelOutput(
                            content=reply,
                            finish_reason="stop",
                            usage=Usage(
                                prompt_tokens=900, completion_tokens=300, total_tokens=1200
                            ),
                            latency_s=1.5,
                            attempts=1,
                            key=key,
                        ),
                    )
                    sink.turn_finished(
                        TurnRecord(
                            **base,
                            status="answered",
                            response=reply,
                            finish_reason="stop",
                            completion_key=key,
                            attempts=1,
                            latency_s=1.5,
                            prompt_tokens=900,
                            completion_tokens=300,
                        )
                    )
                    judge_failed = rng.random() < 0.02
                    sink.judgment_finished(
                        JudgmentRecord(
                            task=name,
                            dialogue_id=dialogue.id,
                            position=position,
                            turn_index=index,
                            method=method,
                            status="error" if judge_failed else "scored",
                            score=None if judge_failed else float(rng.randint(1, 10)),
                            rationale=text(rng, 300),
                            error="the judge's replies were unusable" if judge_failed else None,
                            attempts=1,
                        )
                    )
                    n_turns += 1
        store.finish_run(info.run_id, status="finished", summary=None)
        print(f"  run {r + 1}/{n_runs} written", file=sys.stderr, flush=True)
    store.close()
    ids = [r.run_id for r in RunStore(path, read_only=True).list_runs()]
    return ids, n_turns


def measure(path: Path, repeats: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from starlette.testclient import TestClient

    from mteval.store.views import dialogue_diffs
    from mteval.viewer import References, ViewerConfig, create_app, open_store

    started = time.perf_counter()
    store = open_store(path)
    open_s = time.perf_counter() - started
    app = create_app(ViewerConfig(store=store, references=References()))
    client = TestClient(app, base_url="http://127.0.0.1")
    runs = store.list_runs()
    a, b = runs[-1].run_id, runs[-2].run_id
    longest = store._db.execute(
        "SELECT task, dialogue_id, COUNT(*) AS n FROM turns WHERE run_id = ?"
        " GROUP BY task, dialogue_id ORDER BY n DESC LIMIT 1",
        (a,),
    ).fetchone()
    diff = dialogue_diffs(store, [a, b], limit=1)[0][0]
    n_total = int(
        store._db.execute("SELECT COUNT(*) FROM turns WHERE run_id = ?", (a,)).fetchone()[0]
    )
    last_page = (n_total - 1) // 50 + 1
    pages = [
        ("runs list", "/"),
        ("runs list, filtered by model", f"/?model={runs[0].model}"),
        ("run (score table, figures)", f"/run/{a}"),
        ("turns, page 1", f"/run/{a}/turns"),
        ("turns, last page", f"/run/{a}/turns?page={last_page}"),
        ("turns: text search in replies and rationales", f"/run/{a}/turns?q=careful+cites"),
        (
            "turns: task + turn + score range",
            f"/run/{a}/turns?task=refinement_multi&turn=3&min=5&max=8",
        ),
        ("turns: judge errors", f"/run/{a}/turns?outcome=judge_error"),
        (
            f"dialogue ({longest['n']} turns)",
            f"/run/{a}/dialogue?task={longest['task']}&id={longest['dialogue_id']}",
        ),
        ("compare: most different dialogues", f"/compare?run={a}&run={b}"),
        (
            "compare: one dialogue side by side",
            f"/compare/dialogue?run={a}&run={b}&task={diff.task}&id={diff.dialogue_id}",
        ),
        ("live counts (/api/runs)", "/api/runs"),
    ]
    rows = []
    for label, url in pages:
        t0 = time.perf_counter()
        response = client.get(url)
        cold = time.perf_counter() - t0
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - t0)
        rows.append(
            {
                "page": label,
                "cold_ms": round(cold * 1000, 1),
                "warm_ms": round(statistics.median(times) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
                "kb": round(len(response.content) / 1024, 1),
            }
        )
    # Cold run pages of every other run (each computes its score table once).
    colds = []
    for run in runs[2:8]:
        t0 = time.perf_counter()
        client.get(f"/run/{run.run_id}")
        colds.append(time.perf_counter() - t0)
    # What `mteval view` does at start-up: every run's score table, in the background.
    from mteval.store import RunStore
    from mteval.viewer import TableCache

    t0 = time.perf_counter()
    TableCache().warm(lambda: RunStore(path, read_only=True)).join()
    extra = {
        "open_s": round(open_s, 2),
        "run_page_cold_ms_max": round(max(colds) * 1000, 1),
        "warm_up_s": round(time.perf_counter() - t0, 1),
    }
    return rows, extra


def render(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        f"Store: {meta['runs']} full `--tasks all` runs, {meta['turns']:,} turns, "
        f"{meta['size_mb']:.0f} MB; {meta['machine']}. Opening it read-only with its "
        f"integrity check: {meta['open_s']} s. Cold run pages of six more runs: at most "
        f"{meta['run_page_cold_ms_max']:.0f} ms (computing its score table: results, "
        "bootstrap intervals); `mteval view` computes every run's table in the background "
        f"at start-up ({meta['warm_up_s']} s for all runs here), so a run page is normally "
        "served warm.",
        "",
        "| page | cold (ms) | warm median (ms) | warm max (ms) | warm max / 300 ms | size (KB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['page']} | {row['cold_ms']:.0f} | {row['warm_ms']:.0f} | "
            f"{row['max_ms']:.0f} | {row['max_ms'] / BUDGET_MS:.2f} | {row['kb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "mteval-viewer-bench"
    )
    parser.add_argument("--record", action="store_true", help="write the table into docs")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / "runs.db"
    t0 = time.perf_counter()
    ids, _ = synthesise(path, args.runs)
    print(f"store ready in {time.perf_counter() - t0:.0f} s: {len(ids)} runs", file=sys.stderr)
    import sqlite3

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        turns = int(db.execute("SELECT COUNT(*) FROM turns").fetchone()[0])
    rows, extra = measure(path, args.repeats)
    meta = {
        "runs": len(ids),
        "turns": turns,
        "size_mb": path.stat().st_size / 1e6,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        **extra,
    }
    table = render(rows, meta)
    print(table)
    if args.record:
        doc = DOC.read_text(encoding="utf-8")
        block = f"{TABLE_START}\n{table}\n{TABLE_END}"
        if TABLE_START in doc:
            head, rest = doc.split(TABLE_START, 1)
            doc = head + block + rest.split(TABLE_END, 1)[1]
        else:
            doc = doc.rstrip() + "\n\n## The viewer on a big store\n\n" + block + "\n"
        DOC.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
