"""A run store filled with synthetic runs (no HTTP): fast inputs for report tests."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

from mteval.benchmarks.mt_eval import COMMIT, SourceFiles
from mteval.benchmarks.mt_eval.tasks import TASKS
from mteval.records import JudgmentRecord, TurnRecord
from mteval.store import RunStore

from mteval_test_support import report_turn_data

INJECTED = "<script>alert('xss')</script> and <b>bold</b> & more"


def score_of(model: str, task: str, dialogue: str, position: int) -> float:
    return float(zlib.crc32(f"{model}|{task}|{dialogue}|{position}".encode()) % 11)


def add_run(
    store: RunStore,
    sources: SourceFiles,
    model: str,
    tasks: Sequence[str],
    *,
    limit: int = 2,
    inject: bool = False,
    fail_one: bool = False,
) -> str:
    """Store a finished run of ``model`` over ``tasks`` (first ``limit`` dialogues each)."""
    n_turns = {
        t: sum(d.n_answered for d in TASKS[t].load(sources).dialogues[:limit]) for t in tasks
    }
    info = store.create_run(
        fingerprint=f"synthetic-{model}-{','.join(tasks)}",
        model=model,
        judge="openai/judge",
        tasks=tasks,
        config={"n_turns": n_turns},
        mteval_version="test",
        data_commit=COMMIT,
    )
    sink = store.sink(info.run_id)
    failed = False
    for task in tasks:
        spec = TASKS[task]
        method = "judge" if spec.scorer == "judge" else spec.scorer
        for dialogue in spec.load(sources).dialogues[:limit]:
            index = 0
            for position, turn in enumerate(dialogue.turns):
                if not turn.do_inference:
                    continue
                index += 1
                reply = f"{model} answers turn {index} of {dialogue.id}"
                if inject and index == 1:
                    reply = INJECTED
                if fail_one and not failed:
                    failed = True
                    sink.turn_finished(
                        TurnRecord(
                            task=task,
                            dialogue_id=dialogue.id,
                            position=position,
                            turn_id=turn.id,
                            turn_index=index,
                            status="error",
                            error="HTTP 500 after 6 attempts",
                        )
                    )
                    continue
                sink.turn_finished(
                    TurnRecord(
                        task=task,
                        dialogue_id=dialogue.id,
                        position=position,
                        turn_id=turn.id,
                        turn_index=index,
                        status="answered",
                        response=reply,
                    )
                )
                sink.judgment_finished(
                    JudgmentRecord(
                        task=task,
                        dialogue_id=dialogue.id,
                        position=position,
                        turn_index=index,
                        method=method,
                        status="scored",
                        score=score_of(model, task, dialogue.id, position),
                        rationale=f"rationale <i>{index}</i>",
                    )
                )
    store.finish_run(info.run_id, status="finished", summary=None)
    return info.run_id


def make_store(path: Path, sources: SourceFiles) -> tuple[RunStore, list[str]]:
    """Two runs over every task: ``openai/a`` (one failed turn, an injected reply), ``openai/b``."""
    store = RunStore(path)
    a = add_run(store, sources, "openai/a", list(TASKS), inject=True, fail_one=True)
    b = add_run(store, sources, "openai/b", list(TASKS))
    return store, [a, b]


def turn_data(html: str) -> dict:
    """The turns the page carries (see ``mteval_test_support.report_turn_data``)."""
    return report_turn_data(html)
