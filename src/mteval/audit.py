"""The judge audit: how far a run's judged scores can be trusted.

:func:`audit_async` re-judges a stored run's replies (the model is never asked
again) with the run's own judge endpoint, and optionally a second judge, and
computes the figures of :mod:`mteval.analysis.audit_stats`:

1. self-consistency (``repeats`` re-judgings with different seeds);
2. position bias (pairwise verdicts in both orders; needs a pairwise run);
3. agreement between judges (``judge2``);
4. agreement with verifiable checks (turns with a programmatic verdict);
5. length bias (stored scores only: no request);
6. history sensitivity (judged again without the earlier turns);
7. drift canaries (a fixed, versioned set of 50 stored judge prompts).

Every request goes through the one model wrapper and its completion cache:
an audit run again answers from the cache, except the canaries, which are
salted with the audit's id because drift is what they look for. Turns are
sampled per check with a fixed seed, stratified by task. The benchmark says
which turns have a checker, how to ask about an instruction and how to judge
without history: its :attr:`~mteval.benchmarks.base.Benchmark.audit` hooks
(MT-Eval's: :mod:`mteval.benchmarks.mt_eval.tasks.audit`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from mteval.analysis.audit_stats import (
    PairVerdict,
    bootstrap_rows,
    canary_drift,
    changed_share,
    checker_agreement,
    icc,
    krippendorff_alpha_interval,
    length_correlation,
    mean_offset,
    noise_share_of_variance,
    pearson,
    position_bias,
    rank_flip_probability,
    resolvable_gap,
    spearman,
    weighted_kappa,
    within_turn_sd,
    within_turn_variance,
)
from mteval.analysis.audit_verdicts import check_verdict
from mteval.analysis.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, Bootstrap, make_sample
from mteval.benchmarks import AuditHooks, Benchmark, TaskSpec, get_benchmark
from mteval.config import EndpointSettings, RetrySettings, RunConfig
from mteval.errors import ConfigError, JudgeReplyError
from mteval.judges.ask import ask_judge
from mteval.judges.parse import parse_judge_reply
from mteval.models import Model, PriorityLimiter, open_endpoint, retry_policy
from mteval.records import JudgeCall
from mteval.report.audit import audit_markdown
from mteval.store import RunStore
from mteval.types import ChatMessage, Dialogue, GenerateConfig

__all__ = [
    "AUDIT_VERSION",
    "CANARY_SIZE",
    "CANARY_VERSION",
    "CHECKS",
    "AuditOptions",
    "audit",
    "audit_async",
    "write_audit",
]

AUDIT_VERSION = 1
CANARY_VERSION = "mt-eval-canaries-v1"
"""The canary set's name: a new drawing rule gets a new version, never an edit."""
CANARY_SIZE = 50
_CANARY_SEED = 20240129
CHECKS = (
    "self_consistency",
    "position_bias",
    "judge_agreement",
    "checker_agreement",
    "length_bias",
    "history_sensitivity",
    "canary",
)
_REPEAT_SEED = 1000
_FLIP_GAPS = (0.1, 0.25, 0.5)
_AUDIT_PRIORITY = 1.0


@dataclass(frozen=True, kw_only=True)
class AuditOptions:
    """What a judge audit does.

    Attributes:
        repeats: Re-judgings per sampled turn for self-consistency (0: skip).
        sample: Turns drawn per check (seeded, stratified by task).
        seed: The sampling seed.
        temperature: The judge's temperature for the repeats (default: the
            run's judge setting).
        judge2: A second judge (agreement between judges; skipped without).
        others: Further runs of the same tasks: the audited judge's noise is set
            against their actual gaps to the audited run (rank flips), and the
            second judge ranks them with it.
        canary: Judge the canary set and compare with earlier audits.
        checks: The checks to run (default: all that apply).
        n_resamples: Bootstrap replicates of every interval.
        max_connections: Requests in flight per endpoint.
        retry: Retry settings.
    """

    repeats: int = 3
    sample: int = 100
    seed: int = 0
    temperature: float | None = None
    judge2: EndpointSettings | None = None
    others: tuple[str, ...] = ()
    canary: bool = False
    checks: tuple[str, ...] | None = None
    n_resamples: int = DEFAULT_RESAMPLES
    max_connections: int = 16
    retry: RetrySettings = RetrySettings()

    def wants(self, check: str) -> bool:
        """Whether ``check`` is selected."""
        if check == "canary" and not self.canary and self.checks is None:
            return False
        return self.checks is None or check in self.checks


CheckStart = Callable[[str, int], None]
"""Called before a check sends requests: its name and how many judge requests it plans."""


