"""Read views over the run store: paged, indexed queries for browsing runs.

Every function here reads; none writes. They serve the viewer, which opens
the store read-only (``RunStore(path, read_only=True)``) while a run may be
writing it. Each query touches one run's rows through the primary keys
(``run_id, task, dialogue_id, position``) and returns at most one page, so a
page costs the same on a store of one run or of a hundred: nothing loads a
whole run's text.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mteval.config import DEFAULT_BENCHMARK as _DEFAULT_BENCHMARK
from mteval.records import JudgeCall
from mteval.store.sqlite import RunInfo, RunStore

__all__ = [
    "DEFAULT_BENCHMARK",
    "OUTCOMES",
    "DialogueDiff",
    "RunCounts",
    "TurnFilter",
    "TurnPage",
    "TurnView",
    "dialogue_diffs",
    "dialogue_judge_calls",
    "dialogue_turns",
    "dialogues_around",
    "quick_check",
    "run_benchmark",
    "run_counts",
    "run_version",
    "scored_values",
    "search_turns",
]

DEFAULT_BENCHMARK = _DEFAULT_BENCHMARK
"""The benchmark of runs that do not name one (every run before benchmarks were plug-ins)."""

_PREVIEW_CHARS = 400


def _db(store: RunStore) -> sqlite3.Connection:
    # The views are the store's own read side: they share its connection.
    return store._db


def quick_check(store: RunStore) -> str:
    """Read every page of the database once; ``ok`` when sound (a damaged file says where)."""
    return str(_db(store).execute("PRAGMA quick_check").fetchone()[0])


def run_benchmark(info: RunInfo) -> str:
    """The benchmark a run evaluated (its stored name, or MT-Eval for older runs)."""
    named = getattr(info, "benchmark", None) or info.config.get("benchmark")
    return str(named) if named else DEFAULT_BENCHMARK


@dataclass(frozen=True)
class RunCounts:
    """How far a run has got, counted from its records.

    Attributes:
        expected: Answered turns the run's tasks hold (0 when the run does not say).
        answered: Turns the model answered.
        errors: Turns whose request failed for good.
        not_run: Turns not run (an earlier turn of the dialogue failed).
        scored: Turns with a score.
        judge_errors: Turns whose judging failed.
        model_requests: HTTP attempts to the model.
        judge_requests: Requests to the judge.
        heartbeat_at: When the process running it last said it was alive
            (a run in progress does so every few seconds).
    """

    expected: int = 0
    answered: int = 0
    errors: int = 0
    not_run: int = 0
    scored: int = 0
    judge_errors: int = 0
    model_requests: int = 0
    judge_requests: int = 0
    heartbeat_at: float | None = None

    @property
    def requests(self) -> int:
        """Model and judge requests together."""
        return self.model_requests + self.judge_requests

    @property
    def done(self) -> int:
        """Turns with a final outcome (scored, judge error, error or not run)."""
        return self.scored + self.judge_errors + self.errors + self.not_run


def run_counts(store: RunStore, run_ids: Sequence[str]) -> dict[str, RunCounts]:
    """Count each run's turns by outcome, and its requests (two grouped queries)."""
    if not run_ids:
        return {}
    marks = ",".join("?" * len(run_ids))
    turns: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in _db(store).execute(
        f"SELECT run_id, status, COUNT(*), COALESCE(SUM(attempts), 0) FROM turns"
        f" WHERE run_id IN ({marks}) GROUP BY run_id, status",
        tuple(run_ids),
    ):
        turns[row[0]][row[1]] = (int(row[2]), int(row[3]))
    judged: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in _db(store).execute(
        f"SELECT run_id, status, COUNT(*), COALESCE(SUM(attempts), 0) FROM judgments"
        f" WHERE run_id IN ({marks}) GROUP BY run_id, status",
        tuple(run_ids),
    ):
        judged[row[0]][row[1]] = (int(row[2]), int(row[3]))
    expected, beats = {}, {}
    for row in _db(store).execute(
        f"SELECT run_id, config, heartbeat_at FROM runs WHERE run_id IN ({marks})",
        tuple(run_ids),
    ):
        expected[row[0]] = _expected(row[1])
        beats[row[0]] = row[2]
    out = {}
    for run_id in run_ids:
        t, j = turns.get(run_id, {}), judged.get(run_id, {})
        out[run_id] = RunCounts(
            expected=expected.get(run_id, 0),
            answered=t.get("answered", (0, 0))[0],
            errors=t.get("error", (0, 0))[0],
            not_run=t.get("not_run", (0, 0))[0],
            scored=j.get("scored", (0, 0))[0],
            judge_errors=j.get("error", (0, 0))[0],
            model_requests=sum(v[1] for v in t.values()),
            judge_requests=sum(v[1] for v in j.values()),
            heartbeat_at=beats.get(run_id),
        )
    return out


