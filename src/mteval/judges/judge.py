"""The LLM judge: fill the benchmark's template, ask, parse, and score.

Templates are the benchmark's own files, loaded from the sources and never
retyped. They are filled as the benchmark fills them: chained ``str.replace``
in its order (so a reply that happens to contain ``{content}`` is treated
as the benchmark would treat it), and then every literal backslash-n in the
prompt becomes a newline, as the benchmark's request helper did before
sending. The prompt is sent as a single user message.
"""

from __future__ import annotations

import hashlib

from mteval.data.loaders import SourceFiles
from mteval.errors import JudgeReplyError, MtevalError
from mteval.judges.parse import parse_judge_reply
from mteval.models import Model, RequestFailed
from mteval.runner.records import JudgmentRecord
from mteval.scoring.programmatic import classification_score, instruction_score
from mteval.tasks.base import JudgeContext, TaskSpec
from mteval.types import ChatMessage, Dialogue, GenerateConfig

__all__ = ["REASK_TEMPERATURE", "BenchmarkScorer", "LLMJudge", "fill_template", "reask_config"]

JUDGE_PRIORITY = 1.0
"""A judgment ends its chain of work: lowest priority when slots are scarce."""

REASK_TEMPERATURE = 0.3
"""Temperature of a re-ask when the judge's is 0: a greedy judge asked the same
request repeats the same unusable reply, so a re-ask samples a little."""


def reask_config(config: GenerateConfig, attempt: int) -> GenerateConfig:
    """Return the settings of judge request number ``attempt`` for one turn.

    The first ask uses the judge's own settings. Each re-ask after an unusable
    reply varies the request, since a deterministic judge would repeat itself:
    another seed (the judge's plus ``attempt - 1``) and, where the judge's
    temperature is 0, :data:`REASK_TEMPERATURE`.
    """
    if attempt <= 1:
        return config
    update: dict[str, object] = {"seed": (config.seed or 0) + attempt - 1}
    if config.temperature == 0:
        update["temperature"] = REASK_TEMPERATURE
    return config.model_copy(update=update)


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
        prompt_key = hashlib.sha256(prompt.encode("utf-8")).hexdigest()
        messages = [ChatMessage(role="user", content=prompt)]
        base = dict(
            task=spec.name,
            dialogue_id=dialogue.id,
            position=position,
            turn_index=turn_index,
            method="judge",
            prompt_key=prompt_key,
        )
        last_error = "no judge request was made"
        judge_key = None
        for attempt in range(previous_attempts + 1, previous_attempts + self.reply_attempts + 1):
            salt = None if attempt == 1 else f"judge-attempt-{attempt}"
            config = reask_config(self.model.config, attempt)
            try:
                output = await self.model.generate(
                    messages, config=config, priority=JUDGE_PRIORITY, salt=salt
                )
            except RequestFailed as exc:
                return JudgmentRecord(
                    **base,  # type: ignore[arg-type]
                    status="error",
                    error=f"judge request failed: {exc}",
                    attempts=attempt,
                )
            judge_key = output.key
            try:
                verdict = parse_judge_reply(output.content)
            except JudgeReplyError as exc:
                last_error = f"unusable judge reply: {exc}"
                continue
            return JudgmentRecord(
                **base,  # type: ignore[arg-type]
                status="scored",
                score=float(verdict.score),
                rationale=verdict.rationale,
                judge_key=judge_key,
                attempts=attempt,
            )
        return JudgmentRecord(
            **base,  # type: ignore[arg-type]
            status="error",
            error=f"{last_error} (asked {self.reply_attempts} times)",
            judge_key=judge_key,
            attempts=previous_attempts + self.reply_attempts,
        )


class BenchmarkScorer:
    """Scores any task's turns the benchmark's way: label match, instruction check or judge.

    Args:
        judge: The LLM judge (needed only by judge-scored tasks).
    """

    def __init__(self, *, judge: LLMJudge | None) -> None:
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
        """Score one answered turn."""
        turn = dialogue.turns[position]
        if spec.scorer == "cls":
            score = classification_score(response, turn.reference)
            return JudgmentRecord(
                task=spec.name,
                dialogue_id=dialogue.id,
                position=position,
                turn_index=turn_index,
                method="cls",
                status="scored",
                score=score,
                rationale=f"label {turn.reference!r} {'found' if score else 'not found'} "
                "in the reply",
            )
        if spec.scorer == "instruction":
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
        if self.judge is None:
            raise MtevalError(f"task {spec.name} needs a judge (--judge)")
        return await self.judge.judge(
            spec, dialogue, position, turn_index, response, previous_attempts=previous_attempts
        )