@dataclass(frozen=True)
class _Turn:
    task: str
    dialogue_id: str
    position: int
    turn_index: int
    response: str
    score: float

    @property
    def key(self) -> str:
        return f"{self.task}/{self.dialogue_id}/{self.position}"

    @property
    def group(self) -> str:
        """The bootstrap unit across tasks: a dialogue of a task."""
        return f"{self.task}/{self.dialogue_id}"


def _words(text: str) -> int:
    return len(text.split())


def _stratified(turns: Sequence[_Turn], n: int, seed: int) -> list[_Turn]:
    """Up to ``n`` turns, split as evenly as the tasks allow, each task's drawn with ``seed``."""
    by_task: dict[str, list[_Turn]] = defaultdict(list)
    for turn in turns:
        by_task[turn.task].append(turn)
    for task, rows in by_task.items():
        random.Random(f"{seed}:{task}").shuffle(rows)
    quota = dict.fromkeys(by_task, 0)
    left = n
    while left > 0:
        open_tasks = [t for t in sorted(by_task) if quota[t] < len(by_task[t])]
        if not open_tasks:
            break
        for task in open_tasks:
            if left == 0:
                break
            quota[task] += 1
            left -= 1
    picked = [row for task in sorted(by_task) for row in by_task[task][: quota[task]]]
    return sorted(picked, key=lambda t: (t.task, t.dialogue_id, t.position))


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


