"""MT-Eval's scorers: the LLM judge with the benchmark's templates, label match, instruction check.

Templates are the benchmark's own files, loaded from the sources and never
retyped. They are filled as the benchmark fills them: chained ``str.replace``
in its order (so a reply that happens to contain ``{content}`` is treated
as the benchmark would treat it), and then every literal backslash-n in the
prompt becomes a newline, as the benchmark's request helper did before
sending. The prompt is sent as a single user message; the reply is parsed
as the template asks (a JSON object with a 1-10 ``Score``).

The three scorers are registered in :mod:`mteval.scoring` as ``judge``,
``cls`` and ``instruction`` when this module is imported.
"""

from __future__ import annotations

from mteval.benchmarks.base import TaskSpec
from mteval.benchmarks.mt_eval.loaders import SourceFiles
from mteval.benchmarks.mt_eval.tasks.base import JudgeContext
from mteval.errors import MtevalError
from mteval.judges.ask import JUDGE_PRIORITY, REASK_TEMPERATURE, ask_judge, prompt_key, reask_config
from mteval.judges.parse import JudgeVerdict, parse_judge_reply
from mteval.models import Model
from mteval.records import JudgmentRecord
from mteval.scoring.programmatic import classification_score, instruction_score
from mteval.scoring.registry import ScorerContext, register_scorer
from mteval.types import ChatMessage, Dialogue

__all__ = [
    "JUDGE_PRIORITY",
    "REASK_TEMPERATURE",
    "BenchmarkScorer",
    "ClassificationScorer",
    "InstructionScorer",
    "JudgeScorer",
    "LLMJudge",
    "fill_template",
    "reask_config",
]


def fill_template(template: str, fields: list[tuple[str, str]]) -> str:
    """Fill a judge template exactly as the benchmark does.

    Args:
        template: The template text.
        fields: (placeholder, value) pairs in the benchmark's fill order.
    """
    prompt = template
    for placeholder, value in fields:
        prompt = prompt.replace(placeholder, value)
    # The benchmark's request helper turned the two characters "\n" into a
    # newline in every prompt it sent; replies quoting code with "\n" change.
    return prompt.replace("\\n", "\n")


class LLMJudge:
    """Judges answered turns with a model, using the benchmark's templates.

    Args:
        model: The judge model (its settings: temperature 0, 1024 tokens).
        sources: The benchmark's sources (templates and documents).
        reply_attempts: Times to ask when the reply is unusable, in total.
    """

    def __init__(self, *, model: Model, sources: SourceFiles, reply_attempts: int = 3) -> None:
        self.model = model
        self.sources = sources
        self.reply_attempts = max(1, reply_attempts)
        self._templates: dict[str, str] = {}

    def template(self, name: str) -> str:
        """Return a judge template (loaded and checked once)."""
        if name not in self._templates:
            self._templates[name] = self.sources.template(name)
        return self._templates[name]

    def build_prompt(self, spec: TaskSpec, dialogue: Dialogue, position: int, response: str) -> str:
        """Return the filled judge prompt for one answered turn.

        Raises:
            MtevalError: ``spec`` is not judge-scored.
        """
        if spec.judge_template is None or spec.judge_fields is None:
            raise MtevalError(f"task {spec.name} is not scored by a judge")
        context = JudgeContext(
            dialogue=dialogue,
            position=position,
            response=response,
            documents=self.sources.documents,
        )
        return fill_template(self.template(spec.judge_template), spec.judge_fields(context))

    async def judge(
        self,
        spec: TaskSpec,
        dialogue: Dialogue,
        position: int,
        turn_index: int,
        response: str,
        *,
        previous_attempts: int = 0,
    ) -> JudgmentRecord:
        """Judge one turn; unusable replies are asked again, then recorded as errors.

        Args:
            spec: The task.
            dialogue: The dialogue.
            position: The turn's index in the dialogue.
            turn_index: The turn's 1-based answered index.
            response: The model's reply.
            previous_attempts: Judge requests spent on this turn by an earlier
                attempt at the run (so a retry asks afresh).

        Raises:
            EndpointError: The judge's endpoint rejects the run outright.
        """
        prompt = self.build_prompt(spec, dialogue, position, response)
        messages = [ChatMessage(role="user", content=prompt)]
        outcome = await ask_judge(
            self.model,
            messages,
            parse=parse_judge_reply,
            value_of=_score_of,
            template=spec.judge_template,
            reply_attempts=self.reply_attempts,
            previous_attempts=previous_attempts,
            first_index=previous_attempts,
        )
        base = dict(
            task=spec.name,
            dialogue_id=dialogue.id,
            position=position,
            turn_index=turn_index,
            method="judge",
            prompt_key=prompt_key(messages),
            attempts=outcome.attempts,
            calls=outcome.calls,
        )
        if outcome.value is None:
            return JudgmentRecord(
                **base,  # type: ignore[arg-type]
                status="error",
                error=outcome.error,
                judge_key=outcome.judge_key,
            )
        return JudgmentRecord(
            **base,  # type: ignore[arg-type]
            status="scored",
            score=float(outcome.value.score),
            rationale=outcome.value.rationale,
            judge_key=outcome.judge_key,
        )


