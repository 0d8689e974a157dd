"""Adaptive concurrency: find how many requests an endpoint serves at once.

A local server with two slots and a hosted API with a rate limit both answer
badly when sent more than they can serve: requests queue past the timeout,
overflow a shared context cache, or come back 429. :class:`AdaptiveLimit`
finds the endpoint's concurrency the way TCP finds a path's capacity:

- **slow start**: begin low and double the limit after each window of
  requests whose latency stayed flat;
- **additive increase**: after the first sign of congestion, grow by one
  request per flat window;
- **queueing**: when a window's mean latency rises above the lowest recent
  window mean (TCP Vegas' signal: the server queues instead of serving),
  shrink to ``limit * baseline / mean`` (Little's law: the number of
  requests it actually served at once), at most by half;
- **multiplicative decrease**: on an overload signal (429, 503, timeout,
  connection reset, context-exceeded 500) halve the limit, once per window:
  the failures of requests sent before a decrease are the same congestion
  event and do not shrink it again.

The controller is pure bookkeeping driven by events: it never reads a clock
and never sleeps, so tests feed it synthetic latencies.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["AdaptiveLimit", "Ticket"]


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the controller knew when a request was sent.

    Attributes:
        epoch: The limit's generation when the request was sent; results of
            requests sent under an older limit say nothing about the new one.
    """

    epoch: int


class AdaptiveLimit:
    """An AIMD concurrency controller with a latency (queueing) signal.

    Args:
        ceiling: The most requests at once (``--max-connections``).
        initial: Where to start (clamped to ``[1, ceiling]``); a provider's
            default concurrency is a good hint.
        min_window: Fewest results per window before the limit moves; windows
            are otherwise one limit's worth of results (one "round trip").
        queue_tolerance: Mean latency above ``baseline * (1 + queue_tolerance)``
            counts as queueing.
        baseline_windows: How many recent windows the latency baseline (their
            lowest mean) is taken over, so it follows slow changes of the
            workload (longer prompts later in dialogues).
    """

    def __init__(
        self,
        *,
        ceiling: int,
        initial: int = 1,
        min_window: int = 4,
        queue_tolerance: float = 0.25,
        baseline_windows: int = 12,
    ) -> None:
        if ceiling < 1:
            raise ValueError("the concurrency ceiling must be at least 1")
        self.ceiling = ceiling
        self.initial = max(1, min(initial, ceiling))
        self.min_window = max(1, min_window)
        self.queue_tolerance = queue_tolerance
        self._limit = self.initial
        self._slow_start = True
        self._epoch = 0
        self._samples: list[float] = []
        self._window_means: deque[float] = deque(maxlen=max(1, baseline_windows))
        self.peak = self._limit
        self.increases = 0
        self.decreases = 0
        self.overloads = 0

    @property
    def limit(self) -> int:
        """Requests allowed in flight now."""
        return self._limit

    @property
    def slow_start(self) -> bool:
        """Whether the limit still doubles per flat window (no congestion seen yet)."""
        return self._slow_start

    @property
    def baseline_s(self) -> float | None:
        """The lowest recent window's mean latency (None before the first window)."""
        return min(self._window_means) if self._window_means else None

    def sent(self) -> Ticket:
        """Note a request being sent; pass the ticket back with its outcome."""
        return Ticket(self._epoch)

    def succeeded(self, ticket: Ticket, latency_s: float) -> int:
        """Note a successful request and its latency; return the limit."""
        if ticket.epoch != self._epoch:
            return self._limit
        self._samples.append(max(0.0, latency_s))
        if len(self._samples) < max(self._limit, self.min_window):
            return self._limit
        mean = sum(self._samples) / len(self._samples)
        baseline = self.baseline_s
        self._window_means.append(mean)
        if baseline is not None and baseline > 0 and mean > baseline * (1 + self.queue_tolerance):
            # Little's law: the server served about limit * baseline / mean at once
            # (rounded: flooring 1.97 to 1 would halve a two-slot server's throughput).
            served = round(self._limit * baseline / mean)
            self._set(max(served, self._limit // 2, 1), slow_start=False)
        elif self._limit < self.ceiling:
            grown = self._limit * 2 if self._slow_start else self._limit + 1
            self._set(min(grown, self.ceiling), slow_start=self._slow_start)
        else:
            self._new_window()
        return self._limit

    def overloaded(self, ticket: Ticket) -> int:
        """Note an overload signal (429, 503, timeout, reset, capacity error); return the limit."""
        self.overloads += 1
        if ticket.epoch == self._epoch:
            self._set(max(1, self._limit // 2), slow_start=False)
        return self._limit

    def describe(self) -> dict[str, Any]:
        """Return the controller's state as a JSON-safe dict (for run records)."""
        return {
            "mode": "adaptive",
            "ceiling": self.ceiling,
            "initial": self.initial,
            "limit": self._limit,
            "peak_limit": self.peak,
            "increases": self.increases,
            "decreases": self.decreases,
            "overloads": self.overloads,
        }

    def _set(self, limit: int, *, slow_start: bool) -> None:
        if limit > self._limit:
            self.increases += 1
        elif limit < self._limit:
            self.decreases += 1
        self._limit = limit
        self._slow_start = slow_start
        self.peak = max(self.peak, limit)
        self._new_window()

    def _new_window(self) -> None:
        self._epoch += 1
        self._samples = []
