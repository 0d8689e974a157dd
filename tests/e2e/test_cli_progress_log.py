"""Progress lines for logs: one every 30 s when output is not a terminal."""

from __future__ import annotations

from mteval.cli import _ProgressLog
from mteval.pipeline import ProgressSnapshot


def snapshot(finished: int, elapsed_s: float) -> ProgressSnapshot:
    return ProgressSnapshot(
        run_id="r",
        turns_total=100,
        turns_finished=finished,
        turns_answered=finished - 2,
        turn_errors=1,
        turns_not_run=1,
        judgments_done=finished - 3,
        judgment_errors=0,
        in_flight=4,
        requests_sent=finished + 5,
        cache_hits=0,
        retries=3,
        elapsed_s=elapsed_s,
        concurrency=6,
    )


def test_one_line_every_interval_and_none_in_between() -> None:
    now = [0.0]
    lines: list[str] = []
    log = _ProgressLog(interval_s=30.0, clock=lambda: now[0], write=lines.append)
    for second in range(0, 95):
        now[0] = float(second)
        log.update(snapshot(second, float(second)))
    assert len(lines) == 3  # at 30, 60 and 90 s
    assert lines[0].startswith("progress 0m30s: turns 30/100 (errors 1, not run 1)")
    assert "in flight 4, concurrency 6" in lines[0]
    assert lines[2].startswith("progress 1m30s: turns 90/100")
