"""Core value types shared by every layer: dialogues, messages, generation settings.

All models are frozen pydantic models: they cross module and process
boundaries (the store, exports, the CLI) and must never change under a caller.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CATEGORIES",
    "Category",
    "ChatMessage",
    "Dialogue",
    "GenerateConfig",
    "ModelOutput",
    "Role",
    "TaskSet",
    "Turn",
    "Usage",
    "canonical_json",
    "stable_hash",
]

Category = Literal["recollection", "expansion", "refinement", "follow-up"]
"""The four interaction patterns of MT-Eval, in the paper's column order."""

CATEGORIES: tuple[Category, ...] = ("recollection", "expansion", "refinement", "follow-up")

Role = Literal["system", "user", "assistant"]


def canonical_json(value: Any) -> str:
    """Serialise ``value`` as canonical JSON (sorted keys, no spaces, UTF-8 text)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def stable_hash(value: Any) -> str:
    """Return a SHA-256 hex digest of ``value`` serialised as canonical JSON.

    Used for cache keys and run fingerprints: equal values always hash equal,
    whatever the dict order.
    """
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Turn(_Frozen):
    """One user turn of a dialogue and the benchmark's reference reply to it.

    Attributes:
        id: The benchmark's turn id (unique within a dialogue, except for the
            irrelevant chit-chat turns of the refinement ablation).
        user: The user's message, exactly as the benchmark sends it.
        reference: The benchmark's reference reply (``sys`` in its files): the
            assistant message used as history for turns that are not answered,
            and for every turn in gold-history mode. Empty when none exists.
        do_inference: Whether the model answers (and is scored on) this turn.
        inst: The refinement/expansion instruction carried by ``user``, used to
            fill the judge's constraints.
    """

    id: str
    user: str
    reference: str
    do_inference: bool
    inst: str | None = None


class Dialogue(_Frozen):
    """A dialogue: the unit that runs in order and is resampled in bootstraps.

    Attributes:
        id: The benchmark's dialogue id, unique within its task set.
        turns: The turns, in order.
        inst_name: The global instruction id (recollection global-inst only).
        inst_args: That instruction's arguments.
        n_distracts: Number of irrelevant turns (irrelevant-context ablation only).
    """

    id: str
    turns: tuple[Turn, ...]
    inst_name: str | None = None
    inst_args: dict[str, Any] | None = None
    n_distracts: int | None = None

    @property
    def n_answered(self) -> int:
        """Number of turns the model answers."""
        return sum(1 for turn in self.turns if turn.do_inference)

    def to_published_row(self) -> dict[str, Any]:
        """Return the dialogue in the benchmark's published JSONL row format.

        Key order follows the benchmark's own files so that an export can be
        diffed byte for byte with the published dataset.
        """
        row: dict[str, Any] = {}
        if self.inst_name is not None:
            row["inst_name"] = self.inst_name
            row["inst_args"] = self.inst_args
        conv = []
        for turn in self.turns:
            item: dict[str, Any] = {
                "user": turn.user,
                "sys": turn.reference,
                "id": turn.id,
                "do_inference": turn.do_inference,
            }
            if turn.inst is not None:
                item["inst"] = turn.inst
            conv.append(item)
        row["conv"] = conv
        row["id"] = self.id
        if self.n_distracts is not None:
            row["n_distracts"] = self.n_distracts
        return row


class TaskSet(_Frozen):
    """A named, ordered collection of dialogues: one of the benchmark's task files."""

    name: str
    dialogues: tuple[Dialogue, ...]

    @property
    def n_dialogues(self) -> int:
        """Number of dialogues."""
        return len(self.dialogues)

    @property
    def n_turns(self) -> int:
        """Number of turns, answered or not."""
        return sum(len(d.turns) for d in self.dialogues)

    @property
    def n_answered(self) -> int:
        """Number of answered (scored) turns."""
        return sum(d.n_answered for d in self.dialogues)

    def record_ids(self) -> list[str]:
        """Dialogue ids made unique, for records: the k-th repeat of an id gets ``@k``.

        The benchmark's classification ablation files repeat a dialogue id (the
        5- and 10-document rounds reuse session numbers); records need a key
        that tells such dialogues apart, while exports keep the published ids.
        """
        seen: dict[str, int] = {}
        ids = []
        for dialogue in self.dialogues:
            count = seen.get(dialogue.id, 0) + 1
            seen[dialogue.id] = count
            ids.append(dialogue.id if count == 1 else f"{dialogue.id}@{count}")
        return ids

    def with_record_ids(self) -> tuple[Dialogue, ...]:
        """The dialogues, each carrying its :meth:`record_ids` id."""
        return tuple(
            d if d.id == rid else d.model_copy(update={"id": rid})
            for d, rid in zip(self.dialogues, self.record_ids(), strict=True)
        )


class ChatMessage(_Frozen):
    """One chat message in the OpenAI chat format."""

    role: Role
    content: str


class GenerateConfig(_Frozen):
    """Sampling settings sent with each request; ``None`` means "not sent".

    The defaults are the benchmark's own: greedy decoding (temperature 0), at
    most 1024 new tokens and the seed its OpenAI client sent (111).

    Attributes:
        temperature: Sampling temperature.
        max_tokens: Maximum number of new tokens.
        top_p: Nucleus sampling threshold.
        seed: Sampling seed, for providers that accept one.
        stop: Stop strings.
        extra: Additional request fields passed through unchanged
            (``--model-arg key=value``).
    """

    temperature: float | None = 0.0
    max_tokens: int | None = 1024
    top_p: float | None = None
    seed: int | None = 111
    stop: tuple[str, ...] | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    def request_fields(self) -> dict[str, Any]:
        """Return the request fields this config sends, ``None`` values left out."""
        fields: dict[str, Any] = {}
        for name in ("temperature", "max_tokens", "top_p", "seed"):
            value = getattr(self, name)
            if value is not None:
                fields[name] = value
        if self.stop:
            fields["stop"] = list(self.stop)
        for key, value in self.extra.items():
            if value is None:
                fields.pop(key, None)
            else:
                fields[key] = value
        return fields


class Usage(_Frozen):
    """Token usage reported by the endpoint."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ModelOutput(_Frozen):
    """A completed generation.

    Attributes:
        content: The assistant's reply text.
        finish_reason: Why generation stopped (``stop``, ``length``, ...).
        usage: Token usage, when reported.
        model: The model name the endpoint reported.
        latency_s: Wall time of the successful request, in seconds.
        cached: True when served from the completion cache (no request sent).
        attempts: Number of HTTP attempts it took (1 when no retry was needed).
        key: The completion's cache key (set by :class:`mteval.models.Model`).
    """

    content: str
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None
    latency_s: float = 0.0
    cached: bool = False
    attempts: int = 1
    key: str | None = None
