"""The run page's score table is the report's: same code, same resamples, same seed."""

from __future__ import annotations


def test_score_tables_equal_the_reports_intervals_and_show(real_store):
    from mteval.analysis import load_results
    from mteval.report import build_report
    from mteval.store import RunStore
    from mteval.viewer import TableCache, headlines

    store = RunStore(real_store.db, read_only=True)
    try:
        cache = TableCache()
        for run_id in real_store.run_ids:
            tables = cache.tables(store, run_id)
            report = build_report(store, [run_id], turn_tables=False)
            assert tables.headline == report.multi_turn[0]
            assert tables.tasks == report.task_scores[run_id]
            assert tables.results == load_results(store, run_id)  # what `mteval show` prints
            run = store.get_run(run_id)
            assert headlines(store, [run])[run_id] == real_store.results[run_id]["scores"]
    finally:
        store.close()