def _score_of(verdict: JudgeVerdict) -> float:
    return float(verdict.score)


class ClassificationScorer:
    """Recollection (classification): 1 when the reference label appears in the reply, else 0.

    Scored on the benchmark's 0-1 scale, as ``calculate_score.py`` does.
    """

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
        """Match the turn's label in the reply."""
        turn = dialogue.turns[position]
        score = classification_score(response, turn.reference)
        return JudgmentRecord(
            task=spec.name,
            dialogue_id=dialogue.id,
            position=position,
            turn_index=turn_index,
            method="cls",
            status="scored",
            score=score,
            rationale=f"label {turn.reference!r} {'found' if score else 'not found'} in the reply",
        )


class InstructionScorer:
    """Recollection (global instruction): whether the reply follows the dialogue's instruction."""

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
        """Check the dialogue's verifiable instruction on the reply.

        Raises:
            MtevalError: The dialogue carries no instruction.
        """
        if dialogue.inst_name is None:
            raise MtevalError(f"dialogue {dialogue.id} of {spec.name} has no instruction")
        args = dialogue.inst_args or {}
        score = instruction_score(dialogue.inst_name, args, response)
        return JudgmentRecord(
            task=spec.name,
            dialogue_id=dialogue.id,
            position=position,
            turn_index=turn_index,
            method="instruction",
            status="scored",
            score=score,
            rationale=f"{dialogue.inst_name} {'followed' if score else 'not followed'}",
        )


class JudgeScorer:
    """Refinement, expansion and follow-up: the LLM judge with the task's template.

    Args:
        judge: The LLM judge.
    """

    def __init__(self, judge: LLMJudge) -> None:
        self.judge = judge

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
        """Judge the turn (see :meth:`LLMJudge.judge`)."""
        return await self.judge.judge(
            spec, dialogue, position, turn_index, response, previous_attempts=previous_attempts
        )


def _judge_scorer(context: ScorerContext) -> JudgeScorer:
    if context.judge is None:
        raise MtevalError("MT-Eval's judge-scored tasks need a judge (--judge)")
    return JudgeScorer(
        LLMJudge(
            model=context.judge, sources=context.sources, reply_attempts=context.reply_attempts
        )
    )


def _classification_scorer(context: ScorerContext) -> ClassificationScorer:
    return ClassificationScorer()


def _instruction_scorer(context: ScorerContext) -> InstructionScorer:
    return InstructionScorer()


register_scorer(
    "judge",
    _judge_scorer,
    needs_judge=True,
    description="MT-Eval LLM judge: the task's template, JSON score 1-10",
)
register_scorer(
    "cls",
    _classification_scorer,
    needs_judge=False,
    description="MT-Eval label match: 1 if the reference label is in the reply",
)
register_scorer(
    "instruction",
    _instruction_scorer,
    needs_judge=False,
    description="MT-Eval verifiable instruction check (0/1)",
)


class BenchmarkScorer:
    """Scores any MT-Eval task's turns with its registered scorer.

    Args:
        judge: The LLM judge (needed only by judge-scored tasks).
    """

    def __init__(self, *, judge: LLMJudge | None) -> None:
        self.judge = judge
        self._cls = ClassificationScorer()
        self._instruction = InstructionScorer()

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
        """Score one answered turn."""
        if spec.scorer == "cls":
            return await self._cls.score(spec, dialogue, position, turn_index, response)
        if spec.scorer == "instruction":
            return await self._instruction.score(spec, dialogue, position, turn_index, response)
        if self.judge is None:
            raise MtevalError(f"task {spec.name} needs a judge (--judge)")
        return await self.judge.judge(
            spec, dialogue, position, turn_index, response, previous_attempts=previous_attempts
        )