def _expected(config_json: str) -> int:
    try:
        n_turns = json.loads(config_json).get("n_turns", {})
        return sum(int(v) for v in n_turns.values())
    except (ValueError, TypeError, AttributeError):
        return 0  # a run from another version, without the counts: shown without a total


def run_version(store: RunStore, run_id: str) -> tuple[Any, ...]:
    """A value that changes whenever the run's status or records change (a cache key).

    It reads only the covering indexes (``turns_by_status``, ``judgments_by_status``):
    counts and attempts per outcome, and the sum of the scores.
    """
    db = _db(store)
    run = db.execute("SELECT status, updated_at FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    turns = db.execute(
        "SELECT status, COUNT(*), SUM(attempts) FROM turns WHERE run_id = ? GROUP BY status",
        (run_id,),
    ).fetchall()
    judged = db.execute(
        "SELECT status, COUNT(*), SUM(attempts), SUM(score) FROM judgments WHERE run_id = ?"
        " GROUP BY status",
        (run_id,),
    ).fetchall()
    return (
        tuple(run) if run else None,
        tuple(tuple(r) for r in turns),
        tuple(tuple(r) for r in judged),
    )


def scored_values(store: RunStore, run_ids: Sequence[str]) -> dict[str, dict[str, list[float]]]:
    """Per run and task, the scores of its scored turns (in no particular order).

    One grouped query over the ``judgments_by_status`` index: each distinct
    score comes back once with its count, so this costs the same for a run of
    a hundred turns or of five thousand.
    """
    if not run_ids:
        return {}
    marks = ",".join("?" * len(run_ids))
    out: dict[str, dict[str, list[float]]] = {r: defaultdict(list) for r in run_ids}
    for run_id, task, score, count in _db(store).execute(
        f"SELECT run_id, task, score, COUNT(*) FROM judgments WHERE run_id IN ({marks})"
        " AND status = 'scored' AND score IS NOT NULL GROUP BY run_id, task, score",
        tuple(run_ids),
    ):
        out[run_id][task].extend([float(score)] * int(count))
    return {r: dict(v) for r, v in out.items()}


@dataclass(frozen=True)
class TurnView:
    """One recorded turn, with its judgment and the message that asked for it.

    Attributes:
        task: The task.
        dialogue_id: The dialogue.
        position: Its index in the dialogue.
        turn_index: Its 1-based index among the answered turns.
        turn_id: The benchmark's turn id.
        status: ``answered``, ``error`` or ``not_run``.
        response: The reply (in pages of many turns: its first characters).
        truncated: ``response`` is cut short.
        finish_reason: Why generation stopped.
        error: Why the turn failed.
        attempts: HTTP attempts.
        latency_s: Latency of the successful attempt.
        prompt_tokens: Prompt tokens.
        completion_tokens: Generated tokens.
        cached: Served from the completion cache.
        judgment_status: ``scored``, ``error`` or None (not judged yet).
        method: How it was scored (``judge``, ``cls``, ``instruction``).
        score: The score.
        rationale: The judge's rationale or the check's verdict.
        judge_error: Why judging failed.
        judge_attempts: Judge requests.
        user: The last user message of the stored request (dialogue pages only).
    """

    task: str
    dialogue_id: str
    position: int
    turn_index: int
    turn_id: str
    status: str
    response: str | None
    truncated: bool
    finish_reason: str | None
    error: str | None
    attempts: int
    latency_s: float
    prompt_tokens: int
    completion_tokens: int
    cached: bool
    judgment_status: str | None
    method: str | None
    score: float | None
    rationale: str | None
    judge_error: str | None
    judge_attempts: int
    user: str | None = None


_JOIN = (
    "FROM turns t LEFT JOIN judgments j ON j.run_id = t.run_id AND j.task = t.task"
    " AND j.dialogue_id = t.dialogue_id AND j.position = t.position"
)


def _turn_columns(preview: int | None) -> str:
    response = f"substr(t.response, 1, {preview})" if preview else "t.response"
    rationale = f"substr(j.rationale, 1, {preview})" if preview else "j.rationale"
    return (
        f"t.task, t.dialogue_id, t.position, t.turn_index, t.turn_id, t.status, {response},"
        f" length(t.response), t.finish_reason, t.error, t.attempts, t.latency_s,"
        f" t.prompt_tokens, t.completion_tokens, t.cached, j.status, j.method, j.score,"
        f" {rationale}, j.error, COALESCE(j.attempts, 0), t.completion_key"
    )


