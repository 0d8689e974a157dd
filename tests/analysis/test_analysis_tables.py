from __future__ import annotations

import pytest
from _analysis_helpers import judgment, run_of

from mteval.analysis import (
    Bootstrap,
    cls_ablation_table,
    gold_vs_own_table,
    irrelevant_context_table,
    multi_turn_table,
    single_vs_multi_table,
    task_scores,
)
from mteval.benchmarks.mt_eval.scores import category_scores

FRONT = "refinement_ablation_irrelevant-front"
BETWEEN = "refinement_ablation_irrelevant-between"


def rows():
    r = [
        ("recollection_multi_cls", "d1", 1, 10.0),
        ("recollection_multi_cls", "d1", 2, 0.0),
        ("recollection_multi_cls", "d2", 1, 10.0),
        ("recollection_multi_global-inst", "d1", 1, 0.0),
        ("expansion_multi", "d1", 0, 4.0),
        ("expansion_multi", "d1", 1, 6.0),
        *(("refinement_multi", "d1", p, 8.0 if p < 6 else 2.0) for p in range(8)),
        ("follow-up_multi", "d1", 2, 3.0),
        ("recollection_single_cls", "a", 0, 10.0),
        ("recollection_single_cls", "b", 0, 10.0),
        ("recollection_single_global-inst", "a", 0, 0.0),
        ("expansion_single", "a", 0, 7.0),
        ("refinement_single", "a", 0, 9.0),
        ("follow-up_single", "a", 0, 5.0),
        ("recollection_multi_cls_gold", "d1", 1, 10.0),
        ("recollection_multi_cls_gold", "d1", 2, 10.0),
        ("recollection_multi_cls_gold", "d2", 1, 10.0),
        ("expansion_multi_gold", "d1", 0, 5.0),
        ("expansion_multi_gold", "d1", 1, 5.0),
        ("cls_ablation_gold", "x", 5, 10.0),
        ("cls_ablation_gold", "y", 5, 0.0),
        ("cls_ablation_dgc", "x", 5, 10.0),
        ("cls_ablation_rc", "x", 5, 0.0),
    ]
    records = [judgment(*row) for row in r]
    # front: 1 chit-chat turn then six answered (score 6); 3 chit-chat turns then six (score 3)
    records += [judgment(FRONT, "f1", 1 + i, 6.0, turn_index=1 + i) for i in range(6)]
    records += [judgment(FRONT, "f2", 3 + i, 3.0, turn_index=1 + i) for i in range(6)]
    # between: document at 0, one chit-chat turn, then five answered turns (score 4)
    records += [judgment(BETWEEN, "b1", 0, 4.0, turn_index=1)]
    records += [judgment(BETWEEN, "b1", 2 + i, 4.0, turn_index=2 + i) for i in range(5)]
    return records


@pytest.fixture
def run():
    return run_of(rows())


def test_multi_turn_table_pools_categories_and_averages_them(run):
    [row] = multi_turn_table([run], bootstrap=Bootstrap(n_resamples=100))
    values = {k: e.value for k, e in row.categories.items()}
    assert values == pytest.approx(
        {"recollection": 5.0, "expansion": 5.0, "refinement": 6.5, "follow-up": 3.0}
    )
    assert row.average.value == pytest.approx(4.875)
    assert row.categories["recollection"].tasks == (
        "recollection_multi_cls",
        "recollection_multi_global-inst",
    )
    assert row.categories["recollection"].n_turns == 4


def test_multi_turn_table_equals_the_benchmark_aggregation(run):
    pooled = {
        "recollection": [10.0, 0.0, 10.0, 0.0],
        "expansion": [4.0, 6.0],
        "refinement": [8.0] * 6 + [2.0] * 2,
        "follow-up": [3.0],
    }
    means, average = category_scores(pooled)  # type: ignore[arg-type]
    [row] = multi_turn_table([run])
    assert row.average.value == pytest.approx(average)
    assert {k: e.value for k, e in row.categories.items()} == pytest.approx(means)


def test_average_interval_contains_the_average(run):
    [row] = multi_turn_table([run])
    assert row.average.low <= row.average.value <= row.average.high


