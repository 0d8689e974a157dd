"""Playing dialogues: history, order, failures and resumption."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from mteval.benchmarks.mt_eval.tasks import TASKS
from mteval.models import FailureInfo, Model, ModelAPI, RetryPolicy
from mteval.runner import (
    JudgmentRecord,
    ResumeState,
    Runner,
    TurnRecord,
    build_messages,
)
from mteval.types import ChatMessage, Dialogue, GenerateConfig, ModelOutput, TaskSet, Turn

DIALOGUE = Dialogue(
    id="d1",
    turns=(
        Turn(id="0", user="instruction", reference="OK", do_inference=False),
        Turn(id="1", user="u1", reference="r1", do_inference=True),
        Turn(id="2", user="u2", reference="r2", do_inference=True),
        Turn(id="3", user="u3", reference="r3", do_inference=True),
    ),
)


def roles(messages: list[ChatMessage]) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in messages]


def test_own_history_uses_the_model_replies_and_references_for_given_turns() -> None:
    messages = build_messages(
        DIALOGUE, 3, replies={1: "a1", 2: "a2"}, history="own", system_message="S"
    )
    assert roles(messages) == [
        ("system", "S"),
        ("user", "instruction"),
        ("assistant", "OK"),
        ("user", "u1"),
        ("assistant", "a1"),
        ("user", "u2"),
        ("assistant", "a2"),
        ("user", "u3"),
    ]


def test_gold_history_uses_the_reference_replies() -> None:
    messages = build_messages(DIALOGUE, 2, replies={}, history="gold", system_message=None)
    assert roles(messages) == [
        ("user", "instruction"),
        ("assistant", "OK"),
        ("user", "u1"),
        ("assistant", "r1"),
        ("user", "u2"),
    ]


class EchoAPI(ModelAPI):
    """Replies 'A:<last user message>'; fails (for good) on user texts in ``fail``."""

    provider = "echo"

    def __init__(self, fail: Sequence[str] = (), delay: float = 0.0) -> None:
        super().__init__(model_name="echo", base_url="http://echo")
        self.fail = set(fail)
        self.delay = delay
        self.seen: list[list[tuple[str, str]]] = []

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        self.seen.append(roles(list(messages)))
        await asyncio.sleep(self.delay)
        last = messages[-1].content
        if last in self.fail:
            raise RuntimeError("boom")
        return ModelOutput(content=f"A:{last}")

    def classify_error(self, error: BaseException) -> FailureInfo:
        return FailureInfo("server", False, f"failed: {error}")


class ListSink:
    def __init__(self) -> None:
        self.turns: list[TurnRecord] = []
        self.judgments: list[JudgmentRecord] = []

    def turn_finished(self, record: TurnRecord) -> None:
        self.turns.append(record)

    def judgment_finished(self, record: JudgmentRecord) -> None:
        self.judgments.append(record)


class FixedScorer:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str]] = []

    async def score(self, spec, dialogue, position, turn_index, response, *, previous_attempts=0):  # type: ignore[no-untyped-def]
        self.calls.append((dialogue.id, position, response))
        return JudgmentRecord(
            task=spec.name,
            dialogue_id=dialogue.id,
            position=position,
            turn_index=turn_index,
            method="judge",
            status="scored",
            score=5.0,
        )


SPEC = TASKS["refinement_multi"]
GOLD = TASKS["refinement_multi_gold"]


def model(api: ModelAPI) -> Model:
    return Model(api, retry=RetryPolicy(max_attempts=1))


async def test_turns_run_in_order_with_own_replies_and_each_is_scored() -> None:
    api, sink, scorer = EchoAPI(), ListSink(), FixedScorer()
    runner = Runner(model=model(api), system_message="S", scorer=scorer, sink=sink)
    progress = await runner.run([(SPEC, TaskSet(name=SPEC.name, dialogues=(DIALOGUE,)))])
    assert [t.status for t in sink.turns] == ["answered"] * 3
    assert [t.turn_index for t in sink.turns] == [1, 2, 3]
    assert ("assistant", "A:u2") in api.seen[2]
    assert sorted(c[1] for c in scorer.calls) == [1, 2, 3]
    assert progress.turns_done == 3 and progress.judgments_done == 3


async def test_a_failed_turn_stops_its_dialogue_and_later_turns_are_not_run() -> None:
    other = DIALOGUE.model_copy(update={"id": "d2"})
    api, sink = EchoAPI(fail={"u2"}), ListSink()
    runner = Runner(model=model(api), system_message=None, scorer=FixedScorer(), sink=sink)
    progress = await runner.run([(SPEC, TaskSet(name=SPEC.name, dialogues=(DIALOGUE, other)))])
    by_key = {(t.dialogue_id, t.position): t for t in sink.turns}
    assert by_key[("d1", 2)].status == "error" and "boom" in (by_key[("d1", 2)].error or "")
    assert by_key[("d1", 3)].status == "not_run"
    assert "turn 2" in (by_key[("d1", 3)].error or "")
    assert progress.turn_errors == 2 and progress.turns_not_run == 2 and progress.turns_done == 2


async def test_gold_history_turns_are_independent() -> None:
    api, sink = EchoAPI(fail={"u2"}, delay=0.01), ListSink()
    runner = Runner(model=model(api), system_message=None, scorer=FixedScorer(), sink=sink)
    await runner.run([(GOLD, TaskSet(name=GOLD.name, dialogues=(DIALOGUE,)))])
    statuses = {t.position: t.status for t in sink.turns}
    assert statuses == {1: "answered", 2: "error", 3: "answered"}


async def test_resume_reuses_answers_and_scores_without_requests() -> None:
    done = TurnRecord(
        task=SPEC.name,
        dialogue_id="d1",
        position=1,
        turn_id="1",
        turn_index=1,
        status="answered",
        response="stored",
    )
    scored = JudgmentRecord(
        task=SPEC.name,
        dialogue_id="d1",
        position=1,
        turn_index=1,
        method="judge",
        status="scored",
        score=9.0,
    )
    resume = ResumeState(
        turns={(SPEC.name, "d1", 1): done}, judgments={(SPEC.name, "d1", 1): scored}
    )
    api, sink, scorer = EchoAPI(), ListSink(), FixedScorer()
    runner = Runner(model=model(api), system_message=None, scorer=scorer, sink=sink, resume=resume)
    progress = await runner.run([(SPEC, TaskSet(name=SPEC.name, dialogues=(DIALOGUE,)))])
    assert len(api.seen) == 2
    assert ("assistant", "stored") in api.seen[0]
    assert sorted(c[1] for c in scorer.calls) == [2, 3]
    assert progress.turns_done == 3 and progress.judgments_done == 3


async def test_duplicate_dialogue_ids_get_distinct_record_ids() -> None:
    twin = DIALOGUE
    api, sink = EchoAPI(), ListSink()
    runner = Runner(model=model(api), system_message=None, scorer=None, sink=sink)
    await runner.run([(SPEC, TaskSet(name=SPEC.name, dialogues=(DIALOGUE, twin)))])
    assert {t.dialogue_id for t in sink.turns} == {"d1", "d1@2"}


async def test_longest_remaining_dialogue_is_served_first() -> None:
    short = Dialogue(id="short", turns=(Turn(id="1", user="s1", reference="", do_inference=True),))
    long = Dialogue(
        id="long",
        turns=tuple(
            Turn(id=str(i), user=f"l{i}", reference="", do_inference=True) for i in range(4)
        ),
    )
    from mteval.models import PriorityLimiter

    api = EchoAPI(delay=0.005)
    limited = Model(api, retry=RetryPolicy(max_attempts=1), limiter=PriorityLimiter(1))
    runner = Runner(model=limited, system_message=None, scorer=None, sink=ListSink())
    # Hold the only slot so that both dialogues queue, then let them compete.
    assert limited.limiter is not None
    await limited.limiter.acquire()
    task = asyncio.create_task(
        runner.run([(SPEC, TaskSet(name=SPEC.name, dialogues=(short, long)))])
    )
    await asyncio.sleep(0.01)
    limited.limiter.release()
    await task
    assert api.seen[0][-1] == ("user", "l0")


async def test_scorer_crash_is_recorded_not_raised() -> None:
    class Crash:
        async def score(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise ValueError("bug")

    sink = ListSink()
    runner = Runner(model=model(EchoAPI()), system_message=None, scorer=Crash(), sink=sink)  # type: ignore[arg-type]
    progress = await runner.run([(SPEC, TaskSet(name=SPEC.name, dialogues=(DIALOGUE,)))])
    assert {j.status for j in sink.judgments} == {"error"}
    assert "ValueError: bug" in (sink.judgments[0].error or "")
    assert progress.judgment_errors == 3


async def test_fatal_endpoint_error_cancels_the_run() -> None:
    from mteval.errors import EndpointError

    class Fatal(EchoAPI):
        def classify_error(self, error: BaseException) -> FailureInfo:
            return FailureInfo("auth", False, "HTTP 401", fatal=True)

    runner = Runner(
        model=model(Fatal(fail={"u1"})), system_message=None, scorer=None, sink=ListSink()
    )
    with pytest.raises(EndpointError):
        await runner.run([(SPEC, TaskSet(name=SPEC.name, dialogues=(DIALOGUE,)))])
