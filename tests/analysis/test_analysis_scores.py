from __future__ import annotations

from _analysis_helpers import judgment, run_of, turn

from mteval.analysis import run_scores_from_records
from mteval.benchmarks.mt_eval.tasks import TASKS


def test_only_scored_judgments_become_scored_turns():
    run = run_of(
        [
            judgment("expansion_multi", "d1", 0, 6.0),
            judgment("expansion_multi", "d1", 1, None, status="error"),
            judgment("expansion_multi", "d1", 2, 8.0),
        ]
    )
    assert [t.score for t in run.turns("expansion_multi")] == [6.0, 8.0]
    assert run.has("expansion_multi") and not run.has("refinement_multi")


def test_tasks_default_to_those_seen_in_the_records():
    run = run_of([("refinement_multi", "d", 0, 1.0), ("expansion_multi", "d", 0, 2.0)])
    assert run.tasks == ("refinement_multi", "expansion_multi")


def test_first_answered_is_the_position_of_turn_index_one():
    records = [judgment("t", "d", 4, 5.0, turn_index=2)]
    turns = [turn("t", "d", 3, 1), turn("t", "d", 4, 2)]
    run = run_scores_from_records(run_id="A", model="m", judgments=records, turns=turns)
    assert run.first_answered["t"]["d"] == 3


def test_unanswered_before_counts_skipped_turns_before_the_latest_answered_turn():
    # between-style: answered at 0, then two chit-chat turns, then answered at 3 and 4.
    records = [
        judgment("t", "d", 0, 1.0, turn_index=1),
        judgment("t", "d", 3, 1.0, turn_index=2),
        judgment("t", "d", 4, 1.0, turn_index=3),
    ]
    run = run_scores_from_records(run_id="A", model="m", judgments=records)
    assert run.unanswered_before["t"]["d"] == 2


def test_inferred_irrelevant_turn_counts_match_the_data_for_every_ablation_dialogue(sources):
    for task in ("refinement_ablation_irrelevant-front", "refinement_ablation_irrelevant-between"):
        dialogues = TASKS[task].load(sources).dialogues
        records = []
        for dialogue in dialogues:
            index = 0
            for position, t in enumerate(dialogue.turns):
                if t.do_inference:
                    index += 1
                    records.append(judgment(task, dialogue.id, position, 5.0, turn_index=index))
        run = run_scores_from_records(run_id="A", model="m", judgments=records)
        assert {d.id: d.n_distracts for d in dialogues} == dict(run.unanswered_before[task])
        document_positions = {
            d.id: next(i for i, t in enumerate(d.turns) if t.do_inference) for d in dialogues
        }
        assert document_positions == dict(run.first_answered[task])
