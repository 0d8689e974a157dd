"""The adaptive concurrency controller, driven by synthetic events (no clocks, no sleeps)."""

from __future__ import annotations

import pytest

from mteval.models import AdaptiveLimit


def window(controller: AdaptiveLimit, latency_s: float) -> int:
    """Send one full window of requests at the current limit, all answering in ``latency_s``."""
    tickets = [controller.sent() for _ in range(max(controller.limit, controller.min_window))]
    limit = controller.limit
    for ticket in tickets:
        limit = controller.succeeded(ticket, latency_s)
    return limit


def served(capacity: int, service_s: float, in_flight: int) -> float:
    """Latency of a FIFO server with ``capacity`` slots when ``in_flight`` requests share it."""
    return service_s * max(1.0, in_flight / capacity)


def test_starts_at_the_initial_limit_clamped_to_the_ceiling() -> None:
    assert AdaptiveLimit(ceiling=32).limit == 1
    assert AdaptiveLimit(ceiling=32, initial=8).limit == 8
    assert AdaptiveLimit(ceiling=4, initial=8).limit == 4
    assert AdaptiveLimit(ceiling=4, initial=0).limit == 1


def test_rejects_a_ceiling_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AdaptiveLimit(ceiling=0)


def test_slow_start_doubles_per_flat_window_up_to_the_ceiling() -> None:
    controller = AdaptiveLimit(ceiling=20, initial=2)
    limits = [window(controller, 1.0) for _ in range(5)]
    assert limits == [4, 8, 16, 20, 20]
    assert controller.slow_start


def test_limit_does_not_move_before_a_window_is_complete() -> None:
    controller = AdaptiveLimit(ceiling=32, initial=2, min_window=4)
    tickets = [controller.sent() for _ in range(3)]
    assert [controller.succeeded(t, 1.0) for t in tickets] == [2, 2, 2]
    assert controller.succeeded(controller.sent(), 1.0) == 4


def test_queueing_latency_shrinks_the_limit_to_what_the_server_serves() -> None:
    # A server with 3 slots: latency grows once more than 3 requests share it.
    controller = AdaptiveLimit(ceiling=32, initial=1, min_window=4)
    for _ in range(12):
        window(controller, served(3, 0.5, controller.limit))
    assert 2 <= controller.limit <= 4
    assert not controller.slow_start


def test_settles_at_the_capacity_of_a_queueing_server() -> None:
    for capacity in (1, 2, 5, 12):
        controller = AdaptiveLimit(ceiling=64)
        seen = []
        for _ in range(60):
            seen.append(window(controller, served(capacity, 0.5, controller.limit)))
        tail = seen[-20:]
        # Probing around the knee, within the queueing tolerance (25%) and one step.
        assert min(tail) >= max(1, int(capacity * 0.75)), (capacity, tail)
        assert max(tail) <= int(capacity * 1.25) + 1, (capacity, tail)
        # Mostly at or above capacity: the server's slots stay busy.
        assert sum(limit >= capacity for limit in tail) >= len(tail) // 2, (capacity, tail)


def test_additive_increase_after_congestion() -> None:
    controller = AdaptiveLimit(ceiling=32, initial=8)
    controller.overloaded(controller.sent())
    assert controller.limit == 4
    assert [window(controller, 1.0) for _ in range(3)] == [5, 6, 7]


def test_overload_halves_the_limit_once_per_window() -> None:
    controller = AdaptiveLimit(ceiling=32, initial=16)
    tickets = [controller.sent() for _ in range(16)]
    # A burst of failures from requests sent under one limit is one congestion event.
    limits = [controller.overloaded(t) for t in tickets]
    assert limits == [8] * 16
    assert controller.overloads == 16 and controller.decreases == 1
    # A request sent under the new limit that still fails halves it again.
    assert controller.overloaded(controller.sent()) == 4


def test_overload_never_goes_below_one() -> None:
    controller = AdaptiveLimit(ceiling=4, initial=1)
    for _ in range(3):
        assert controller.overloaded(controller.sent()) == 1


def test_results_of_requests_sent_under_an_older_limit_are_ignored() -> None:
    controller = AdaptiveLimit(ceiling=32, initial=4, min_window=4)
    stale = [controller.sent() for _ in range(4)]
    controller.overloaded(controller.sent())
    assert controller.limit == 2
    # Slow answers from before the decrease say nothing about the new limit.
    for ticket in stale:
        assert controller.succeeded(ticket, 30.0) == 2
    assert controller.baseline_s is None


def test_context_overflow_above_two_in_flight_settles_at_two() -> None:
    # A server whose shared cache overflows whenever more than 2 requests run.
    controller = AdaptiveLimit(ceiling=32, initial=2, min_window=4)
    overloads = 0
    for _ in range(50):
        limit = controller.limit
        tickets = [controller.sent() for _ in range(max(limit, controller.min_window))]
        for ticket in tickets:
            if limit > 2:
                overloads += 1
                controller.overloaded(ticket)
            else:
                controller.succeeded(ticket, 0.5)
    assert controller.limit in (2, 3)
    # Each probe above 2 costs one window; additive increase keeps probes rare.
    assert controller.decreases <= 25 and overloads <= 4 * 25


def test_a_slower_workload_moves_the_baseline() -> None:
    controller = AdaptiveLimit(ceiling=8, initial=8, baseline_windows=3)
    for _ in range(3):
        window(controller, 1.0)
    # Later requests are slower for everyone (longer prompts): after the first
    # windows the old baseline ages out and the limit climbs back to the ceiling.
    for _ in range(20):
        window(controller, 3.0)
    assert controller.limit == 8


def test_describe_reports_the_state() -> None:
    controller = AdaptiveLimit(ceiling=16, initial=2)
    window(controller, 1.0)
    controller.overloaded(controller.sent())
    described = controller.describe()
    assert described == {
        "mode": "adaptive",
        "ceiling": 16,
        "initial": 2,
        "limit": 2,
        "peak_limit": 4,
        "increases": 1,
        "decreases": 1,
        "overloads": 1,
    }