def _turn_view(row: sqlite3.Row | tuple[Any, ...], user: str | None = None) -> TurnView:
    response, length = row[6], row[7]
    return TurnView(
        task=row[0],
        dialogue_id=row[1],
        position=row[2],
        turn_index=row[3],
        turn_id=row[4],
        status=row[5],
        response=response,
        truncated=response is not None and length is not None and len(response) < length,
        finish_reason=row[8],
        error=row[9],
        attempts=row[10],
        latency_s=row[11],
        prompt_tokens=row[12],
        completion_tokens=row[13],
        cached=bool(row[14]),
        judgment_status=row[15],
        method=row[16],
        score=row[17] if row[15] == "scored" else None,
        rationale=row[18],
        judge_error=row[19],
        judge_attempts=row[20],
        user=user,
    )


@dataclass(frozen=True)
class TurnFilter:
    """Which of a run's turns to list.

    Attributes:
        task: Only this task.
        turn_index: Only this answered-turn index.
        min_score: Scores at least this.
        max_score: Scores at most this.
        outcome: ``scored``, ``error`` (request failed), ``not_run``,
            ``judge_error``, ``any_error`` (any of the three) or ``pending``
            (answered, not judged yet); None: all.
        error_text: The turn's or the judge's error contains this.
        text: The reply or the rationale contains this (case-insensitive for ASCII).
    """

    task: str | None = None
    turn_index: int | None = None
    min_score: float | None = None
    max_score: float | None = None
    outcome: str | None = None
    error_text: str | None = None
    text: str | None = None


