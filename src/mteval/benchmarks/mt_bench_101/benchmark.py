"""MT-Bench-101 plugged into mteval: sources, tasks, play protocol, scorer and score table.

Tasks are the 13 abbreviations (CM, SI, ...). A dialogue's turns are
answered under golden history (:data:`~mteval.benchmarks.base.GOLD_HISTORY`:
every earlier turn's golden reply as history, no system message), so every
evaluated turn is independent and the runner keeps them all in flight. The
``<TASK>_own`` variants (``--history own``) play the same dialogues with the
model's own earlier replies, which the reference cannot do. Each answered
turn is judged once with OpenCompass's message and its rating read as
OpenCompass reads it; the score table takes each dialogue's minimum, each
task's mean over dialogues and the mean of the task scores.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mteval.analysis.bootstrap import Estimate
from mteval.benchmarks.base import (
    GOLD_HISTORY,
    OWN_HISTORY,
    Benchmark,
    ScoreColumn,
    ScoreTable,
    TaskSpec,
)
from mteval.data import LazySources
from mteval.errors import JudgeReplyError
from mteval.judges.ask import ask_judge, prompt_key
from mteval.models import Model
from mteval.records import JudgmentRecord, TurnKey
from mteval.scoring import ScorerContext, register_scorer
from mteval.types import ChatMessage, Dialogue, TaskSet, Turn

from .parse import parse_rating
from .prompts import judge_message
from .protocol import evaluated_indices, judge_history, reference_text
from .report import FILE_ORDER
from .scores import AVERAGE_DIGITS
from .source import COMMIT, FILE_NAME, SOURCE, Mtb101Dialogue, load_dialogues
from .taxonomy import ABILITIES, TASK_NAMES, TASKS, TIERS, ability_of, tier_of

__all__ = [
    "BENCHMARK",
    "DEFAULT_JUDGE",
    "SCORER",
    "Mtb101Judge",
    "Mtb101Sources",
    "score_table",
]

SCORER = "mt-bench-101-judge"
"""The registry name of the judge scorer (a verdict's ``method``)."""

DEFAULT_JUDGE = "openai/gpt-4-1106-preview"
"""The judge OpenCompass's MT-Bench-101 config names for comparing with the official leaderboard."""

JUDGE_MAX_TOKENS = 4096
"""``max_out_len`` of the judge in OpenCompass's MT-Bench-101 example config."""


class Mtb101Sources(LazySources):
    """Lazy access to one copy of the data file (nothing is read in the constructor).

    Args:
        root: Folder holding it (default: ``$MTBENCH101_DATA_DIR``, cache, download).
        download: Allow downloading when no copy is found.
        verify: Check the file against its pinned checksum.
    """

    source = SOURCE

    @property
    def path(self) -> Path:
        """The data file."""
        return self.root / FILE_NAME

    @functools.cached_property
    def dialogues(self) -> tuple[Mtb101Dialogue, ...]:
        """Every dialogue, validated, in file order."""
        return load_dialogues(self.path, verify=self._verify)


def _as_dialogue(task: str, dialogue: Dialogue) -> Mtb101Dialogue:
    return Mtb101Dialogue(
        task=task,
        id=int(dialogue.id.split("@")[0]),
        turns=tuple((turn.user, turn.reference) for turn in dialogue.turns),
    )


def _build(task: str):  # type: ignore[no-untyped-def]
    def build(sources: Mtb101Sources) -> TaskSet:
        dialogues = []
        for dialogue in sources.dialogues:
            if dialogue.task != task:
                continue
            evaluated = set(evaluated_indices(dialogue))
            dialogues.append(
                Dialogue(
                    id=str(dialogue.id),
                    turns=tuple(
                        Turn(id=str(k + 1), user=user, reference=bot, do_inference=k in evaluated)
                        for k, (user, bot) in enumerate(dialogue.turns)
                    ),
                )
            )
        return TaskSet(name=task, dialogues=tuple(dialogues))

    return build


def _task_of(spec: TaskSpec) -> str:
    return spec.base or spec.name


_GOLD: dict[str, TaskSpec] = {
    task: TaskSpec(
        name=task,
        category=tier_of(task),
        setting="multi",
        history="gold",
        groups=("all", tier_of(task)),
        build=_build(task),
        scorer=SCORER,
        description=(
            f"{TASK_NAMES[task]} ({ability_of(task)}, {tier_of(task)}): golden history, "
            "dialogue = its lowest-rated turn"
        ),
        play=GOLD_HISTORY,
    )
    for task in TASKS
}

TASK_SPECS: dict[str, TaskSpec] = {
    **_GOLD,
    **{
        f"{task}_own": spec.variant(
            "own",
            name=f"{task}_own",
            groups=("own",),
            play=OWN_HISTORY,
            description=f"{TASK_NAMES[task]} with the model's own earlier replies (mteval)",
        )
        for task, spec in _GOLD.items()
    },
}
"""The 13 tasks under golden history, then their own-history variants."""

GROUPS: dict[str, tuple[str, ...]] = {
    "all": TASKS,
    **{
        tier: tuple(t for ability in abilities for t in ABILITIES[ability])
        for tier, abilities in TIERS.items()
    },
    "own": tuple(f"{task}_own" for task in TASKS),
}


def score_table(specs: Sequence[TaskSpec]) -> ScoreTable:
    """Per task the mean of its dialogues' minima; ``average``, their mean rounded as reported.

    Own-history variants get their own columns (``CM_own``, ..., ``average_own``)
    when a run holds both histories.
    """
    columns: list[ScoreColumn] = []
    by_history: dict[str, dict[str, str]] = {}
    for spec in specs:
        by_history.setdefault(spec.history, {})[_task_of(spec)] = spec.name
    both = len(by_history) > 1
    for history, names in by_history.items():
        suffix = f"_{history}" if both and history != "gold" else ""
        keys = [task for task in TASKS if task in names]
        for task in keys:
            columns.append(
                ScoreColumn(
                    key=f"{task}{suffix}",
                    label=f"{task}{suffix}",
                    tasks=(names[task],),
                    reduce="dialogue_min",
                )
            )
        # The reference sums its task means in the order the tasks appear in the data file.
        of = tuple(f"{task}{suffix}" for task in FILE_ORDER if task in names)
        columns.append(
            ScoreColumn(key=f"average{suffix}", label="Avg.", of=of, digits=AVERAGE_DIGITS)
        )
        columns.append(
            ScoreColumn(key=f"average{suffix}_unrounded", label="Avg. (unrounded)", of=of)
        )
    return ScoreTable(columns=tuple(columns))


def _read_rating(reply: str) -> int:
    rating = parse_rating(reply)
    if rating is None:
        raise JudgeReplyError("no rating in square brackets ('Rating: [[n]]') in the reply")
    return rating


class Mtb101Judge:
    """Judges one answered turn as OpenCompass does: one message, one reply, one rating.

    Args:
        model: The judge.
        replies: The run's replies by (task, dialogue id, position), filled by the
            runner (own history: the judge's dialogue text shows them).
    """

    def __init__(self, *, model: Model, replies: Mapping[TurnKey, str]) -> None:
        self.model = model
        self.replies = replies

    def messages(
        self, spec: TaskSpec, dialogue: Dialogue, position: int, response: str
    ) -> list[ChatMessage]:
        """The judge request's one user message for an answer to ``dialogue.turns[position]``."""
        task = _task_of(spec)
        source = _as_dialogue(task, dialogue)
        own = None
        if spec.history == "own":
            own = {
                p: self.replies[(spec.name, dialogue.id, p)]
                for p in range(position)
                if dialogue.turns[p].do_inference
            }
        history = judge_history(source, position, own)
        text = judge_message(task, history, reference_text(source, position), response)
        return [ChatMessage(role="user", content=text)]

    async def score(
        self,
        spec: TaskSpec,
        dialogue: Dialogue,
        position: int,
        turn_index: int,
        response: str,
        *,
        previous_attempts: int = 0,
    ) -> JudgmentRecord:
        """Rate one turn; a reply without a bracketed integer is an error verdict, never scored.

        OpenCompass asks once and drops such a turn; so does mteval, recording
        the reply and counting the turn as a judge error. The reply is final:
        a resumed or repeated run sends the same request, which the completion
        cache answers with the same reply (``previous_attempts`` is not used to
        ask afresh); only a judge request that failed is sent again.
        """
        messages = self.messages(spec, dialogue, position, response)
        outcome = await ask_judge(
            self.model,
            messages,
            parse=_read_rating,
            value_of=float,
            template=f"mt-bench-101/{_task_of(spec)}",
            reply_attempts=1,
        )
        base: dict[str, Any] = dict(
            task=spec.name,
            dialogue_id=dialogue.id,
            position=position,
            turn_index=turn_index,
            method=SCORER,
            prompt_key=prompt_key(messages),
            attempts=outcome.attempts,
            calls=outcome.calls,
            judge_key=outcome.judge_key,
        )
        if outcome.value is None:
            return JudgmentRecord(**base, status="error", error=outcome.error)
        reply = outcome.calls[-1].reply if outcome.calls else None
        return JudgmentRecord(**base, status="scored", score=float(outcome.value), rationale=reply)


def _judge(context: ScorerContext) -> Mtb101Judge:
    assert context.judge is not None
    return Mtb101Judge(model=context.judge, replies=context.replies)


register_scorer(
    SCORER,
    _judge,
    needs_judge=True,
    description="MT-Bench-101's judge (OpenCompass's rubric message; first [n] in the reply)",
)


def _load_sources(data_dir: Any = None, *, download: bool = True) -> Mtb101Sources:
    return Mtb101Sources(data_dir, download=download)


def _prepare(sources: Mtb101Sources, specs: Sequence[TaskSpec], *, judged: bool) -> None:
    """Read and verify the data file before anything is spent."""
    _ = sources.dialogues


class ReportHooks:
    """MT-Bench-101's part of ``mteval report``: the 13 tasks by tier, with intervals."""

    def interval_figures(
        self, rows: Sequence[tuple[Any, Mapping[str, Estimate]]]
    ) -> list[tuple[str, str]]:
        """(title, SVG) of the tier figure, from each run's style and headline estimates."""
        from .report import Mtb101Estimates, abilities_figure

        runs = []
        for series, estimates in rows:
            tasks = {t: estimates[t] for t in TASKS if t in estimates}
            average = estimates.get("average", Estimate(value=None))
            runs.append((str(series.label), Mtb101Estimates(tasks=tasks, average=average)))
        colors = [str(series.color) for series, _ in rows]
        return [("MT-Bench-101 by task, grouped by tier", abilities_figure(runs, colors=colors))]


BENCHMARK = Benchmark(
    name="mt-bench-101",
    title="MT-Bench-101",
    citation=(
        "Bai et al. 2024, MT-Bench-101 (ACL 2024, arXiv 2402.14762); data "
        f"mtbench101/mt-bench-101 @ {COMMIT[:12]}; scored as open-compass/opencompass "
        "@ a5acc4bba3b6"
    ),
    tasks=TASK_SPECS,
    groups=GROUPS,
    default_tasks="all",
    categories=tuple(TIERS),
    source=SOURCE,
    load_sources=_load_sources,
    system_message=None,
    default_judge=DEFAULT_JUDGE,
    judge_max_tokens=JUDGE_MAX_TOKENS,
    temperature=0.0,
    seed=None,
    score_table=score_table,
    prepare=_prepare,
    headline_title="MT-Bench-101",
    headline_labels={
        "average": "Avg.",
        **{task: task for task in TASKS},
        "average_unrounded": "Avg. (unrounded)",
    },
    headline_groups={
        tier: tuple(t for ability in abilities for t in ABILITIES[ability])
        for tier, abilities in TIERS.items()
    },
    report=ReportHooks(),
)
