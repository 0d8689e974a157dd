"""MT-Bench plugged into mteval: sources, tasks, play protocol, scorer and score table.

Tasks are the eight categories (ten questions each), so that the score
table pools FastChat's way: ``turn_1`` / ``turn_2`` pool every category's
first / second turns, ``average`` pools both, and each category column pools
its own two turns. A question is a dialogue of two answered turns played
with the model's own history, each request at the category's temperature.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mteval.benchmarks.base import (
    Benchmark,
    OwnHistory,
    PairwiseResult,
    RunAnswers,
    ScoreColumn,
    ScoreTable,
    TaskSpec,
)
from mteval.benchmarks.mt_bench.compare import Contestant, JudgeReply, play_pairwise
from mteval.benchmarks.mt_bench.data import (
    CATEGORIES,
    CATEGORY_TITLES,
    NEED_REF_CATEGORIES,
    MtBenchData,
    load_data,
)
from mteval.benchmarks.mt_bench.parse import read_pair_verdict, read_rating
from mteval.benchmarks.mt_bench.prompts import (
    ANSWER_SYSTEM_MESSAGE,
    JUDGE_MAX_TOKENS,
    JudgeMessages,
    answer_temperature,
    fill_single,
    single_prompt_name,
)
from mteval.benchmarks.mt_bench.source import SOURCE
from mteval.data import LazySources
from mteval.judges.ask import ask_judge, prompt_key
from mteval.models import Model
from mteval.records import JudgmentRecord, TurnKey
from mteval.scoring import ScorerContext, register_scorer
from mteval.types import ChatMessage, Dialogue, TaskSet, Turn

if TYPE_CHECKING:
    from mteval.report.figures import Series

__all__ = [
    "BENCHMARK",
    "SCORER",
    "MtBenchSources",
    "SingleGrader",
    "chat_messages",
    "score_table",
]

SCORER = "mt-bench-single"
"""The registry name of single-answer grading (a verdict's ``method``)."""

DEFAULT_JUDGE = "openai/gpt-4"
"""FastChat's default ``--judge-model``."""


class MtBenchSources(LazySources):
    """Lazy access to one copy of the three files (nothing is read in the constructor).

    Args:
        root: Folder holding them (default: ``$MTBENCH_DATA_DIR``, cache, download).
        download: Allow downloading when no copy is found.
        verify: Check each file against its pinned checksum.
    """

    source = SOURCE

    @functools.cached_property
    def data(self) -> MtBenchData:
        """The validated questions, references and judge prompts."""
        return load_data(self.root, verify=self._verify)


def _build(category: str) -> Callable[[MtBenchSources], TaskSet]:
    """The category's task set: one dialogue of two answered turns per question."""

    def build(sources: MtBenchSources) -> TaskSet:
        dialogues = []
        for question in sources.data.questions:
            if question.category != category:
                continue
            reference = sources.data.reference_for(question)
            dialogues.append(
                Dialogue(
                    id=str(question.question_id),
                    turns=tuple(
                        Turn(
                            id=str(k + 1),
                            user=text,
                            reference=reference.turns[k] if reference is not None else "",
                            do_inference=True,
                        )
                        for k, text in enumerate(question.turns)
                    ),
                )
            )
        return TaskSet(name=category, dialogues=tuple(dialogues))

    return build


def _temperature(category: str) -> Callable[[Dialogue, int], Mapping[str, Any]]:
    """``gen_api_answer``'s temperature for every request of the category's questions."""
    temperature = answer_temperature(category)

    def overrides(dialogue: Dialogue, position: int) -> Mapping[str, Any]:
        return {"temperature": temperature}

    return overrides


TASKS: dict[str, TaskSpec] = {
    category: TaskSpec(
        name=category,
        category=category,
        setting="multi",
        groups=("all", "reference" if category in NEED_REF_CATEGORIES else "general"),
        build=_build(category),
        scorer=SCORER,
        description=(
            f"{CATEGORY_TITLES[category]}: 10 questions x 2 turns, temperature "
            f"{answer_temperature(category)}"
            + (", graded against GPT-4's reference" if category in NEED_REF_CATEGORIES else "")
        ),
        play=OwnHistory(name="own", overrides=_temperature(category)),
    )
    for category in CATEGORIES
}

GROUPS: dict[str, tuple[str, ...]] = {
    "all": tuple(CATEGORIES),
    "general": tuple(c for c in CATEGORIES if c not in NEED_REF_CATEGORIES),
    "reference": tuple(c for c in CATEGORIES if c in NEED_REF_CATEGORIES),
}


def score_table(specs: Sequence[TaskSpec]) -> ScoreTable:
    """``show_result --mode single``'s means, plus one column per category."""
    names = tuple(spec.name for spec in specs)
    columns = [
        ScoreColumn(key="turn_1", label="Turn 1", tasks=names, turn_index=1),
        ScoreColumn(key="turn_2", label="Turn 2", tasks=names, turn_index=2),
        ScoreColumn(key="average", label="Average", tasks=names),
    ]
    columns += [
        ScoreColumn(key=name, label=CATEGORY_TITLES.get(name, name), tasks=(name,))
        for name in names
    ]
    return ScoreTable(columns=tuple(columns))


class SingleGrader:
    """``gen_judgment --mode single`` for one answered turn.

    Args:
        model: The judge.
        sources: MT-Bench's files.
        replies: The run's replies by (task, dialogue id, position) (the runner
            fills it): a second-turn prompt shows the first answer too.
        reply_attempts: Times to ask in total when a reply holds no rating
            (1: FastChat never asks again).
    """

    def __init__(
        self,
        *,
        model: Model,
        sources: MtBenchSources,
        replies: Mapping[TurnKey, str],
        reply_attempts: int = 1,
    ) -> None:
        self.model = model
        self.sources = sources
        self.replies = replies
        self.reply_attempts = max(1, reply_attempts)

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
        """Grade one turn; a reply without a rating is an error verdict (FastChat's -1)."""
        data = self.sources.data
        question = data.question(int(dialogue.id))
        answers = [self.replies[(spec.name, dialogue.id, p)] for p in range(position)]
        answers.append(response)
        prompt = data.prompts[single_prompt_name(question.category, turn_index)]
        filled = fill_single(
            prompt, question, answers, data.reference_for(question), turn=turn_index
        )
        messages = chat_messages(filled)
        outcome = await ask_judge(
            self.model,
            messages,
            parse=read_rating,
            value_of=float,
            template=prompt.name,
            reply_attempts=self.reply_attempts,
            previous_attempts=previous_attempts,
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
        return JudgmentRecord(**base, status="scored", score=outcome.value, rationale=reply)


def chat_messages(filled: JudgeMessages) -> list[ChatMessage]:
    """The judge request's messages: FastChat's ``to_openai_api_messages`` of the prompt."""
    messages = [ChatMessage(role="system", content=filled.system)] if filled.system else []
    messages.append(ChatMessage(role="user", content=filled.user))
    return messages


def _grader(context: ScorerContext) -> SingleGrader:
    assert context.judge is not None
    return SingleGrader(
        model=context.judge, sources=context.sources, replies=context.replies, reply_attempts=1
    )


register_scorer(
    SCORER,
    _grader,
    needs_judge=True,
    description="MT-Bench single-answer grading (FastChat's [[rating]], 1-10)",
)


def _pairwise_table(summary: Mapping[str, Any]) -> str:
    lines = [
        "| Run | Model | Win | Loss | Tie | Win rate | Loss rate | Adjusted win rate |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]

    def rate(value: float | None) -> str:
        return "–" if value is None else f"{value:.3f}"

    for row in summary["rows"]:
        model = str(row["model"]).replace("|", "\\|")
        lines.append(
            f"| {row['run_id']} | {model} | {row['win']} | {row['loss']} | {row['tie']} | "
            f"{rate(row['win_rate'])} | {rate(row['loss_rate'])} | "
            f"{rate(row['win_rate_adjusted'])} |"
        )
    consistency = summary["position_consistency"]
    lines.append("")
    lines.append(
        f"Position consistency: {rate(consistency['rate'])} "
        f"({consistency['n_consistent']} of {consistency['n_games']} counted games agree in "
        "both orders)."
    )
    ratings = summary.get("bradley_terry")
    if ratings:
        lines += ["", "| Run | Model | Bradley-Terry rating | 95% CI |", "|---|---|---:|---|"]
        for r in ratings["ratings"]:
            ci = "–" if r["low"] is None else f"{r['low']:.0f} – {r['high']:.0f}"
            model = str(r["model"]).replace("|", "\\|")
            lines.append(f"| {r['run_id']} | {model} | {r['rating']:.0f} | {ci} |")
    return "\n".join(lines) + "\n"


async def _pairwise(
    *,
    sources: MtBenchSources,
    runs: Sequence[RunAnswers],
    judge: Model,
    all_pairs: bool,
    n_resamples: int,
    seed: int,
) -> PairwiseResult:
    """``gen_judgment --mode pairwise-baseline|pairwise-all`` + ``show_result`` over stored runs."""
    contestants = []
    for run in runs:
        answers: dict[int, tuple[str | None, str | None]] = {}
        for (_task, dialogue_id), by_turn in run.answers.items():
            answers[int(dialogue_id)] = (by_turn.get(1), by_turn.get(2))
        contestants.append(Contestant(run_id=run.run_id, model=run.model, answers=answers))

    async def ask(filled: JudgeMessages, label: str) -> JudgeReply:
        outcome = await ask_judge(
            judge,
            chat_messages(filled),
            parse=read_pair_verdict,
            value_of=str,
            template=filled.prompt_name,
            label=label,
            reply_attempts=1,
        )
        call = outcome.calls[-1] if outcome.calls else None
        if call is None or call.reply is None:
            return JudgeReply(text=None, error=outcome.error)
        return JudgeReply(text=call.reply, error=call.error)

    outcome = await play_pairwise(sources.data, contestants, all_pairs=all_pairs, judge=ask)
    summary = outcome.summary(n_resamples=n_resamples, seed=seed)
    return PairwiseResult(
        summary=summary, games=outcome.game_rows(), table=_pairwise_table(summary)
    )


class ReportHooks:
    """MT-Bench's part of ``mteval report``: the paper's per-category radar chart."""

    def figures(
        self, rows: Sequence[tuple[Series, Mapping[str, float | None]]]
    ) -> list[tuple[str, str]]:
        """(title, SVG) of each figure, from each run's style and scores."""
        # matplotlib is loaded only when a report draws figures, not with the benchmark.
        from mteval.benchmarks.mt_bench.report import category_radar_figure

        return [("MT-Bench score by category", category_radar_figure(rows))]


def _load_sources(data_dir: Any = None, *, download: bool = True) -> MtBenchSources:
    return MtBenchSources(data_dir, download=download)


def _prepare(sources: MtBenchSources, specs: Sequence[TaskSpec], *, judged: bool) -> None:
    """Read and verify the three files before anything is spent."""
    _ = sources.data


BENCHMARK = Benchmark(
    name="mt-bench",
    title="MT-Bench",
    citation=(
        "Zheng et al. 2023, Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena "
        "(arXiv 2306.05685); lm-sys/FastChat @ 0e6d3e4beaab"
    ),
    tasks=TASKS,
    groups=GROUPS,
    default_tasks="all",
    categories=tuple(CATEGORIES),
    source=SOURCE,
    load_sources=_load_sources,
    system_message=ANSWER_SYSTEM_MESSAGE,
    default_judge=DEFAULT_JUDGE,
    judge_max_tokens=JUDGE_MAX_TOKENS,
    temperature=None,
    seed=None,
    score_table=score_table,
    prepare=_prepare,
    pairwise=_pairwise,
    report=ReportHooks(),
    headline_title="MT-Bench single-answer grading",
    headline_labels={
        "average": "Average",
        "turn_1": "Turn 1",
        "turn_2": "Turn 2",
        **CATEGORY_TITLES,
    },
)
