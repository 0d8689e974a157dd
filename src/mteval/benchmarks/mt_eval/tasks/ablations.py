"""Ablations: what in the history helps or hurts.

MT-Eval §5 (Kwan et al. 2024, arXiv 2401.16745):

* Classification with various contexts: a document is classified after 4 or
  9 earlier documents whose labels are given as history. Gold: random
  documents with their correct labels; DGC (diverse gold class): documents of
  other classes only; SGC (single gold class): documents of one class; RC
  (random class): the gold set's documents with wrong labels. 100 dialogues
  each; only the last turn is answered.
* Irrelevant context in refinement: chit-chat turns inserted at the front of
  a six-turn refinement dialogue (``front``), or between the document turn
  and the following instructions (``between``, built from ``front``).

The classification sets are rebuilt from the documents with the benchmark's
seeded generators and equal the published ablation files; the irrelevant
turns exist only in the published ``front`` file, which is loaded as is.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from mteval.benchmarks.mt_eval.loaders import TOPICS, SourceFiles
from mteval.benchmarks.mt_eval.tasks.base import TaskSpec
from mteval.benchmarks.mt_eval.tasks.recollection import classification_instruction, strip_document
from mteval.benchmarks.mt_eval.tasks.refinement import refinement_multi_fields
from mteval.types import Dialogue, TaskSet, Turn

__all__ = [
    "CLS_ABLATION_DGC",
    "CLS_ABLATION_GOLD",
    "CLS_ABLATION_RC",
    "CLS_ABLATION_SGC",
    "FRONT_FILE",
    "REFINEMENT_IRRELEVANT_BETWEEN",
    "REFINEMENT_IRRELEVANT_FRONT",
    "build_cls_ablations",
    "build_irrelevant_between",
    "build_irrelevant_front",
]

_SEED = 111
_SESSIONS = 50
_CONTEXT_SIZES = (5, 10)
FRONT_FILE = "data/refinement_ablation_irrelevant-front.jsonl"


@dataclass
class _Article:
    number: int
    content: str
    topic: str


def _dialogue(articles: list[_Article], session: int) -> Dialogue:
    turns = [
        Turn(
            id="instruction",
            user=classification_instruction(indent="    "),
            reference="ok.",
            do_inference=False,
        )
    ]
    for position, article in enumerate(articles):
        turns.append(
            Turn(
                id=str(article.number),
                user=article.content,
                reference=article.topic,
                do_inference=position == len(articles) - 1,
            )
        )
    return Dialogue(id=f"{session + 1}_{articles[-1].number}", turns=tuple(turns))


def build_cls_ablations(sources: SourceFiles) -> dict[str, TaskSet]:
    """Build the four classification ablations (gold, dgc, sgc, rc), 100 dialogues each.

    One ``random.Random(111)`` picks the target documents and seeds ten
    derived generators; the gold, SGC, DGC and RC contexts draw from derived
    generators 0, 1, 2 and 3, as in the benchmark.
    """
    memo_key = "cls_ablations:all"
    cached = sources.memo.get(memo_key)
    if isinstance(cached, dict):
        return cached

    seeder = random.Random(_SEED)
    derived = [random.Random(seeder.randint(1, 10000)) for _ in range(10)]
    all_articles: list[_Article] = []
    by_topic: dict[str, list[_Article]] = {}
    for number, doc in enumerate(sources.documents, start=1):
        article = _Article(number, strip_document(doc.text, joiner="\n"), doc.topic)
        all_articles.append(article)
        by_topic.setdefault(doc.topic, []).append(article)

    built: dict[str, list[Dialogue]] = {"gold": [], "dgc": [], "sgc": [], "rc": []}
    for size in _CONTEXT_SIZES:
        for session in range(_SESSIONS):
            target = seeder.choice(all_articles)

            others = [a for a in all_articles if a is not target]
            gold = [*derived[0].choices(others, k=size - 1), target]
            built["gold"].append(_dialogue(gold, session))

            other_classes = [a for a in all_articles if a.topic != target.topic]
            built["dgc"].append(
                _dialogue([*derived[2].choices(other_classes, k=size - 1), target], session)
            )

            eligible = [topic for topic, docs in by_topic.items() if len(docs) >= size]
            topic = derived[1].choice(eligible)
            built["sgc"].append(
                _dialogue([*derived[1].choices(by_topic[topic], k=size - 1), target], session)
            )

            # The benchmark deep-copies the gold list, which keeps aliasing: a
            # document drawn twice is one object, relabelled twice, shown twice
            # with its last label. Copy per object to reproduce that.
            copies: dict[int, _Article] = {}
            relabelled = [
                copies.setdefault(id(a), _Article(a.number, a.content, a.topic)) for a in gold
            ]
            for article in relabelled[:-1]:
                wrong = [t for t in TOPICS if t != article.topic]
                article.topic = derived[3].choice(wrong)
            built["rc"].append(_dialogue(relabelled, session))

    result = {
        name: TaskSet(name=f"cls_ablation_{name}", dialogues=tuple(dialogues))
        for name, dialogues in built.items()
    }
    sources.memo[memo_key] = result
    return result


def build_irrelevant_front(sources: SourceFiles) -> TaskSet:
    """Load the published ``front`` file: chit-chat turns, then a six-turn refinement."""
    dialogues = []
    for record in sources.published(FRONT_FILE, expected=120):
        turns = tuple(
            Turn(
                id=turn.id,
                user=turn.user,
                reference=turn.sys,
                do_inference=turn.do_inference,
                inst=turn.inst,
            )
            for turn in record.conv
        )
        dialogues.append(Dialogue(id=record.id, turns=turns, n_distracts=record.n_distracts))
    return TaskSet(name="refinement_ablation_irrelevant-front", dialogues=tuple(dialogues))


def build_irrelevant_between(sources: SourceFiles) -> TaskSet:
    """Build ``between`` from ``front``: move the chit-chat after the document turn."""
    dialogues = []
    for dialogue in REFINEMENT_IRRELEVANT_FRONT.load(sources).dialogues:
        distractors = [turn for turn in dialogue.turns if not turn.do_inference]
        task_turns = [turn for turn in dialogue.turns if turn.do_inference]
        turns = (task_turns[0], *distractors, *task_turns[1:])
        dialogues.append(dialogue.model_copy(update={"turns": turns}))
    return TaskSet(name="refinement_ablation_irrelevant-between", dialogues=tuple(dialogues))


def _cls_spec(name: str, label: str, what: str) -> TaskSpec:
    build: Callable[[SourceFiles], TaskSet] = lambda sources: build_cls_ablations(sources)[name]  # noqa: E731
    return TaskSpec(
        name=f"cls_ablation_{name}",
        category="recollection",
        setting="ablation",
        groups=("ablations",),
        build=build,
        scorer="cls",
        description=f"Classification ablation, {label}: {what} (100 dialogues)",
    )


CLS_ABLATION_GOLD = _cls_spec("gold", "Gold", "earlier documents with their correct labels")
CLS_ABLATION_DGC = _cls_spec("dgc", "DGC", "earlier documents of other classes only")
CLS_ABLATION_SGC = _cls_spec("sgc", "SGC", "earlier documents of one single class")
CLS_ABLATION_RC = _cls_spec("rc", "RC", "earlier documents with random wrong labels")

REFINEMENT_IRRELEVANT_FRONT = TaskSpec(
    name="refinement_ablation_irrelevant-front",
    category="refinement",
    setting="ablation",
    groups=("ablations",),
    build=build_irrelevant_front,
    scorer="judge",
    judge_template="refinement_multi_evaluation",
    judge_fields=refinement_multi_fields,
    description="Refinement with irrelevant turns at the front (120 dialogues, 720 turns)",
)

REFINEMENT_IRRELEVANT_BETWEEN = TaskSpec(
    name="refinement_ablation_irrelevant-between",
    category="refinement",
    setting="ablation",
    groups=("ablations",),
    build=build_irrelevant_between,
    scorer="judge",
    judge_template="refinement_multi_evaluation",
    judge_fields=refinement_multi_fields,
    description="Refinement with irrelevant turns after the document turn (120 dialogues, "
    "720 turns)",
)
