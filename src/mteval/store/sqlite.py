"""The run store: one SQLite database (WAL) per project folder.

It holds runs, every completion (request messages and settings, reply,
tokens, latency) — which doubles as the completion cache — and each turn's
outcome and judgment. Records are queued as they happen and committed in one
short transaction every 20 ms during a run, so a crash (even ``kill -9``)
loses at most the last few milliseconds, and the database stays consistent:
SQLite's WAL journal makes every commit atomic.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import socket
import sqlite3
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mteval.config import DEFAULT_BENCHMARK
from mteval.errors import StoreError
from mteval.records import JudgeCall, JudgmentRecord, TurnKey, TurnRecord
from mteval.store.legacy import legacy_run_meta
from mteval.types import ModelOutput, Usage

__all__ = ["SCHEMA_VERSION", "RunInfo", "RunStore", "StoreSink", "store_error"]

SCHEMA_VERSION = 2
"""1: mteval 0.1.0. 2: runs name their benchmark and carry their task metadata and
score table; judge calls get their own table (see :data:`_MIGRATIONS`)."""
_BUSY_TIMEOUT_MS = 60_000
_FLUSH_INTERVAL_S = 0.02
_MAX_PENDING = 2000
_HEARTBEAT_STALE_S = 120.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    status TEXT NOT NULL,
    model TEXT NOT NULL,
    judge TEXT,
    tasks TEXT NOT NULL,
    config TEXT NOT NULL,
    mteval_version TEXT,
    data_commit TEXT,
    owner_pid INTEGER,
    owner_host TEXT,
    heartbeat_at REAL,
    summary TEXT,
    benchmark TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_fingerprint ON runs (fingerprint, created_at);
CREATE TABLE IF NOT EXISTS completions (
    key TEXT PRIMARY KEY,
    request BLOB NOT NULL,
    content TEXT NOT NULL,
    finish_reason TEXT,
    model TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    latency_s REAL NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    run_id TEXT NOT NULL,
    task TEXT NOT NULL,
    dialogue_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    turn_id TEXT NOT NULL,
    turn_index INTEGER NOT NULL,
    status TEXT NOT NULL,
    response TEXT,
    finish_reason TEXT,
    completion_key TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    latency_s REAL NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    PRIMARY KEY (run_id, task, dialogue_id, position)
);
CREATE INDEX IF NOT EXISTS turns_by_status ON turns (run_id, status, attempts);
CREATE TABLE IF NOT EXISTS judgments (
    run_id TEXT NOT NULL,
    task TEXT NOT NULL,
    dialogue_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    turn_index INTEGER NOT NULL,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL,
    rationale TEXT,
    judge_key TEXT,
    prompt_key TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    PRIMARY KEY (run_id, task, dialogue_id, position)
);
-- Covering indexes for the viewer's counts and headline scores (no table row is read).
CREATE INDEX IF NOT EXISTS judgments_by_status ON judgments (run_id, status, task, score, attempts);
-- Every judge call a verdict rests on (pairwise: both orders, repeats, several judges).
CREATE TABLE IF NOT EXISTS judge_calls (
    run_id TEXT NOT NULL,
    task TEXT NOT NULL,
    dialogue_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    call_index INTEGER NOT NULL,
    template TEXT,
    label TEXT NOT NULL DEFAULT '',
    prompt_key TEXT,
    judge_key TEXT,
    reply TEXT,
    value TEXT,
    error TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (run_id, task, dialogue_id, position, call_index)
);
CREATE TABLE IF NOT EXISTS audits (
    audit_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    judge TEXT,
    result TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audits_by_run ON audits (run_id, created_at);
CREATE TABLE IF NOT EXISTS audit_calls (
    audit_id TEXT NOT NULL,
    role TEXT NOT NULL,
    check_name TEXT NOT NULL,
    item TEXT NOT NULL,
    call_index INTEGER NOT NULL,
    label TEXT NOT NULL,
    template TEXT,
    prompt_key TEXT,
    judge_key TEXT,
    reply TEXT,
    value TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS audit_calls_by_audit ON audit_calls (audit_id, check_name, item);
CREATE TABLE IF NOT EXISTS canary_sets (
    version TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    source_run_id TEXT NOT NULL,
    items TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS canary_results (
    result_id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    judge TEXT NOT NULL,
    created_at REAL NOT NULL,
    audit_id TEXT,
    run_id TEXT,
    scores TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS canary_results_by_judge ON canary_results (version, judge, created_at);
"""