class _Figures:
    """Builds a block of figures, each with its bootstrap interval."""

    def __init__(self, boot: Bootstrap) -> None:
        self.boot = boot

    def block(
        self,
        key: str,
        rows: Sequence[_Turn],
        figures: Mapping[str, Callable[[np.ndarray[Any, Any]], float | None]],
        *,
        overall: bool,
    ) -> dict[str, Any]:
        groups = [r.group if overall else r.dialogue_id for r in rows]
        out: dict[str, Any] = {}
        for name, statistic in figures.items():
            estimate = bootstrap_rows(self.boot, key, groups, statistic)
            out[name] = _num(estimate.value)
            out[f"{name}_ci"] = (
                [_num(estimate.low), _num(estimate.high)] if estimate.low is not None else None
            )
        out["n_turns"] = len(rows)
        out["n_dialogues"] = len(set(groups))
        return out

    def per_task(
        self,
        rows: Sequence[_Turn],
        figures: Callable[[Sequence[_Turn]], Mapping[str, Callable[[Any], float | None]]],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        by_task: dict[str, list[_Turn]] = defaultdict(list)
        for row in rows:
            by_task[row.task].append(row)
        per_task = {
            task: self.block(task, task_rows, figures(task_rows), overall=False)
            for task, task_rows in sorted(by_task.items())
        }
        return self.block("overall", rows, figures(rows), overall=True), per_task


class _Judge:
    """Asks one judge endpoint through the model wrapper, keeping every call.

    Each call is a :class:`~mteval.records.JudgeCall`, filed under the check
    and the item (turn) it was made for, so the audit's repeated calls are
    stored like a run's (:meth:`RunStore.save_audit_calls`).
    """

    def __init__(self, model: Model, *, role: str, reply_attempts: int) -> None:
        self.model = model
        self.role = role
        self.reply_attempts = max(1, reply_attempts)
        self.calls: list[tuple[str, str, str, JudgeCall]] = []

    async def ask(
        self,
        prompt: str,
        parse: Callable[[str], Any],
        *,
        check: str,
        item: str,
        label: str = "",
        template: str | None = None,
        config: GenerateConfig | None = None,
        salt: str | None = None,
    ) -> Any:
        """The parsed reply to a prompt; None when its requests or replies fail (counted).

        ``parse`` returns None (or raises :class:`JudgeReplyError`) for an
        unusable reply, which is asked again, varied, as in a run.
        """

        def strict(text: str) -> Any:
            value = parse(text)
            if value is None:
                raise JudgeReplyError("no verdict in the reply")
            return value

        outcome = await ask_judge(
            self.model,
            [ChatMessage(role="user", content=prompt)],
            parse=strict,
            value_of=lambda value: value if isinstance(value, float | str) else None,
            template=template,
            label=label,
            reply_attempts=self.reply_attempts,
            config=config,
            salt=salt,
            priority=_AUDIT_PRIORITY,
        )
        self.calls.extend((self.role, check, item, call) for call in outcome.calls)
        return outcome.value

    async def score(self, prompt: str, **kwargs: Any) -> float | None:
        """The judge's 1-10 score of a prompt (None when it fails)."""
        return cast(
            "float | None",
            await self.ask(prompt, lambda text: float(parse_judge_reply(text).score), **kwargs),
        )


def _make_model(
    settings: EndpointSettings,
    *,
    store: RunStore,
    environ: Mapping[str, str],
    options: AuditOptions,
    sleep: Any,
) -> Model:
    # The same provider (options included) and retries as the run's.
    api = open_endpoint(settings, max_connections=options.max_connections, environ=environ)
    kwargs: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
    return Model(
        api,
        config=settings.generate,
        retry=retry_policy(options.retry),
        limiter=PriorityLimiter(options.max_connections),
        cache=store,
        **kwargs,
    )


def _judge_identity(settings: EndpointSettings) -> str:
    """What names a judge across audits: its model and endpoint (never a key)."""
    return settings.spec + (f" @ {settings.base_url}" if settings.base_url else "")


class _Audit:
    def __init__(
        self,
        *,
        run_id: str,
        store: RunStore,
        benchmark: Benchmark,
        sources: Any,
        run_config: RunConfig,
        options: AuditOptions,
        judge: _Judge,
        judge2: _Judge | None,
        on_check: CheckStart | None,
        audit_id: str,
    ) -> None:
        self.run_id = run_id
        self.store = store
        self.sources = sources
        # What the benchmark offers an audit (checkers, prompts): see Benchmark.audit.
        if benchmark.audit is None:
            raise ConfigError(f"{benchmark.title} runs cannot be audited yet: it offers no audit")
        self.hooks: AuditHooks = benchmark.audit
        self.run_config = run_config
        self.options = options
        self.judge = judge
        self.judge2 = judge2
        self.on_check = on_check
        self.audit_id = audit_id
        self.figures = _Figures(Bootstrap(n_resamples=options.n_resamples, seed=DEFAULT_SEED))
        self.specs: dict[str, TaskSpec] = {
            name: benchmark.get_task(name) for name in run_config.tasks
        }
        self._dialogues: dict[str, dict[str, Dialogue]] = {}
        self.judged, self.checked = self._load_turns(run_id)
        self.others = {other: self._load_turns(other)[0] for other in options.others}

    # -- inputs ---------------------------------------------------------------------------------

    def _load_turns(self, run_id: str) -> tuple[list[_Turn], list[_Turn]]:
        responses = {
            (t.task, t.dialogue_id, t.position): t.response
            for t in self.store.turns(run_id)
            if t.status == "answered" and t.response is not None
        }
        judged: list[_Turn] = []
        checked: list[_Turn] = []
        for j in self.store.judgments(run_id):
            response = responses.get((j.task, j.dialogue_id, j.position))
            if j.status != "scored" or j.score is None or response is None:
                continue
            spec = self.specs.get(j.task)
            if spec is None:
                continue
            turn = _Turn(j.task, j.dialogue_id, j.position, j.turn_index, response, j.score)
            if j.method == "judge":
                judged.append(turn)
            elif self.hooks.has_checker(spec):
                checked.append(turn)
        return judged, checked

    def dialogue(self, task: str, dialogue_id: str) -> Dialogue:
        if task not in self._dialogues:
            task_set = self.specs[task].load(self.sources)
            self._dialogues[task] = {d.id: d for d in task_set.dialogues}
        return self._dialogues[task][dialogue_id]

    def prompt(self, turn: _Turn, *, template: str | None = None, fields: Any = None) -> str:
        """The judge prompt of a stored turn (the run's template, or another one)."""
        spec = self.specs[turn.task]
        template = template or spec.judge_template
        fields = fields or spec.judge_fields
        if template is None or fields is None:
            raise ConfigError(f"task {turn.task} is not judge-scored")
        prompt: str = self.hooks.judge_prompt(
            self.sources,
            template=template,
            fields=fields,
            dialogue=self.dialogue(turn.task, turn.dialogue_id),
            position=turn.position,
            response=turn.response,
        )
        return prompt

    def sample(self, turns: Sequence[_Turn]) -> list[_Turn]:
        return _stratified(turns, self.options.sample, self.options.seed)

    def announce(self, check: str, n_requests: int) -> None:
        if self.on_check is not None:
            self.on_check(check, n_requests)

    def task_means(
        self, turns: Sequence[_Turn] | None = None
    ) -> dict[str, tuple[float, float, int]]:
        """Per task: a run's mean judged score, its bootstrap variance, its turn count."""
        by_task: dict[str, list[_Turn]] = defaultdict(list)
        for turn in self.judged if turns is None else turns:
            by_task[turn.task].append(turn)
        boot = self.figures.boot
        out = {}
        for task, rows in by_task.items():
            sample = make_sample(task, ((r.dialogue_id, 0, r.score) for r in rows), columns=(0,))
            value, reps = boot.pooled([sample])
            column = reps[:, 0] if reps.size else np.array([])
            variance = float(np.var(column, ddof=1)) if column.size > 1 else math.nan
            out[task] = (float(value[0]), variance, len(rows))
        return out

    # -- checks ---------------------------------------------------------------------------------

    async def self_consistency(self) -> dict[str, Any]:
        k = self.options.repeats
        if k < 2:
            return _skipped("needs --repeats 2 or more")
        rows = self.sample(self.judged)
        if not rows:
            return _skipped("the run has no judge-scored turns")
        self.announce("self_consistency", len(rows) * k)
        base = self.run_config.judge.generate if self.run_config.judge else GenerateConfig()
        temperature = (
            self.options.temperature if self.options.temperature is not None else base.temperature
        )
        configs = [
            base.model_copy(update={"seed": _REPEAT_SEED + r, "temperature": temperature})
            for r in range(k)
        ]
        prompts = [self.prompt(t) for t in rows]
        scores = await asyncio.gather(
            *(
                self.judge.score(
                    p, config=c, check="self_consistency", item=t.key, label=f"repeat-{r}"
                )
                for t, p in zip(rows, prompts, strict=True)
                for r, c in enumerate(configs)
            )
        )
        matrix = np.array(
            [
                [math.nan if s is None else s for s in scores[i * k : (i + 1) * k]]
                for i in range(len(rows))
            ],
            dtype=np.float64,
        )
        index = {t.key: i for i, t in enumerate(rows)}

        def figures(subset: Sequence[_Turn]) -> dict[str, Callable[[Any], float | None]]:
            m = matrix[[index[t.key] for t in subset]]
            return {
                "within_turn_sd": lambda r: within_turn_sd(m[r]),
                "changed_share": lambda r: changed_share(m[r]),
                "icc": lambda r: icc(m[r]),
            }

        overall, per_task = self.figures.per_task(rows, figures)
        means = self.task_means()
        for block, subset_rows, task in [(overall, rows, None)] + [
            (per_task[t], [r for r in rows if r.task == t], t) for t in per_task
        ]:
            m = matrix[[index[r.key] for r in subset_rows]]
            variance = within_turn_variance(m)
            block["repeats"] = k
            block["n_errors"] = int(np.isnan(m).sum())
            if task is not None and task in means and variance is not None:
                _, total_var, n = means[task]
                share = noise_share_of_variance(
                    noise_variance=variance, n_turns=n, total_variance=total_var
                )
                block["judge_noise_share"] = _num(share)
                block["run_n_turns"] = n
                sd = math.sqrt(variance)
                block["resolvable_gap"] = _num(resolvable_gap(noise_sd=sd, n_a=n))
                block["rank_flip_probability"] = {
                    str(g): _num(rank_flip_probability(gap=g, noise_sd=sd, n_a=n))
                    for g in _FLIP_GAPS
                }
        shares = [b.get("judge_noise_share") for b in per_task.values()]
        shares = [s for s in shares if s is not None]
        overall["judge_noise_share"] = _num(max(shares)) if shares else None
        overall["repeats"] = k
        if self.others:
            self._rank_flips(matrix, rows, index, overall, per_task, means)
        return _done("self_consistency", overall, per_task)

    def _rank_flips(
        self,
        matrix: np.ndarray[Any, Any],
        rows: Sequence[_Turn],
        index: Mapping[str, int],
        overall: dict[str, Any],
        per_task: dict[str, Any],
        means: Mapping[str, tuple[float, float, int]],
    ) -> None:
        """The flip probability of each other run's actual gap to the audited run."""
        overall_sd = within_turn_sd(matrix)
        mine = np.array([t.score for t in self.judged], dtype=np.float64)
        flips: dict[str, Any] = {}
        for other, turns in self.others.items():
            theirs = self.task_means(turns)
            for task, block in per_task.items():
                sd = within_turn_sd(matrix[[index[r.key] for r in rows if r.task == task]])
                if task not in theirs or task not in means or sd is None:
                    continue
                gap = theirs[task][0] - means[task][0]
                block.setdefault("rank_flips", {})[other] = {
                    "gap": _num(gap),
                    "flip_probability": _num(
                        rank_flip_probability(
                            gap=gap, noise_sd=sd, n_a=means[task][2], n_b=theirs[task][2]
                        )
                    ),
                }
            if turns and mine.size and overall_sd is not None:
                # Pooled over every judged turn (the tasks' own weights).
                gap = float(np.mean([t.score for t in turns]) - mine.mean())
                flips[other] = {
                    "gap": _num(gap),
                    "flip_probability": _num(
                        rank_flip_probability(
                            gap=gap, noise_sd=overall_sd, n_a=int(mine.size), n_b=len(turns)
                        )
                    ),
                }
        overall["rank_flips"] = flips

    async def judge_agreement(self) -> dict[str, Any]:
        if self.judge2 is None:
            return _skipped("needs --judge2 MODEL")
        rows = self.sample(self.judged)
        if not rows:
            return _skipped("the run has no judge-scored turns")
        keys = {t.key for t in rows}
        extra = sum(1 for turns in self.others.values() for t in turns if t.key in keys)
        self.announce("judge_agreement", len(rows) + extra)
        judge2 = self.judge2
        second = await asyncio.gather(
            *(judge2.score(self.prompt(t), check="judge_agreement", item=t.key) for t in rows)
        )
        a = np.array([t.score for t in rows], dtype=np.float64)
        b = np.array([math.nan if s is None else s for s in second], dtype=np.float64)
        index = {t.key: i for i, t in enumerate(rows)}

        def figures(subset: Sequence[_Turn]) -> dict[str, Callable[[Any], float | None]]:
            ix = np.array([index[t.key] for t in subset], dtype=np.intp)
            x, y = a[ix], b[ix]
            return {
                "pearson": lambda r: pearson(x[r], y[r]),
                "spearman": lambda r: spearman(x[r], y[r]),
                "weighted_kappa": lambda r: weighted_kappa(x[r], y[r]),
                "krippendorff_alpha": lambda r: krippendorff_alpha_interval(
                    np.vstack([x[r], y[r]])
                ),
                "mean_offset": lambda r: mean_offset(x[r], y[r]),
            }

        overall, per_task = self.figures.per_task(rows, figures)
        overall["n_errors"] = int(np.isnan(b).sum())
        # Would the tasks rank differently under the second judge?
        means1 = {
            t: float(np.nanmean([a[index[r.key]] for r in rows if r.task == t])) for t in per_task
        }
        means2 = {
            t: float(np.nanmean([b[index[r.key]] for r in rows if r.task == t])) for t in per_task
        }
        order1 = sorted(per_task, key=lambda t: -means1[t])
        order2 = sorted(per_task, key=lambda t: -means2[t])
        overall["task_ranking_changes"] = order1 != order2
        if self.others:
            overall["run_ranking"] = await self._run_ranking(rows, a, b)
        return _done("judge_agreement", overall, per_task)

    async def _run_ranking(
        self, rows: Sequence[_Turn], a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]
    ) -> dict[str, Any]:
        """Rank the audited run and the others on the sampled turns under both judges."""
        assert self.judge2 is not None
        judge2 = self.judge2
        keys = {t.key for t in rows}
        means: dict[str, list[float | None]] = {
            self.run_id: [_num(float(np.nanmean(a))), _num(float(np.nanmean(b)))]
        }
        for other, turns in self.others.items():
            shared = [t for t in turns if t.key in keys]
            if not shared:
                continue
            second = await asyncio.gather(
                *(
                    judge2.score(self.prompt(t), check="judge_agreement", item=f"{other}:{t.key}")
                    for t in shared
                )
            )
            x = np.array([t.score for t in shared], dtype=np.float64)
            y = np.array([math.nan if s is None else s for s in second], dtype=np.float64)
            means[other] = [_num(float(np.nanmean(x))), _num(float(np.nanmean(y)))]

        def order(i: int) -> list[str]:
            return sorted(means, key=lambda r: -(means[r][i] or 0.0))

        return {
            "judge": order(0),
            "judge2": order(1),
            "changes": order(0) != order(1),
            "means": means,
        }

    async def checker_agreement(self) -> dict[str, Any]:
        prompts: list[tuple[_Turn, str]] = []
        for turn in self.sample(self.checked):
            prompt = self.hooks.instruction_follow_prompt(
                self.dialogue(turn.task, turn.dialogue_id), turn.response
            )
            if prompt is not None:
                prompts.append((turn, prompt))
        if not prompts:
            return _skipped("the run has no turns with a programmatic verdict")
        self.announce("checker_agreement", len(prompts))
        scores = await asyncio.gather(
            *(
                self.judge.score(p, check="checker_agreement", item=t.key, label="follows")
                for t, p in prompts
            )
        )
        rows = [t for (t, _), s in zip(prompts, scores, strict=True) if s is not None]
        judge_pass = {
            t.key: s >= self.hooks.FOLLOWS_THRESHOLD
            for (t, _), s in zip(prompts, scores, strict=True)
            if s is not None
        }

        def figures(subset: Sequence[_Turn]) -> dict[str, Callable[[Any], float | None]]:
            j = np.array([judge_pass[t.key] for t in subset], dtype=bool)
            c = np.array([t.score > 0 for t in subset], dtype=bool)
            return {
                "agreement": lambda r: checker_agreement(j[r], c[r]).agreement,
                "precision": lambda r: checker_agreement(j[r], c[r]).precision,
                "recall": lambda r: checker_agreement(j[r], c[r]).recall,
            }

        overall, per_task = self.figures.per_task(rows, figures)
        overall["n_errors"] = len(prompts) - len(rows)
        overall["follows_threshold"] = self.hooks.FOLLOWS_THRESHOLD
        return _done("checker_agreement", overall, per_task)

    async def length_bias(self) -> dict[str, Any]:
        rows = self.judged
        if not rows:
            return _skipped("the run has no judge-scored turns")
        self.announce("length_bias", 0)
        index = {t.key: i for i, t in enumerate(rows)}
        scores = np.array([t.score for t in rows], dtype=np.float64)
        words = np.array([_words(t.response) for t in rows], dtype=np.float64)
        # Integer codes: grouping by them is cheaper in every bootstrap replicate.
        tasks = np.unique([t.task for t in rows], return_inverse=True)[1]
        dialogues = np.unique([t.group for t in rows], return_inverse=True)[1]

        def figures(subset: Sequence[_Turn]) -> dict[str, Callable[[Any], float | None]]:
            ix = np.array([index[t.key] for t in subset], dtype=np.intp)
            s, w, g, d = scores[ix], words[ix], tasks[ix], dialogues[ix]
            return {
                # Across tasks, scores and lengths are compared within each task.
                "score_length_spearman": lambda r: length_correlation(s[r], w[r], groups=g[r]),
                "within_dialogue_spearman": lambda r: length_correlation(s[r], w[r], groups=d[r]),
            }

        overall, per_task = self.figures.per_task(rows, figures)
        return _done("length_bias", overall, per_task)

    async def history_sensitivity(self) -> dict[str, Any]:
        candidates = [
            t for t in self.judged if self.hooks.no_history_judge(self.specs[t.task]) is not None
        ]
        rows = self.sample(candidates)
        if not rows:
            return _skipped("no judged task's template can be filled without history")
        self.announce("history_sensitivity", len(rows))

        def bare(turn: _Turn) -> str:
            plan = self.hooks.no_history_judge(self.specs[turn.task])
            assert plan is not None
            return self.prompt(turn, template=plan.template, fields=plan.fields)

        without = await asyncio.gather(
            *(
                self.judge.score(
                    bare(t), check="history_sensitivity", item=t.key, label="no-history"
                )
                for t in rows
            )
        )
        kept = [(t, s) for t, s in zip(rows, without, strict=True) if s is not None]
        rows = [t for t, _ in kept]
        shift = np.array([t.score - s for t, s in kept], dtype=np.float64)
        index = {t.key: i for i, t in enumerate(rows)}

        def figures(subset: Sequence[_Turn]) -> dict[str, Callable[[Any], float | None]]:
            d = shift[[index[t.key] for t in subset]]
            return {
                "mean_shift": lambda r: float(d[r].mean()) if len(r) else None,
                "mean_abs_shift": lambda r: float(np.abs(d[r]).mean()) if len(r) else None,
            }

        overall, per_task = self.figures.per_task(rows, figures)
        return _done("history_sensitivity", overall, per_task)

    async def position_bias(self) -> dict[str, Any]:
        if not self.others:
            return _skipped(
                "needs a second run of the same tasks (judge-audit RUN_ID OTHER_RUN): "
                "their replies are judged pairwise in both orders"
            )
        other, other_turns = next(iter(self.others.items()))
        theirs = {t.key: t for t in other_turns}
        rows = self.sample([t for t in self.judged if t.key in theirs])
        if not rows:
            return _skipped(f"run {other} has no judged reply to the audited run's turns")
        self.announce("position_bias", 2 * len(rows))

        def prompts(turn: _Turn) -> tuple[str, str]:
            dialogue = self.dialogue(turn.task, turn.dialogue_id)
            mine, their = turn.response, theirs[turn.key].response
            return (
                self.hooks.pairwise_prompt(dialogue, turn.position, mine, their),
                self.hooks.pairwise_prompt(dialogue, turn.position, their, mine),
            )

        pairs = [prompts(t) for t in rows]
        verdicts = await asyncio.gather(
            *(
                self.judge.ask(
                    p,
                    self.hooks.parse_pairwise_verdict,
                    check="position_bias",
                    item=t.key,
                    label=label,
                )
                for t, pair in zip(rows, pairs, strict=True)
                for label, p in zip(("AB", "BA"), pair, strict=True)
            )
        )
        games = [
            PairVerdict(
                first=verdicts[2 * i],
                second=verdicts[2 * i + 1],
                words_x=_words(t.response),
                words_y=_words(theirs[t.key].response),
            )
            for i, t in enumerate(rows)
        ]
        index = {t.key: i for i, t in enumerate(rows)}

        def figures(subset: Sequence[_Turn]) -> dict[str, Callable[[Any], float | None]]:
            chosen = [games[index[t.key]] for t in subset]
            return {
                "consistency_rate": lambda r: (
                    position_bias([chosen[i] for i in r]).consistency_rate
                ),
                "first_position_win_share": lambda r: (
                    position_bias([chosen[i] for i in r]).first_position_win_share
                ),
            }

        overall, per_task = self.figures.per_task(rows, figures)
        summary = position_bias(games)
        overall["n_pairs"] = summary.n_pairs
        overall["n_errors"] = sum(v is None for v in verdicts)
        overall["against_run"] = other
        overall["by_length_ratio"] = {
            label: {"first_position_win_share": _num(share), "n_verdicts": n}
            for label, (share, n) in summary.by_length_ratio.items()
        }
        return _done("position_bias", overall, per_task)

    async def canary(self, noise_sd: float | None) -> dict[str, Any]:
        assert self.run_config.judge is not None
        items = self.store.canary_set(CANARY_VERSION)
        if items is None:
            drawn = _stratified(self.judged, CANARY_SIZE, _CANARY_SEED)
            if not drawn:
                return _skipped("no canary set yet, and this run has no judged turns to draw one")
            items = self.store.save_canary_set(
                version=CANARY_VERSION,
                source_run_id=self.run_id,
                items=[{"key": t.key, "task": t.task, "prompt": self.prompt(t)} for t in drawn],
            )
        self.announce("canary", len(items))
        salt = f"canary:{self.audit_id}"
        scores = await asyncio.gather(
            *(
                self.judge.score(i["prompt"], salt=salt, check="canary", item=i["key"])
                for i in items
            )
        )
        current = {i["key"]: s for i, s in zip(items, scores, strict=True)}
        judge_name = _judge_identity(self.run_config.judge)
        previous = self.store.canary_results(CANARY_VERSION, judge_name)
        result_id = self.store.save_canary_result(
            version=CANARY_VERSION,
            judge=judge_name,
            scores=current,
            audit_id=self.audit_id,
            run_id=self.run_id,
        )
        overall: dict[str, Any] = {
            "version": CANARY_VERSION,
            "n_turns": sum(s is not None for s in current.values()),
            "mean_score": _num(
                float(np.mean([s for s in current.values() if s is not None]))
                if any(s is not None for s in current.values())
                else None
            ),
            "result_id": result_id,
            "previous_result_id": None,
            "mean_shift": None,
            "threshold": None,
            "drifted": None,
            "noise_sd": _num(noise_sd),
        }
        if previous:
            last = previous[0]
            keys = sorted(k for k in current if k in last["scores"])
            before = [_nan(last["scores"][k]) for k in keys]
            now = [_nan(current[k]) for k in keys]
            shift, threshold, drifted = canary_drift(before, now, noise_sd=noise_sd)
            overall.update(
                previous_result_id=last["result_id"],
                previous_audit_id=last["audit_id"],
                mean_shift=_num(shift),
                threshold=_num(threshold),
                drifted=drifted,
            )
        return _done("canary", overall, {})


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _skipped(reason: str) -> dict[str, Any]:
    return {"status": "skipped", "reason": reason, "verdict": "n/a", "overall": {}, "per_task": {}}


