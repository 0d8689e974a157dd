from __future__ import annotations

import pytest

from mteval.errors import ConfigError, StoreError
from mteval.report import build_report, run_labels


def test_report_has_every_table_for_runs_over_all_tasks(full_report):
    assert len(full_report.multi_turn) == 2
    assert len(full_report.single_multi) == 2
    assert len(full_report.gold_own) == 2
    assert len(full_report.cls_ablation) == 2
    assert len(full_report.irrelevant) == 2
    assert len(full_report.comparisons) == 1
    run_a = full_report.runs[0].run_id
    assert "refinement_multi" in full_report.per_turn[run_a]
    assert "Refinement" in full_report.distance[run_a]


def test_leaderboard_equals_the_runs_results(full_report):
    for entry, row in zip(full_report.runs, full_report.multi_turn, strict=True):
        assert row.average.value == pytest.approx(entry.results.scores["average"])
        for category, estimate in row.categories.items():
            assert estimate.value == pytest.approx(entry.results.scores[category])


def test_turn_sections_join_replies_references_and_judgments(full_report, sources):
    from mteval.benchmarks.mt_eval.tasks import TASKS

    run_a = full_report.runs[0].run_id
    section = next(s for s in full_report.sections[run_a] if s.task == "refinement_multi")
    dialogue = TASKS["refinement_multi"].load(sources).dialogues[0]
    first = section.dialogues[0]
    assert first.dialogue_id == dialogue.id
    row = first.rows[1]
    assert row.user == dialogue.turns[1].user
    assert row.reference == dialogue.turns[1].reference
    assert row.score is not None and row.rationale == "rationale <i>2</i>"


def test_failed_turns_are_listed_with_their_error(full_report):
    run_a = full_report.runs[0].run_id
    rows = [r for s in full_report.sections[run_a] for d in s.dialogues for r in d.rows]
    failed = [r for r in rows if r.status == "error"]
    assert len(failed) == 1 and failed[0].error == "HTTP 500 after 6 attempts"
    assert failed[0].score is None


def test_without_sources_turn_tables_lack_references_and_a_note_says_so(synthetic):
    store, ids = synthetic
    report = build_report(store, ids[:1], n_resamples=0)
    row = report.sections[ids[0]][0].dialogues[0].rows[0]
    assert row.user is None and row.reference is None
    assert any("--data-dir" in note for note in report.notes)
    assert report.comparisons == []


def test_unknown_run_is_a_store_error(synthetic):
    store, _ = synthetic
    with pytest.raises(StoreError, match="no run 'nope'"):
        build_report(store, ["nope"])


def test_a_run_given_twice_is_a_config_error(synthetic):
    store, ids = synthetic
    with pytest.raises(ConfigError, match="given twice"):
        build_report(store, [ids[0], ids[0]])


def test_labels_add_the_run_id_only_where_models_repeat():
    labels = run_labels([("r1", "openai/x"), ("r2", "openai/x"), ("r3", "openai/y")])
    assert labels == {"r1": "openai/x (r1)", "r2": "openai/x (r2)", "r3": "openai/y"}
