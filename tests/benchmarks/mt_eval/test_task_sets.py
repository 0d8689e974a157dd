"""Every task set equals the benchmark's own construction."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from mteval.benchmarks.mt_eval import SourceFiles, export_task_set
from mteval.benchmarks.mt_eval.tasks import GROUPS, TASKS, resolve_tasks
from mteval.errors import TaskNotFoundError

from mteval_test_support import DATA_DIR

# (dialogues, turns, answered turns) of each task set.
COUNTS = {
    "recollection_multi_cls": (10, 110, 100),
    "recollection_multi_global-inst": (28, 308, 280),
    "expansion_multi": (10, 70, 70),
    "refinement_multi": (40, 480, 480),
    "follow-up_multi": (80, 400, 240),
    "recollection_single_cls": (100, 100, 100),
    "recollection_single_global-inst": (280, 280, 280),
    "expansion_single": (70, 70, 70),
    "refinement_single": (200, 200, 200),
    "follow-up_single": (240, 240, 240),
    "recollection_multi_cls_gold": (10, 110, 100),
    "expansion_multi_gold": (10, 70, 70),
    "refinement_multi_gold": (40, 480, 480),
    "follow-up_multi_gold": (80, 400, 240),
    "cls_ablation_gold": (100, 850, 100),
    "cls_ablation_dgc": (100, 850, 100),
    "cls_ablation_sgc": (100, 850, 100),
    "cls_ablation_rc": (100, 850, 100),
    "refinement_ablation_irrelevant-front": (120, 1120, 720),
    "refinement_ablation_irrelevant-between": (120, 1120, 720),
}

# SHA-256 of `mteval data export` output. The construction was checked against
# the benchmark's create_data.py (see docs/fidelity.md): the four classification
# ablations and the irrelevant-front set equal the published files byte for
# byte, and every set's size matches the published dataset's.
EXPORT_SHA256 = {
    "cls_ablation_dgc": "0f82f34aaf2da7f22b26bbafbc2d715b89a705260fd310b7a98d9be7f730bfbc",
    "cls_ablation_gold": "8ab863e693b6ed4e1e573194df755ed5620500aff193d69a8fbd2fe333f17c2f",
    "cls_ablation_rc": "6b6b0a7e27ce90dd0e00d7961c4cb953bd4d8c93f25474b4b8f9cd6d39754527",
    "cls_ablation_sgc": "9b747b95a10569124ba00c2782fe3010001e5a2f874ff7bd145f2549bf7672b9",
    "expansion_multi": "c047e01172861096efe1e48ea2ce338035ee9b344aaa1f6041d39c3abe1483cb",
    "expansion_single": "4d3c01896c5c7e83a094788b4aa017847086ea041468706a2426eef1e7bd6932",
    "follow-up_multi": "9e91be8d7f8b174e9d4e28f10fc1ad0f91954066921ab4eea780269f643f7823",
    "follow-up_single": "dd9091d4455448a10bda1d782346cfb6e04eb0a8dc21d926250bb54e86d972be",
    "recollection_multi_cls": "9ae497f7965653cd0756f86ee666c22f433d55c6817ee20e9b447e59958a498b",
    "recollection_multi_global-inst": (
        "9286d843e29eb29d92d351c3e6255f005b86c66090a36d33c21d23f62c18d813"
    ),
    "recollection_single_cls": "6a0f016c5eab46400121d35425b7998ecd53569391b31da5ac8346c2c9b3e9e5",
    "recollection_single_global-inst": (
        "30af042fc159863bc59a39770b857cdfd5765b8a77007f32dc94850185afb3c9"
    ),
    "refinement_ablation_irrelevant-between": (
        "9c07f9ad9cef115d442331d1b316d509c2ac5810191ce73b96803b9b5817a539"
    ),
    "refinement_ablation_irrelevant-front": (
        "b938b94d70dbcb90bd8309799d70c4a79621a2b37d45aa040a15f64ccf1b747a"
    ),
    "refinement_multi": "9ab8457fb097f2cb357da2efe93191b9b01488257e517586d83a0f8bc40f3594",
    "refinement_single": "774c487566fde8d121ffed8b17ee1669312bc11f2067044df0e1857928e4e121",
}


@pytest.mark.parametrize("name", list(COUNTS))
def test_task_set_has_the_published_counts(sources: SourceFiles, name: str) -> None:
    task_set = TASKS[name].load(sources)
    assert (task_set.n_dialogues, task_set.n_turns, task_set.n_answered) == COUNTS[name]
    ids = task_set.record_ids()
    assert len(set(ids)) == len(ids), "record ids are unique"
    duplicates = len(ids) - len({d.id for d in task_set.dialogues})
    # Only the published classification ablations repeat an id (once each).
    assert duplicates == (1 if name.startswith("cls_ablation") else 0)


def test_main_tasks_have_1170_answered_turns_and_790_judged(sources: SourceFiles) -> None:
    specs = resolve_tasks("main")
    answered = sum(spec.load(sources).n_answered for spec in specs)
    judged = sum(spec.load(sources).n_answered for spec in specs if spec.scorer == "judge")
    assert (answered, judged) == (1170, 790)


@pytest.mark.parametrize("name", sorted(EXPORT_SHA256))
def test_export_is_byte_identical_to_the_verified_construction(
    sources: SourceFiles, tmp_path: Path, name: str
) -> None:
    path = export_task_set(TASKS[name].load(sources), tmp_path)
    assert path.name == f"{name}.jsonl"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == EXPORT_SHA256[name]


@pytest.mark.parametrize("variant", ["gold", "dgc", "sgc", "rc"])
def test_classification_ablations_equal_the_published_files(
    sources: SourceFiles, tmp_path: Path, variant: str
) -> None:
    path = export_task_set(TASKS[f"cls_ablation_{variant}"].load(sources), tmp_path)
    assert path.read_bytes() == (DATA_DIR / f"data/cls_ablation_{variant}.jsonl").read_bytes()


def test_export_rows_use_the_published_format(sources: SourceFiles, tmp_path: Path) -> None:
    path = export_task_set(TASKS["recollection_multi_global-inst"].load(sources), tmp_path)
    text = path.read_text(encoding="utf-8")
    assert not text.endswith("\n")
    row = json.loads(text.split("\n")[0])
    assert list(row) == ["inst_name", "inst_args", "conv", "id"]
    assert list(row["conv"][0]) == ["user", "sys", "id", "do_inference"]
    refinement = export_task_set(TASKS["refinement_multi"].load(sources), tmp_path)
    first = json.loads(refinement.read_text(encoding="utf-8").split("\n")[0])
    assert list(first["conv"][0]) == ["user", "sys", "id", "do_inference", "inst"]


def test_refinement_multi_pairs_task_types_cyclically(sources: SourceFiles) -> None:
    dialogues = TASKS["refinement_multi"].load(sources).dialogues
    per_document: dict[str, list[tuple[str, str]]] = {}
    for dialogue in dialogues:
        _, first, second = dialogue.id.split("_")
        document = dialogue.turns[0].id.split("_")[0]
        per_document.setdefault(document, []).append((first, second))
        assert [t.id.split("_")[1] for t in dialogue.turns] == [first] * 6 + [second] * 6
        assert dialogue.turns[0].user.startswith("Content: ")
        # The second task's first turn keeps only its instruction.
        assert not dialogue.turns[6].user.startswith("Content: ")
        assert dialogue.turns[6].inst == dialogue.turns[6].user
    for pairs in per_document.values():
        order = [first for first, _ in pairs]
        assert [second for _, second in pairs] == order[1:] + order[:1]
        assert set(order) == {"sum", "ner", "qa", "rewrite"}
    assert dialogues[0].id == "1_" + "_".join(per_document["1"][0])


def test_expansion_multi_has_seven_types_with_classification(sources: SourceFiles) -> None:
    for dialogue in TASKS["expansion_multi"].load(sources).dialogues:
        types = [turn.id.split("_")[1] for turn in dialogue.turns]
        assert sorted(types) == sorted(["sum", "ner", "short-qa", "rel", "trans", "pos", "cls"])
        assert dialogue.turns[0].user.startswith("Content: ")
        assert all("Content: " not in turn.user for turn in dialogue.turns[1:])
        cls_turn = next(t for t in dialogue.turns if t.id.endswith("_cls_1"))
        assert "Just provide the correct label" in cls_turn.user


def test_follow_up_multi_answers_the_last_three_turns(sources: SourceFiles) -> None:
    dialogue = TASKS["follow-up_multi"].load(sources).dialogues[0]
    assert dialogue.id == "81"
    assert [t.id for t in dialogue.turns] == ["1", "2", "3", "4", "5"]
    assert [t.do_inference for t in dialogue.turns] == [False, False, True, True, True]


def test_recollection_cls_sessions_partition_the_shuffled_documents(sources: SourceFiles) -> None:
    dialogues = TASKS["recollection_multi_cls"].load(sources).dialogues
    documents = [turn.id for d in dialogues for turn in d.turns[1:]]
    assert sorted(documents, key=int) == [str(i) for i in range(1, 101)]
    assert documents[:3] != ["1", "2", "3"], "documents are shuffled"
    first = dialogues[0].turns[0]
    assert (first.id, first.reference, first.do_inference) == ("instruction", "OK", False)
    assert all("\n\n" not in turn.user for d in dialogues for turn in d.turns[1:])
    singles = TASKS["recollection_single_cls"].load(sources).dialogues
    assert [d.id for d in singles[:2]] == [f"1#{documents[0]}", f"1#{documents[1]}"]
    assert singles[0].turns[0].user.endswith("\nCategory:")


def test_global_inst_dialogues_replay_the_seeded_generators(sources: SourceFiles) -> None:
    dialogues = TASKS["recollection_multi_global-inst"].load(sources).dialogues
    names = [d.inst_name for d in dialogues]
    assert Counter(names) == Counter({name: 2 for name in set(names)})
    assert "length_constraints:number_words" not in names
    by_id = {d.id: d for d in dialogues}
    assert by_id["1"].inst_args == {"letter": "o"} and by_id["2"].inst_args == {"letter": "r"}
    assert by_id["7"].inst_args == {"lang": "Bulgarian"}
    assert by_id["15"].inst_args == {"keywords": ["city", "garbage"]}
    assert by_id["16"].inst_args == {"keywords": ["county", "hat"]}
    assert by_id["1"].turns[0].user == (
        "Begin all your responses in the upcoming conversation with the letter o. "
        "Keep all your responses under 200 words."
    )
    # Questions are drawn without replacement within an instruction.
    for name in set(names):
        pair = [d for d in dialogues if d.inst_name == name]
        questions = [t.id for d in pair for t in d.turns[1:]]
        assert len(set(questions)) == 20
    singles = TASKS["recollection_single_global-inst"].load(sources).dialogues
    assert singles[0].id == f"1_{by_id['1'].turns[1].id}"
    assert singles[0].turns[0].user.startswith("Instruction: Begin all your responses")


def test_irrelevant_between_moves_chit_chat_after_the_document(sources: SourceFiles) -> None:
    front = TASKS["refinement_ablation_irrelevant-front"].load(sources).dialogues
    between = TASKS["refinement_ablation_irrelevant-between"].load(sources).dialogues
    for f, b in zip(front, between, strict=True):
        n = f.n_distracts
        assert n is not None and b.n_distracts == n
        assert [t.do_inference for t in f.turns[:n]] == [False] * n
        assert b.turns[0] == f.turns[n]
        assert list(b.turns[1 : n + 1]) == list(f.turns[:n])
        assert list(b.turns[n + 1 :]) == list(f.turns[n + 1 :])
    assert Counter(d.n_distracts for d in front) == {1: 40, 3: 40, 6: 40}


def test_gold_tasks_share_the_dialogues_of_their_base(sources: SourceFiles) -> None:
    for name in GROUPS["gold"]:
        base = name.removesuffix("_gold")
        assert TASKS[name].load(sources).dialogues == TASKS[base].load(sources).dialogues
        assert TASKS[name].history == "gold"


def test_published_follow_up_single_is_preferred_when_present(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "mt-eval"
    shutil.copytree(DATA_DIR, root)
    rows = [
        {
            "conv": [{"user": f"q{i}", "sys": "r", "id": f"81#{i}", "do_inference": True}],
            "id": f"81#{i}",
        }
        for i in range(240)
    ]
    (root / "follow-up_single.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows), encoding="utf-8"
    )
    task_set = TASKS["follow-up_single"].load(SourceFiles(root))
    assert task_set.dialogues[5].turns[0].user == "q5"


def test_selection_groups_and_names_resolve() -> None:
    assert [s.name for s in resolve_tasks("main")] == list(GROUPS["main"])
    assert len(resolve_tasks("all")) == len(TASKS) == 20
    picked = resolve_tasks("refinement_multi, main")
    assert [s.name for s in picked] == list(GROUPS["main"])
    with pytest.raises(TaskNotFoundError, match="unknown task 'refinment_multi'"):
        resolve_tasks("refinment_multi")
