"""What the mock endpoint records: one :class:`RequestRecord` per chat request.

Records go to memory (:meth:`mteval.testing.MockEndpoint.records`) and, with a
log path, to a JSON-lines file through :class:`RequestLog`. Counters are
summarised as :class:`EndpointStats`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EndpointStats", "RequestLog", "RequestRecord", "read_request_log"]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One finished chat request, as logged.

    Times are ``time.time()`` seconds since the epoch, so another process on
    the same machine can compare them with its own ``time.time()``.

    Attributes:
        seq: Arrival order, from 1; never reset (not even by :meth:`MockEndpoint.reset`).
        model: The request's ``model`` (``None`` when the body could not be read).
        key: SHA-256 of the canonical JSON request body (equal for retries).
        arrival: When the request had been read.
        start: When it entered service (got a capacity slot); for requests
            never served (errors, status faults, ``hang``) the time it was answered.
        end: When service ended and the reply started being sent.
        status: HTTP status sent; 0 when no response was sent (``hang``, shutdown).
        fault: The injected fault kind, or ``None``.
        prompt_tokens: Whitespace-word estimate of the prompt.
        completion_tokens: Whitespace-word estimate of the reply.
        user_sha: SHA-256 of the last user message (:func:`mteval.testing.prompt_key`).
    """

    seq: int
    model: str | None
    key: str | None
    arrival: float
    start: float
    end: float
    status: int
    fault: str | None
    prompt_tokens: int
    completion_tokens: int
    user_sha: str | None

    def to_json(self) -> dict[str, Any]:
        """Return the record as the dict that is logged."""
        return {
            "seq": self.seq,
            "model": self.model,
            "key": self.key,
            "arrival": self.arrival,
            "start": self.start,
            "end": self.end,
            "status": self.status,
            "fault": self.fault,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "user_sha": self.user_sha,
        }


class EndpointStats(BaseModel):
    """Counters of a :class:`MockEndpoint` since it started or was last reset.

    Attributes:
        requests: Chat-completion requests received (rejected ones included).
            ``by_model``, ``by_fault`` and ``attempts`` count requests as they
            arrive; ``by_status`` and ``successes`` as they finish.
        successes: Chat replies sent with status 200 and no fault (``slow_drip``
            counts as no fault).
        by_model: Requests per ``model``.
        by_fault: Injected faults per kind.
        by_status: Requests per HTTP status sent (0: none sent).
        attempts: Attempts per request key.
        in_flight: Chat requests received and not yet finished (hung ones included).
        in_service: Requests in service now.
        queued: Requests waiting for a capacity slot now.
        max_in_service: Most requests in service at once.
        max_queued: Most requests waiting at once.
        queue_time_s: Total time requests waited for a slot.
        service_time_s: Total time requests spent in service.
        scripted_pending: Scripted faults not yet applied.
        overflows: Requests answered "context size exceeded" because more than
            ``EndpointConfig.overflow_above`` were in service.
    """

    model_config = ConfigDict(frozen=True)

    requests: int = 0
    successes: int = 0
    by_model: dict[str, int] = Field(default_factory=dict)
    by_fault: dict[str, int] = Field(default_factory=dict)
    by_status: dict[int, int] = Field(default_factory=dict)
    attempts: dict[str, int] = Field(default_factory=dict)
    in_flight: int = 0
    in_service: int = 0
    queued: int = 0
    max_in_service: int = 0
    max_queued: int = 0
    queue_time_s: float = 0.0
    service_time_s: float = 0.0
    scripted_pending: int = 0
    overflows: int = 0


class RequestLog:
    """Appends request records to a file as JSON lines, in batches.

    Lines are buffered and written every ``batch`` records; :meth:`flush`
    writes the rest and :meth:`close` flushes and closes the file.

    Args:
        path: The log file (opened for appending; its folder is created).
        batch: Records per write.
    """

    def __init__(self, path: Path, *, batch: int = 256) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._lines: list[str] = []
        self._batch = batch

    def add(self, record: RequestRecord) -> None:
        """Buffer one record, writing the batch when it is full."""
        self._lines.append(json.dumps(record.to_json(), separators=(",", ":")) + "\n")
        if len(self._lines) >= self._batch:
            self.flush()

    def flush(self) -> None:
        """Write the buffered records and flush the file."""
        if self._lines:
            self._file.write("".join(self._lines))
            self._lines.clear()
            self._file.flush()

    def close(self) -> None:
        """Flush and close the file."""
        self.flush()
        self._file.close()


def read_request_log(path: Path | str) -> list[RequestRecord]:
    """Read a request log written by the mock endpoint, in file order.

    Args:
        path: The JSON-lines log file.

    Returns:
        One record per line (blank lines skipped).
    """
    with Path(path).open(encoding="utf-8") as file:
        return [RequestRecord(**json.loads(line)) for line in file if line.strip()]