def test_runs_without_main_tasks_get_no_row():
    only_single = run_of([("expansion_single", "a", 0, 7.0)])
    assert multi_turn_table([only_single]) == []


def test_task_scores_cover_every_task(run):
    scores = task_scores(run, bootstrap=Bootstrap(n_resamples=0))
    assert scores["refinement_multi"].value == pytest.approx(6.5)
    assert scores["cls_ablation_gold"].value == pytest.approx(5.0)


def test_single_vs_multi_per_category_drop_and_paper_averages(run):
    [row] = single_vs_multi_table([run])
    rec = row.cells["recollection"]
    assert rec.single.value == pytest.approx(20 / 3)
    assert rec.multi.value == pytest.approx(5.0)
    assert rec.drop.value == pytest.approx(5.0 - 20 / 3)
    assert row.single_avg.value == pytest.approx((20 / 3 + 7 + 9) / 3)
    assert row.multi_avg.value == pytest.approx((5 + 5 + 6.5) / 3)
    assert row.drop_avg.value == pytest.approx(row.multi_avg.value - row.single_avg.value)


def test_single_vs_multi_flags_follow_up_as_reconstructed_and_keeps_it_out_of_averages(run):
    [row] = single_vs_multi_table([run])
    assert row.cells["follow-up"].reconstructed
    assert not row.cells["refinement"].reconstructed
    assert "follow-up_single" not in row.single_avg.tasks


def test_single_vs_multi_drop_interval_is_that_of_a_difference(run):
    [row] = single_vs_multi_table([run])
    drop = row.cells["expansion"].drop
    assert drop.low <= drop.value <= drop.high


def test_gold_vs_own_compares_each_gold_task_with_its_own_twin(run):
    [row] = gold_vs_own_table([run])
    rec = row.cells["recollection"]
    assert rec.own.value == pytest.approx(20 / 3)  # classification turns only
    assert rec.own.tasks == ("recollection_multi_cls",)
    assert rec.gold.value == pytest.approx(10.0)
    assert rec.diff.value == pytest.approx(20 / 3 - 10)
    assert set(row.cells) == {"recollection", "expansion"}


def test_gold_vs_own_difference_is_paired_over_the_same_dialogues():
    # Every dialogue scores exactly 1 point lower with its own history: the paired
    # bootstrap gives a zero-width interval even though the scores vary a lot.
    records = []
    for i in range(20):
        records.append(judgment("expansion_multi", f"d{i}", 0, float(i % 10)))
        records.append(judgment("expansion_multi_gold", f"d{i}", 0, float(i % 10) + 1))
    [row] = gold_vs_own_table([run_of(records)])
    diff = row.cells["expansion"].diff
    assert (diff.low, diff.value, diff.high) == pytest.approx((-1.0, -1.0, -1.0))


def test_cls_ablation_columns_in_the_papers_order(run):
    [row] = cls_ablation_table([run])
    assert list(row.cells) == ["Single Turn", "Gold", "DGC", "SGC", "RC"]
    values = {k: e.value for k, e in row.cells.items()}
    assert values == {"Single Turn": 10.0, "Gold": 5.0, "DGC": 10.0, "SGC": None, "RC": 0.0}


def test_cls_ablation_needs_an_ablation_task():
    assert cls_ablation_table([run_of([("recollection_single_cls", "a", 0, 10.0)])]) == []


def test_irrelevant_context_baseline_is_refinement_multi_turns_one_to_six(run):
    [row] = irrelevant_context_table([run])
    assert row.none.value == pytest.approx(8.0)
    assert row.none.n_turns == 6


def test_irrelevant_context_overall_and_by_number_of_irrelevant_turns(run):
    [row] = irrelevant_context_table([run])
    assert row.front.value == pytest.approx(4.5)
    assert row.between.value == pytest.approx(4.0)
    assert {n: e.value for n, e in row.by_distracts["front"].items()} == {1: 6.0, 3: 3.0}
    assert {n: e.value for n, e in row.by_distracts["between"].items()} == {1: 4.0}


def test_tables_omit_runs_without_their_settings():
    main_only = run_of([("expansion_multi", "d", 0, 5.0)])
    assert single_vs_multi_table([main_only]) == []
    assert gold_vs_own_table([main_only]) == []
    assert irrelevant_context_table([main_only]) == []
