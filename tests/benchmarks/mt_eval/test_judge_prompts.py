"""Judge prompts are the benchmark's templates, filled exactly as it fills them."""

from __future__ import annotations

import nltk
import pytest

from mteval.benchmarks.mt_eval import SourceFiles
from mteval.benchmarks.mt_eval.judge import LLMJudge, fill_template
from mteval.benchmarks.mt_eval.tasks import TASKS
from mteval.models import MemoryCache, Model

from mteval_test_support import DATA_DIR

REPLY = "Here is the summary.\nIt has two sentences.  "


def template(name: str) -> str:
    return (DATA_DIR / f"prompts/{name}.txt").read_text(encoding="utf-8")


def document_text(sources: SourceFiles, turn_id: str) -> str:
    raw = sources.documents[int(turn_id.split("#")[-1].split("_")[0]) - 1].gen_resp
    return raw.split("\n\n", 1)[1]


@pytest.fixture(scope="module")
def judge(sources: SourceFiles) -> LLMJudge:
    class _NoAPI:
        provider = "none"
        model_name = "none"
        endpoint = "none"

    return LLMJudge(model=Model(_NoAPI(), cache=MemoryCache()), sources=sources)  # type: ignore[arg-type]


def counts(reply: str) -> tuple[str, str]:
    return str(len(reply.split())), str(len(nltk.sent_tokenize(reply)))


def test_refinement_multi_prompt_numbers_the_constraints_of_the_segment(
    sources: SourceFiles, judge: LLMJudge
) -> None:
    spec = TASKS["refinement_multi"]
    dialogue = spec.load(sources).dialogues[3]
    words, sentences = counts(REPLY)
    for position, segment in ((2, range(0, 3)), (7, range(6, 8))):
        constraints = "\n".join(
            f"{n}. {dialogue.turns[i].inst}" for n, i in enumerate(segment, start=1)
        )
        expected = (
            template("refinement_multi_evaluation")
            .replace("{response}", REPLY)
            .replace("{content}", document_text(sources, dialogue.turns[0].id))
            .replace("{num_words}", words)
            .replace("{num_sent}", sentences)
            .replace("{constraints}", constraints)
        )
        assert judge.build_prompt(spec, dialogue, position, REPLY) == expected
    # The first turn of the second task starts a new numbered list.
    assert "1. " + dialogue.turns[6].inst in judge.build_prompt(spec, dialogue, 6, REPLY)


def test_refinement_single_prompt_has_one_unnumbered_constraint(
    sources: SourceFiles, judge: LLMJudge
) -> None:
    spec = TASKS["refinement_single"]
    dialogue = spec.load(sources).dialogues[10]
    turn = dialogue.turns[0]
    words, sentences = counts(REPLY)
    expected = (
        template("refinement_single_evaluation")
        .replace("{response}", REPLY)
        .replace("{content}", document_text(sources, turn.id))
        .replace("{num_words}", words)
        .replace("{num_sent}", sentences)
        .replace("{constraints}", turn.inst or "")
    )
    assert judge.build_prompt(spec, dialogue, 0, REPLY) == expected


@pytest.mark.parametrize("name", ["expansion_multi", "expansion_single"])
def test_expansion_prompt_shows_document_instruction_and_stripped_reply(
    sources: SourceFiles, judge: LLMJudge, name: str
) -> None:
    spec = TASKS[name]
    dialogue = spec.load(sources).dialogues[1]
    position = len(dialogue.turns) - 1
    turn = dialogue.turns[position]
    expected = (
        template("expansion_evaluation")
        .replace("{response}", REPLY.strip())
        .replace("{content}", document_text(sources, turn.id))
        .replace("{constraints}", turn.inst or "")
    )
    assert judge.build_prompt(spec, dialogue, position, REPLY) == expected


def test_follow_up_prompt_shows_previous_reference_then_current_reply(
    sources: SourceFiles, judge: LLMJudge
) -> None:
    spec = TASKS["follow-up_multi"]
    dialogue = spec.load(sources).dialogues[5]
    previous, current = dialogue.turns[3], dialogue.turns[4]
    conversation = "\n".join(
        [
            f"User: {previous.user.strip()}",
            f"Assistant: {previous.reference.strip()}",
            f"User: {current.user.strip()}",
            f"Assistant: {REPLY.strip()}",
        ]
    )
    words, sentences = counts(REPLY.strip())
    expected = (
        template("mt-bench_evaluation")
        .replace("{conversation}", conversation)
        .replace("{num_words}", words)
        .replace("{num_sent}", sentences)
    )
    assert judge.build_prompt(spec, dialogue, 4, REPLY) == expected


def test_irrelevant_context_prompt_ignores_chit_chat(sources: SourceFiles, judge: LLMJudge) -> None:
    between = TASKS["refinement_ablation_irrelevant-between"]
    dialogue = between.load(sources).dialogues[50]
    n = dialogue.n_distracts or 0
    position = n + 2  # the third refinement turn
    prompt = judge.build_prompt(between, dialogue, position, REPLY)
    task_turns = [t for t in dialogue.turns if t.do_inference]
    expected = "\n".join(f"{i}. {t.inst}" for i, t in enumerate(task_turns[:3], start=1))
    assert prompt.endswith(template("refinement_multi_evaluation").split("{constraints}")[1])
    assert expected in prompt
    assert document_text(sources, task_turns[0].id) in prompt


def test_fill_is_chained_replace_then_backslash_n_becomes_newline() -> None:
    template_text = "A {response} | B {content}"
    reply = 'print("a\\nb") and {content}'
    filled = fill_template(template_text, [("{response}", reply), ("{content}", "DOC")])
    # As in the benchmark: the reply's own "{content}" is filled too, and the
    # two characters backslash-n become a newline before sending.
    assert filled == 'A print("a\nb") and DOC | B DOC'