_TURN_COLUMNS = (
    "task",
    "dialogue_id",
    "position",
    "turn_id",
    "turn_index",
    "status",
    "response",
    "finish_reason",
    "completion_key",
    "error",
    "attempts",
    "latency_s",
    "prompt_tokens",
    "completion_tokens",
    "cached",
)
_JUDGMENT_COLUMNS = (
    "task",
    "dialogue_id",
    "position",
    "turn_index",
    "method",
    "status",
    "score",
    "rationale",
    "judge_key",
    "prompt_key",
    "error",
    "attempts",
)


@dataclass(frozen=True)
class RunInfo:
    """A run's row in the store."""

    run_id: str
    fingerprint: str
    created_at: float
    updated_at: float
    status: str
    model: str
    judge: str | None
    tasks: tuple[str, ...]
    config: dict[str, Any]
    mteval_version: str | None
    data_commit: str | None
    summary: dict[str, Any] | None
    benchmark: str = DEFAULT_BENCHMARK
    """The benchmark it evaluated (every run of a 0.1.0 store: MT-Eval)."""

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RunInfo:
        """Build from a ``runs`` row, of any schema version (read-only stores stay old)."""
        config = json.loads(row["config"])
        named = row["benchmark"] if "benchmark" in row.keys() else None
        return cls(
            run_id=row["run_id"],
            fingerprint=row["fingerprint"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            status=row["status"],
            model=row["model"],
            judge=row["judge"],
            tasks=tuple(json.loads(row["tasks"])),
            config=config,
            mteval_version=row["mteval_version"],
            data_commit=row["data_commit"],
            summary=json.loads(row["summary"]) if row["summary"] else None,
            benchmark=str(named or config.get("benchmark") or DEFAULT_BENCHMARK),
        )


def _connect(path: Path, *, read_only: bool = False, immutable: bool = False) -> sqlite3.Connection:
    target: str = str(path)
    if read_only:
        # A URI so that SQLite itself refuses every write (and needs no write access).
        target = path.absolute().as_uri() + "?mode=ro" + ("&immutable=1" if immutable else "")
    connection = sqlite3.connect(
        target,
        timeout=_BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
        uri=read_only,
    )
    connection.row_factory = sqlite3.Row
    connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    if read_only:
        connection.execute("PRAGMA query_only = ON")
    return connection


def store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """The one clear error for an SQLite failure on the store at ``path``."""
    reason = str(exc)
    if "malformed" in reason or "corrupt" in reason:
        return StoreError(
            f"{path} is damaged ({reason}): recover what it holds with "
            f"`sqlite3 {path} .recover | sqlite3 recovered.db` and pass --db recovered.db, "
            "or start afresh with another --db"
        )
    if "readonly" in reason or "read-only" in reason:
        return StoreError(
            f"{path} is read-only ({reason}): `mteval run` stores every reply there; make it "
            "writable or pass another --db (runs, show, export, report and compare only read it)"
        )
    return StoreError(
        f"{path} is not a usable mteval database ({reason}): pass another file with "
        "--db, or move this one away"
    )


def _translating_errors(method: Any) -> Any:
    """Wrap a store method so that a damaged database gives one clear error."""

    @functools.wraps(method)
    def wrapper(self: RunStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            # Locks, constraint and programming errors are not damage; let them be.
            if type(exc) is not sqlite3.DatabaseError:
                raise
            raise store_error(self.path, exc) from None

    return wrapper


class _BatchWriter:
    """Queued statements, committed together in one transaction by :meth:`flush`.

    Writes happen on the thread that owns the store (the event loop's, during a
    run), in one short transaction every few milliseconds. A writer thread
    looked cheaper but fell hundreds of statements behind under load: it gets
    the interpreter lock back only when the busy event loop lets it go, and a
    crash then lost every reply it had not written yet.
    """

    def __init__(self, connection: sqlite3.Connection, on_commit: Any) -> None:
        self._connection = connection
        self._items: list[tuple[str, tuple[Any, ...], Any]] = []
        self._on_commit = on_commit
        self._timer: asyncio.TimerHandle | None = None
        self.error: StoreError | None = None
        self.batches = 0

    @property
    def pending(self) -> int:
        """Statements queued and not yet committed."""
        return len(self._items)

    def submit(self, sql: str, params: tuple[Any, ...], tag: Any = None) -> None:
        if self.error is not None:
            raise self.error
        self._items.append((sql, params, tag))
        if len(self._items) >= _MAX_PENDING:
            self.flush()
        elif self._timer is None:
            # Inside a run: commit what has gathered a moment from now. Outside an
            # event loop, records wait for flush() or close().
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self._timer = loop.call_later(_FLUSH_INTERVAL_S, self._timed_flush)

    def _timed_flush(self) -> None:
        self._timer = None
        try:
            self.flush()
        except StoreError as exc:
            # Surfaces at the next write (the run stops there) or flush.
            self.error = exc

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._items:
            return
        items, self._items = self._items, []
        connection = self._connection
        try:
            for attempt in range(10):
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    for sql, params, _tag in items:
                        connection.execute(sql, tuple(_materialise(p) for p in params))
                    connection.execute("COMMIT")
                    break
                except sqlite3.OperationalError as exc:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    time.sleep(0.05 * (attempt + 1))
            else:
                raise StoreError("the database stayed locked by another process")
        except sqlite3.Error as exc:
            # Keep the records for the next attempt; nothing queued is dropped.
            self._items = items + self._items
            raise StoreError(f"the run store cannot be written: {exc}") from None
        except BaseException:
            self._items = items + self._items
            raise
        self.batches += 1
        self.error = None
        self._on_commit([tag for _sql, _params, tag in items if tag is not None])


def _migrate_to_2(db: sqlite3.Connection) -> None:
    """0.1.0 -> 2: runs name their benchmark and carry their task metadata and score table.

    Every run stored by 0.1.0 is an MT-Eval run; its task metadata and main-table
    definition come from the frozen snapshot of 0.1.0's tasks (:mod:`.legacy`), so
    upgraded runs read the same whatever later versions change. The
    ``judge_calls`` table is created with the base schema.
    """
    columns = {row["name"] for row in db.execute("PRAGMA table_info(runs)")}
    if "benchmark" not in columns:
        db.execute("ALTER TABLE runs ADD COLUMN benchmark TEXT")
    for row in db.execute("SELECT run_id, tasks, config FROM runs").fetchall():
        config = json.loads(row["config"])
        config.setdefault("benchmark", DEFAULT_BENCHMARK)
        if "task_info" not in config:
            config.update(legacy_run_meta(json.loads(row["tasks"])) or {})
        db.execute(
            "UPDATE runs SET benchmark = ?, config = ? WHERE run_id = ?",
            (config["benchmark"], json.dumps(config, sort_keys=True), row["run_id"]),
        )


_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {2: _migrate_to_2}
"""Schema version -> the step that upgrades a store from the version before, in place."""


class RunStore:
    """An mteval run store (SQLite, WAL mode).

    Args:
        path: The database file (created if absent, unless ``read_only``).
        read_only: Open for reading only (``runs``, ``show``, ``export``,
            ``report``, the viewer): SQLite refuses every write, nothing is
            created or migrated, and a file the user may not write still opens.

    Raises:
        StoreError: The file is missing (``read_only``), damaged, read-only
            (for writing), not an SQLite database or not an mteval store.
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        try:
            if read_only:
                self._db = self._open_read_only()
            else:
                if self.path.parent and not self.path.parent.exists():
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = _connect(self.path)
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._init_schema()
        except sqlite3.DatabaseError as exc:
            raise store_error(self.path, exc) from None
        self._pending: dict[str, ModelOutput] = {}
        self._writer = _BatchWriter(self._db, self._committed)
        self._closed = False

    @classmethod
    def open_read_only(cls, path: str | os.PathLike[str]) -> RunStore:
        """Open an existing store for reading only (see ``read_only``)."""
        return cls(path, read_only=True)

    def _open_read_only(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise StoreError(
                f"{self.path} does not exist: run `mteval run` first, or pass the store with --db"
            )
        try:
            connection = _connect(self.path, read_only=True)
            row = connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.OperationalError as exc:
            wal = self.path.with_name(self.path.name + "-wal")
            if "unable to open" not in str(exc) or wal.exists():
                raise
            # A read-only folder: SQLite cannot create the WAL index beside the file.
            # With no write-ahead log to read, the file alone is the whole store.
            connection = _connect(self.path, read_only=True, immutable=True)
            row = connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        if row is None:
            raise StoreError(f"{self.path} is not an mteval store: pass the run store with --db")
        if int(row["value"]) > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer mteval (schema {row['value']}); upgrade mteval"
            )
        return connection

    def _stored_version(self) -> int | None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:
            return None
        return None if row is None else int(row["value"])

    def _init_schema(self) -> None:
        stored = self._stored_version()
        if stored is not None and stored > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer mteval (schema {stored}); upgrade mteval"
            )
        self._db.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the lock: another process may have upgraded it meanwhile.
            stored = self._stored_version()
            if stored is not None:
                # An older store: upgrade it in place, one version at a time, in this
                # one transaction (a failure leaves it as it was).
                for version in range(stored + 1, SCHEMA_VERSION + 1):
                    _MIGRATIONS[version](self._db)
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    # -- lifecycle ------------------------------------------------------------------

    def flush(self) -> None:
        """Commit everything queued."""
        self._writer.flush()

    @property
    def pending_writes(self) -> int:
        """Records queued and not yet committed."""
        return self._writer.pending

    def close(self) -> None:
        """Commit what is queued and close."""
        if self._closed:
            return
        self._closed = True
        try:
            self._writer.flush()
        finally:
            self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _committed(self, tags: list[Any]) -> None:
        for tag in tags:
            self._pending.pop(tag, None)

    # -- runs ---------------------------------------------------------------------

    def create_run(
        self,
        *,
        fingerprint: str,
        model: str,
        judge: str | None,
        tasks: Iterable[str],
        config: dict[str, Any],
        mteval_version: str,
        data_commit: str,
        benchmark: str | None = None,
    ) -> RunInfo:
        """Create a run (status ``created``) and return it.

        ``config`` should carry what makes the run readable without today's
        code (``benchmark``, ``task_info``, ``score_table``; see
        :func:`mteval.analysis.results.run_meta_fields`). ``benchmark`` defaults
        to the one ``config`` names, else MT-Eval.
        """
        if benchmark is None:
            benchmark = str(config.get("benchmark") or DEFAULT_BENCHMARK)
        now = time.time()
        run_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now)) + "-" + uuid.uuid4().hex[:6]
        self._db.execute(
            "INSERT INTO runs (run_id, fingerprint, created_at, updated_at, status, model, judge,"
            " tasks, config, mteval_version, data_commit, benchmark)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                run_id,
                fingerprint,
                now,
                now,
                "created",
                model,
                judge,
                json.dumps(list(tasks)),
                json.dumps(config, sort_keys=True),
                mteval_version,
                data_commit,
                benchmark,
            ),
        )
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunInfo:
        """Return a run.

        Raises:
            StoreError: No such run.
        """
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise StoreError(
                f"no run {run_id!r} in {self.path}: `mteval runs` lists the runs it holds"
            )
        return RunInfo.from_row(row)

    def find_run(self, fingerprint: str) -> RunInfo | None:
        """Return the latest run with this fingerprint, if any."""
        row = self._db.execute(
            "SELECT * FROM runs WHERE fingerprint = ? ORDER BY created_at DESC LIMIT 1",
            (fingerprint,),
        ).fetchone()
        return RunInfo.from_row(row) if row else None

    def list_runs(self) -> list[RunInfo]:
        """Return every run, newest first."""
        rows = self._db.execute("SELECT * FROM runs ORDER BY created_at DESC").fetchall()
        return [RunInfo.from_row(row) for row in rows]

    def claim_run(self, run_id: str) -> None:
        """Mark this process as the run's owner.

        Raises:
            StoreError: Another live process is running it right now.
        """
        me, host, now = os.getpid(), socket.gethostname(), time.time()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute(
                "SELECT owner_pid, owner_host, heartbeat_at, status FROM runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()
            if row is None:
                raise StoreError(f"no run {run_id!r} in {self.path}")
            pid, owner_host, beat = row["owner_pid"], row["owner_host"], row["heartbeat_at"] or 0
            if (
                row["status"] == "running"
                and pid
                and pid != me
                and now - beat < _HEARTBEAT_STALE_S
                and (owner_host != host or _pid_alive(pid))
            ):
                raise StoreError(
                    f"run {run_id} is being run by another process (pid {pid} on {owner_host}): "
                    "wait for it to finish, or start a separate run with --new-run"
                )
            self._db.execute(
                "UPDATE runs SET owner_pid = ?, owner_host = ?, heartbeat_at = ?, status = ?,"
                " updated_at = ? WHERE run_id = ?",
                (me, host, now, "running", now, run_id),
            )
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def heartbeat(self, run_id: str) -> None:
        """Refresh this process's claim on the run (queued)."""
        now = time.time()
        self._writer.submit(
            "UPDATE runs SET heartbeat_at = ?, updated_at = ? WHERE run_id = ? AND owner_pid = ?",
            (now, now, run_id, os.getpid()),
        )

    def finish_run(self, run_id: str, *, status: str, summary: dict[str, Any] | None) -> None:
        """Record the run's final status and summary, and release it."""
        self.flush()
        now = time.time()
        self._writer.submit(
            "UPDATE runs SET status = ?, summary = ?, updated_at = ?, owner_pid = NULL"
            " WHERE run_id = ?",
            (status, json.dumps(summary, sort_keys=True) if summary else None, now, run_id),
        )
        self.flush()

    # -- completions (the cache) -----------------------------------------------------

    def get(self, key: str) -> ModelOutput | None:
        """Return the completion stored under ``key`` (the cache lookup)."""
        pending = self._pending.get(key)
        if pending is not None:
            return pending
        row = self._db.execute(
            "SELECT content, finish_reason, model, prompt_tokens, completion_tokens, latency_s,"
            " attempts FROM completions WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return ModelOutput(
            content=row["content"],
            finish_reason=row["finish_reason"],
            model=row["model"],
            usage=Usage(
                prompt_tokens=row["prompt_tokens"],
                completion_tokens=row["completion_tokens"],
                total_tokens=row["prompt_tokens"] + row["completion_tokens"],
            ),
            latency_s=row["latency_s"],
            attempts=row["attempts"],
            key=key,
        )

    def put(self, key: str, request_json: str, output: ModelOutput) -> None:
        """Store a completion (queued; visible to :meth:`get` at once)."""
        self._pending[key] = output
        usage = output.usage or Usage()
        self._writer.submit(
            "INSERT OR IGNORE INTO completions (key, request, content, finish_reason, model,"
            " prompt_tokens, completion_tokens, latency_s, attempts, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                key,
                _Compressed(request_json),
                output.content,
                output.finish_reason,
                output.model,
                usage.prompt_tokens,
                usage.completion_tokens,
                output.latency_s,
                output.attempts,
                time.time(),
            ),
            tag=key,
        )

    def request(self, key: str) -> dict[str, Any] | None:
        """Return the stored request (endpoint, model, messages, settings) of a completion."""
        row = self._db.execute("SELECT request FROM completions WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        value: dict[str, Any] = json.loads(zlib.decompress(row["request"]).decode("utf-8"))
        return value

    def completion_count(self) -> int:
        """Number of stored completions."""
        return int(self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    # -- turns and judgments -------------------------------------------------------------

    def sink(self, run_id: str) -> StoreSink:
        """Return a :class:`~mteval.records.RunSink` writing into run ``run_id``."""
        return StoreSink(self, run_id)

    def _write_turn(self, run_id: str, record: TurnRecord) -> None:
        values = [getattr(record, c) for c in _TURN_COLUMNS]
        values[_TURN_COLUMNS.index("cached")] = int(record.cached)
        columns = ", ".join(("run_id", *_TURN_COLUMNS, "updated_at"))
        marks = ", ".join("?" * (len(_TURN_COLUMNS) + 2))
        self._writer.submit(
            f"INSERT OR REPLACE INTO turns ({columns}) VALUES ({marks})",
            (run_id, *values, time.time()),
        )

    def _write_judgment(self, run_id: str, record: JudgmentRecord) -> None:
        values = [getattr(record, c) for c in _JUDGMENT_COLUMNS]
        columns = ", ".join(("run_id", *_JUDGMENT_COLUMNS, "updated_at"))
        marks = ", ".join("?" * (len(_JUDGMENT_COLUMNS) + 2))
        now = time.time()
        self._writer.submit(
            f"INSERT OR REPLACE INTO judgments ({columns}) VALUES ({marks})",
            (run_id, *values, now),
        )
        for call in record.calls:
            self._writer.submit(
                "INSERT OR REPLACE INTO judge_calls (run_id, task, dialogue_id, position,"
                " call_index, template, label, prompt_key, judge_key, reply, value, error,"
                " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    record.task,
                    record.dialogue_id,
                    record.position,
                    call.index,
                    call.template,
                    call.label,
                    call.prompt_key,
                    call.judge_key,
                    call.reply,
                    json.dumps(call.value),
                    call.error,
                    now,
                ),
            )

    def turns(self, run_id: str, task: str | None = None, *, text: bool = True) -> list[TurnRecord]:
        """Return a run's turn records (optionally one task's), in a stable order.

        Args:
            run_id: The run.
            task: Only this task's records.
            text: Include the replies; without them (``response`` is None) the
                records load several times faster, for counts and scores.
        """
        columns = _TURN_COLUMNS if text else tuple(c for c in _TURN_COLUMNS if c != "response")
        sql = f"SELECT {', '.join(columns)} FROM turns WHERE run_id = ?"
        params: tuple[Any, ...] = (run_id,)
        if task is not None:
            sql += " AND task = ?"
            params += (task,)
        rows = self._db.execute(sql + " ORDER BY task, dialogue_id, position", params).fetchall()
        return [
            TurnRecord.model_validate({**dict(row), "cached": bool(row["cached"])}) for row in rows
        ]

    def judgments(
        self, run_id: str, task: str | None = None, *, text: bool = True
    ) -> list[JudgmentRecord]:
        """Return a run's judgment records (optionally one task's).

        Args:
            run_id: The run.
            task: Only this task's records.
            text: Include the rationales (``rationale`` is None without them).
        """
        columns = (
            _JUDGMENT_COLUMNS if text else tuple(c for c in _JUDGMENT_COLUMNS if c != "rationale")
        )
        sql = f"SELECT {', '.join(columns)} FROM judgments WHERE run_id = ?"
        params: tuple[Any, ...] = (run_id,)
        if task is not None:
            sql += " AND task = ?"
            params += (task,)
        rows = self._db.execute(sql + " ORDER BY task, dialogue_id, position", params).fetchall()
        return [JudgmentRecord.model_validate(dict(row)) for row in rows]

    def judge_calls(self, run_id: str, task: str | None = None) -> dict[TurnKey, list[JudgeCall]]:
        """Return every judge call a run's verdicts rest on, by turn, in call order.

        Calls of every attempt are kept (a verdict judged again after an error
        adds its calls after the earlier ones). A store opened read-only that
        predates the table has none.
        """
        if not self._has_table("judge_calls"):
            return {}
        sql = (
            "SELECT task, dialogue_id, position, call_index, template, label, prompt_key,"
            " judge_key, reply, value, error FROM judge_calls WHERE run_id = ?"
        )
        params: tuple[Any, ...] = (run_id,)
        if task is not None:
            sql += " AND task = ?"
            params += (task,)
        rows = self._db.execute(
            sql + " ORDER BY task, dialogue_id, position, call_index", params
        ).fetchall()
        calls: dict[TurnKey, list[JudgeCall]] = {}
        for row in rows:
            key = (row["task"], row["dialogue_id"], row["position"])
            calls.setdefault(key, []).append(
                JudgeCall(
                    index=row["call_index"],
                    template=row["template"],
                    label=row["label"],
                    prompt_key=row["prompt_key"],
                    judge_key=row["judge_key"],
                    reply=row["reply"],
                    value=json.loads(row["value"]) if row["value"] is not None else None,
                    error=row["error"],
                )
            )
        return calls

    # -- judge audits and canaries -------------------------------------------------

    def save_audit(
        self, *, audit_id: str, run_id: str, judge: str | None, result: dict[str, Any]
    ) -> None:
        """Store (or replace) a judge audit's result (``audit.json``'s content)."""
        self._db.execute(
            "INSERT OR REPLACE INTO audits (audit_id, run_id, created_at, judge, result)"
            " VALUES (?,?,?,?,?)",
            (audit_id, run_id, time.time(), judge, json.dumps(result, sort_keys=True)),
        )

    def _has_table(self, name: str) -> bool:
        """Whether the store has table ``name`` (a store opened read-only may predate it)."""
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    def audits(self, run_id: str) -> list[dict[str, Any]]:
        """Return a run's audit results, newest first."""
        if not self._has_table("audits"):
            return []
        rows = self._db.execute(
            "SELECT result FROM audits WHERE run_id = ? ORDER BY created_at DESC, rowid DESC",
            (run_id,),
        ).fetchall()
        return [json.loads(row["result"]) for row in rows]

    def save_audit_calls(
        self, *, audit_id: str, calls: Sequence[tuple[str, str, str, JudgeCall]]
    ) -> None:
        """Store a judge audit's judge calls: ``(role, check, item, call)`` each.

        ``role`` is ``judge`` or ``judge2``; ``item`` the turn (or canary) the
        call was made for; the call keeps its label (``repeat-2``, ``AB``, ...).
        """
        if not calls:
            return
        rows = [
            (
                audit_id,
                role,
                check,
                item,
                call.index,
                call.label,
                call.template,
                call.prompt_key,
                call.judge_key,
                call.reply,
                None if call.value is None else json.dumps(call.value),
                call.error,
            )
            for role, check, item, call in calls
        ]
        self.flush()  # queued completions first: one transaction at a time
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT INTO audit_calls (audit_id, role, check_name, item, call_index, label,"
                " template, prompt_key, judge_key, reply, value, error)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def audit_calls(
        self, audit_id: str, check: str | None = None
    ) -> list[tuple[str, str, str, JudgeCall]]:
        """Return an audit's judge calls as ``(role, check, item, call)``, in the order stored."""
        if not self._has_table("audit_calls"):
            return []
        sql = "SELECT * FROM audit_calls WHERE audit_id = ?"
        params: tuple[Any, ...] = (audit_id,)
        if check is not None:
            sql += " AND check_name = ?"
            params += (check,)
        out = []
        for row in self._db.execute(sql + " ORDER BY rowid", params).fetchall():
            call = JudgeCall(
                index=row["call_index"],
                template=row["template"],
                label=row["label"],
                prompt_key=row["prompt_key"],
                judge_key=row["judge_key"],
                reply=row["reply"],
                value=None if row["value"] is None else json.loads(row["value"]),
                error=row["error"],
            )
            out.append((row["role"], row["check_name"], row["item"], call))
        return out

    def canary_set(self, version: str) -> list[dict[str, Any]] | None:
        """Return the items of canary set ``version``, or None if it was never drawn."""
        if not self._has_table("canary_sets"):
            return None
        row = self._db.execute(
            "SELECT items FROM canary_sets WHERE version = ?", (version,)
        ).fetchone()
        return None if row is None else list(json.loads(row["items"]))

    def save_canary_set(
        self, *, version: str, source_run_id: str, items: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Store canary set ``version`` unless it exists; return the stored one.

        A canary set never changes once stored: that is what makes it a canary.
        """
        self._db.execute(
            "INSERT OR IGNORE INTO canary_sets (version, created_at, source_run_id, items)"
            " VALUES (?,?,?,?)",
            (version, time.time(), source_run_id, json.dumps(items, sort_keys=True)),
        )
        stored = self.canary_set(version)
        assert stored is not None
        return stored

    def save_canary_result(
        self,
        *,
        version: str,
        judge: str,
        scores: dict[str, float | None],
        audit_id: str | None = None,
        run_id: str | None = None,
    ) -> str:
        """Store one judging of a canary set; return its id."""
        result_id = uuid.uuid4().hex
        self._db.execute(
            "INSERT INTO canary_results (result_id, version, judge, created_at, audit_id, run_id,"
            " scores) VALUES (?,?,?,?,?,?,?)",
            (
                result_id,
                version,
                judge,
                time.time(),
                audit_id,
                run_id,
                json.dumps(scores, sort_keys=True),
            ),
        )
        return result_id

    def canary_results(self, version: str, judge: str) -> list[dict[str, Any]]:
        """Return a judge's results on canary set ``version``, newest first.

        Each is ``{"result_id", "created_at", "audit_id", "run_id", "scores"}``.
        """
        if not self._has_table("canary_results"):
            return []
        rows = self._db.execute(
            "SELECT result_id, created_at, audit_id, run_id, scores FROM canary_results"
            " WHERE version = ? AND judge = ? ORDER BY created_at DESC, rowid DESC",
            (version, judge),
        ).fetchall()
        return [{**dict(row), "scores": json.loads(row["scores"])} for row in rows]

    def integrity_check(self) -> str:
        """Run ``PRAGMA integrity_check`` and return its verdict (``ok`` when sound)."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def check_sound(self) -> None:
        """Check the whole file (``PRAGMA quick_check``) before work is spent on it.

        Reads every page once (about a second per gigabyte).

        Raises:
            StoreError: The database is damaged; the message says how to recover it.
        """
        verdict = str(self._db.execute("PRAGMA quick_check(1)").fetchone()[0])
        if verdict != "ok":
            raise store_error(
                self.path, sqlite3.DatabaseError(f"database disk image is malformed: {verdict}")
            )


for _name, _method in list(vars(RunStore).items()):
    if callable(_method) and not _name.startswith("__") and _name != "open_read_only":
        setattr(RunStore, _name, _translating_errors(_method))


class StoreSink:
    """Writes a run's records into the store (implements :class:`~mteval.records.RunSink`)."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id

    def turn_finished(self, record: TurnRecord) -> None:
        """Queue a turn record."""
        self.store._write_turn(self.run_id, record)

    def judgment_finished(self, record: JudgmentRecord) -> None:
        """Queue a judgment record."""
        self.store._write_judgment(self.run_id, record)


class _Compressed:
    """A request's JSON, compressed only when its batch is written."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _materialise(value: Any) -> Any:
    if isinstance(value, _Compressed):
        return zlib.compress(value.text.encode("utf-8"), 1)
    return value


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