OUTCOMES = ("scored", "error", "not_run", "judge_error", "any_error", "pending")


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(run_id: str, where: TurnFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = ["t.run_id = ?"]
    params: list[Any] = [run_id]
    if where.task:
        clauses.append("t.task = ?")
        params.append(where.task)
    if where.turn_index is not None:
        clauses.append("t.turn_index = ?")
        params.append(where.turn_index)
    if where.min_score is not None:
        clauses.append("j.status = 'scored' AND j.score >= ?")
        params.append(where.min_score)
    if where.max_score is not None:
        clauses.append("j.status = 'scored' AND j.score <= ?")
        params.append(where.max_score)
    outcome = {
        "scored": "j.status = 'scored'",
        "error": "t.status = 'error'",
        "not_run": "t.status = 'not_run'",
        "judge_error": "j.status = 'error'",
        "any_error": "(t.status != 'answered' OR j.status = 'error')",
        "pending": "t.status = 'answered' AND j.status IS NULL",
    }.get(where.outcome or "")
    if outcome:
        clauses.append(outcome)
    if where.error_text:
        clauses.append("(t.error LIKE ? ESCAPE '\\' OR j.error LIKE ? ESCAPE '\\')")
        params += [_like(where.error_text)] * 2
    if where.text:
        clauses.append("(t.response LIKE ? ESCAPE '\\' OR j.rationale LIKE ? ESCAPE '\\')")
        params += [_like(where.text)] * 2
    return " AND ".join(clauses), params


@dataclass(frozen=True)
class TurnPage:
    """One page of turns that match a filter.

    Attributes:
        turns: The page's turns (replies and rationales cut to a preview).
        total: How many turns match.
        offset: Index of the page's first turn among the matches.
        limit: Page size.
    """

    turns: tuple[TurnView, ...]
    total: int
    offset: int
    limit: int


def search_turns(
    store: RunStore, run_id: str, where: TurnFilter, *, offset: int = 0, limit: int = 50
) -> TurnPage:
    """Return one page of a run's turns matching ``where``, in task/dialogue/position order."""
    clause, params = _where(run_id, where)
    db = _db(store)
    total = int(db.execute(f"SELECT COUNT(*) {_JOIN} WHERE {clause}", params).fetchone()[0])
    rows = db.execute(
        f"SELECT {_turn_columns(_PREVIEW_CHARS)} {_JOIN} WHERE {clause}"
        " ORDER BY t.task, t.dialogue_id, t.position LIMIT ? OFFSET ?",
        (*params, limit, offset),
    ).fetchall()
    return TurnPage(
        turns=tuple(_turn_view(row) for row in rows), total=total, offset=offset, limit=limit
    )


def _user_message(store: RunStore, key: str | None) -> str | None:
    if not key:
        return None
    row = _db(store).execute("SELECT request FROM completions WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    try:
        request = json.loads(zlib.decompress(row[0]).decode("utf-8"))
        messages = request.get("messages") or []
    except (zlib.error, ValueError, UnicodeDecodeError, AttributeError):
        return None  # an unreadable request: the page shows the reply without the question
    last = messages[-1] if messages else None
    if isinstance(last, dict) and last.get("role") == "user":
        content = last.get("content")
        return content if isinstance(content, str) else json.dumps(content)
    return None


def dialogue_turns(store: RunStore, run_id: str, task: str, dialogue_id: str) -> list[TurnView]:
    """Every recorded turn of one dialogue, in order, with full text and the user message."""
    rows = (
        _db(store)
        .execute(
            f"SELECT {_turn_columns(None)} {_JOIN} WHERE t.run_id = ? AND t.task = ?"
            " AND t.dialogue_id = ? ORDER BY t.position",
            (run_id, task, dialogue_id),
        )
        .fetchall()
    )
    return [_turn_view(row, _user_message(store, row[21])) for row in rows]


def dialogue_judge_calls(
    store: RunStore, run_id: str, task: str, dialogue_id: str
) -> dict[int, list[JudgeCall]]:
    """Position -> the judge calls its verdict rests on, in call order (one dialogue's only).

    Empty for stores written before judge calls were kept.
    """
    db = _db(store)
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'judge_calls'").fetchone() is None:
        return {}
    calls: dict[int, list[JudgeCall]] = defaultdict(list)
    for row in db.execute(
        "SELECT position, call_index, template, label, prompt_key, judge_key, reply, value,"
        " error FROM judge_calls WHERE run_id = ? AND task = ? AND dialogue_id = ?"
        " ORDER BY position, call_index",
        (run_id, task, dialogue_id),
    ):
        try:
            value = json.loads(row[7]) if row[7] is not None else None
        except ValueError:
            value = row[7]
        calls[row[0]].append(
            JudgeCall(
                index=row[1],
                template=row[2],
                label=row[3] or "",
                prompt_key=row[4],
                judge_key=row[5],
                reply=row[6],
                value=value,
                error=row[8],
            )
        )
    return dict(calls)


def dialogues_around(
    store: RunStore, run_id: str, task: str, dialogue_id: str
) -> tuple[str | None, str | None]:
    """The dialogues before and after this one in the task (for n/p navigation)."""
    db = _db(store)
    before = db.execute(
        "SELECT MAX(dialogue_id) FROM turns WHERE run_id = ? AND task = ? AND dialogue_id < ?",
        (run_id, task, dialogue_id),
    ).fetchone()[0]
    after = db.execute(
        "SELECT MIN(dialogue_id) FROM turns WHERE run_id = ? AND task = ? AND dialogue_id > ?",
        (run_id, task, dialogue_id),
    ).fetchone()[0]
    return before, after


@dataclass(frozen=True)
class DialogueDiff:
    """How differently runs scored one dialogue.

    Attributes:
        task: The task.
        dialogue_id: The dialogue.
        means: Per run (in the order asked), the mean score of its scored turns.
        counts: Per run, its scored turns.
        spread: Largest minus smallest mean (with two runs: ``|B - A|``).
        difference: Last run's mean minus the first run's.
    """

    task: str
    dialogue_id: str
    means: tuple[float, ...]
    counts: tuple[int, ...]
    spread: float
    difference: float


def dialogue_diffs(
    store: RunStore,
    run_ids: Sequence[str],
    *,
    task: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[DialogueDiff], int]:
    """Dialogues scored in every run, most different first, one page of them.

    Returns:
        The page and the number of dialogues scored in every run.
    """
    if not run_ids:
        return [], 0
    marks = ",".join("?" * len(run_ids))
    sql = (
        f"SELECT run_id, task, dialogue_id, AVG(score), COUNT(*) FROM judgments"
        f" WHERE run_id IN ({marks}) AND status = 'scored' AND score IS NOT NULL"
    )
    params: list[Any] = list(run_ids)
    if task:
        sql += " AND task = ?"
        params.append(task)
    by_dialogue: dict[tuple[str, str], dict[str, tuple[float, int]]] = defaultdict(dict)
    for row in _db(store).execute(sql + " GROUP BY run_id, task, dialogue_id", params):
        by_dialogue[(row[1], row[2])][row[0]] = (float(row[3]), int(row[4]))
    diffs = []
    for (task_name, dialogue_id), per_run in by_dialogue.items():
        if len(per_run) < len(run_ids):
            continue
        means = tuple(per_run[r][0] for r in run_ids)
        diffs.append(
            DialogueDiff(
                task=task_name,
                dialogue_id=dialogue_id,
                means=means,
                counts=tuple(per_run[r][1] for r in run_ids),
                spread=max(means) - min(means),
                difference=means[-1] - means[0],
            )
        )
    diffs.sort(key=lambda d: (-d.spread, d.task, d.dialogue_id))
    return diffs[offset : offset + limit], len(diffs)