def _done(name: str, overall: dict[str, Any], per_task: dict[str, Any]) -> dict[str, Any]:
    verdict, headline = check_verdict(name, overall)
    return {
        "status": "done",
        "verdict": verdict,
        "headline": headline,
        "overall": overall,
        "per_task": per_task,
    }


def _latest_noise_sd(store: RunStore, run_id: str) -> float | None:
    for earlier in store.audits(run_id):
        block = earlier.get("checks", {}).get("self_consistency", {})
        sd = block.get("overall", {}).get("within_turn_sd")
        if sd is not None:
            return float(sd)
    return None


async def audit_async(
    run_id: str,
    *,
    db_path: str | os.PathLike[str],
    options: AuditOptions | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    on_check: CheckStart | None = None,
    sleep: Any = None,
) -> dict[str, Any]:
    """Audit run ``run_id``'s judge and return ``audit.json``'s content (also stored).

    Args:
        run_id: The run.
        db_path: The run store.
        options: What to check.
        data_dir: The benchmark's sources (to rebuild judge prompts).
        output_dir: Where to write ``audit.json`` and ``audit.md`` (none if None).
        environ: Environment for API keys (default: ``os.environ``).
        on_check: Told each check's planned request count before it starts.
        sleep: Backoff sleep override (tests).

    Raises:
        MtevalError: Unknown run, a run without a judge, bad options.
    """
    options = options or AuditOptions()
    if options.repeats < 0 or options.sample < 1:
        raise ConfigError("--repeats must be >= 0 and --sample >= 1")
    unknown = set(options.checks or ()) - set(CHECKS)
    if unknown:
        raise ConfigError(f"unknown audit checks {sorted(unknown)}: choose from {list(CHECKS)}")
    env = os.environ if environ is None else environ
    store = RunStore(db_path)
    models: list[Model] = []
    try:
        info = store.get_run(run_id)
        run_config = RunConfig.model_validate(info.config["run"])
        if run_config.judge is None:
            raise ConfigError(f"run {run_id} has no judge: there is nothing to audit")
        if run_id in options.others:
            raise ConfigError(f"run {run_id} is given twice: pass each run once")
        other_judges = {other: store.get_run(other).judge for other in options.others}
        benchmark = get_benchmark(run_config.benchmark)
        if benchmark.audit is None:
            raise ConfigError(f"{benchmark.title} runs cannot be audited yet: it offers no audit")
        sources = benchmark.load_sources(data_dir)
        judge_model = _make_model(
            run_config.judge, store=store, environ=env, options=options, sleep=sleep
        )
        models.append(judge_model)
        attempts = options.retry.judge_reply_attempts
        judge2 = None
        if options.judge2 is not None and options.wants("judge_agreement"):
            judge2_model = _make_model(
                options.judge2, store=store, environ=env, options=options, sleep=sleep
            )
            models.append(judge2_model)
            judge2 = _Judge(judge2_model, role="judge2", reply_attempts=attempts)
        for model in models:
            await model.api.preflight()
        audit_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
        work = _Audit(
            run_id=run_id,
            store=store,
            benchmark=benchmark,
            sources=sources,
            run_config=run_config,
            options=options,
            judge=_Judge(judge_model, role="judge", reply_attempts=attempts),
            judge2=judge2,
            on_check=on_check,
            audit_id=audit_id,
        )
        checks: dict[str, Any] = {}
        judges = [work.judge] + ([judge2] if judge2 is not None else [])

        def keep_calls() -> None:
            # Each check's judge calls are stored when it ends, like a run's verdicts.
            for judge in judges:
                store.save_audit_calls(audit_id=audit_id, calls=judge.calls)
                judge.calls = []

        for name in CHECKS:
            if name == "canary" or not options.wants(name):
                continue
            checks[name] = await getattr(work, name)()
            keep_calls()
        if options.wants("canary"):
            sd = checks.get("self_consistency", {}).get("overall", {}).get("within_turn_sd")
            checks["canary"] = await work.canary(
                float(sd) if sd is not None else _latest_noise_sd(store, run_id)
            )
            keep_calls()
        result: dict[str, Any] = {
            "audit_version": AUDIT_VERSION,
            "audit_id": audit_id,
            "run_id": run_id,
            "model": info.model,
            "judge": run_config.judge.spec,
            "judge2": options.judge2.spec if options.judge2 is not None else None,
            "others": [
                {"run_id": other, "judge": judge, "same_judge": judge == run_config.judge.spec}
                for other, judge in other_judges.items()
            ],
            "created_at": time.time(),
            "options": {
                "repeats": options.repeats,
                "sample": options.sample,
                "seed": options.seed,
                "temperature": options.temperature,
                "n_resamples": options.n_resamples,
            },
            "requests": {
                "judge": judge_model.stats.as_dict(),
                "judge2": judge2.model.stats.as_dict() if judge2 is not None else None,
            },
            "checks": checks,
        }
        store.save_audit(
            audit_id=audit_id, run_id=run_id, judge=run_config.judge.spec, result=result
        )
        if output_dir is not None:
            write_audit(result, output_dir)
        return result
    finally:
        for model in models:
            with contextlib.suppress(Exception):
                await model.aclose()
        store.close()


def audit(run_id: str, **kwargs: Any) -> dict[str, Any]:
    """Synchronous :func:`audit_async`."""
    return asyncio.run(audit_async(run_id, **kwargs))


def write_audit(result: Mapping[str, Any], output_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``audit.json`` and ``audit.md`` into ``output_dir``; return their paths."""
    directory = Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "audit.json"
    tmp = json_path.with_name("audit.json.tmp")
    tmp.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, json_path)
    md_path = directory / "audit.md"
    md_path.write_text(audit_markdown(result), encoding="utf-8")
    return json_path, md_path
