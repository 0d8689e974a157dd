"""The one exception tree of mteval.

Every error that a user can cause or fix (bad data, bad configuration, an
unreachable endpoint) is an :class:`MtevalError` whose message says what went
wrong, where (file, line, field or endpoint) and what to do. The CLI prints
that message on one line and exits non-zero; library callers can catch the
precise subclass.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "DataError",
    "DataFileError",
    "DataNotFoundError",
    "DownloadError",
    "EndpointError",
    "InstructionError",
    "JudgeReplyError",
    "ModelError",
    "MtevalError",
    "ResourceError",
    "StoreError",
    "TaskNotFoundError",
    "TemplateError",
]


class MtevalError(Exception):
    """Base class of every error mteval raises on purpose."""


class ConfigError(MtevalError):
    """An invalid setting: a bad model spec, an unknown option value, a bad flag."""


class DataError(MtevalError):
    """The benchmark's source data is missing, corrupt or malformed."""


class DataNotFoundError(DataError):
    """No copy of the MT-Eval sources could be found or downloaded."""


class DownloadError(DataError):
    """Downloading the MT-Eval sources failed or produced files that do not verify."""


class DataFileError(DataError):
    """A source file is malformed: names the file, line and field at fault.

    Args:
        path: The file at fault.
        message: What is wrong.
        line: 1-based line number, when the file is line-oriented.
        field: The offending field, as a dotted path (``conv.3.user``).
        hint: What the user should do about it.
    """

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.field = field
        self.hint = hint
        self.detail = message
        where = str(self.path)
        if line is not None:
            where += f", line {line}"
        if field:
            where += f", field '{field}'"
        text = f"{where}: {message}"
        if hint:
            text += f". {hint}"
        super().__init__(text)


class ResourceError(DataError):
    """Something a scorer needs (NLTK's punkt_tab, a word list, language profiles) is missing.

    It comes from the environment, not from the model or the endpoint: a run
    refuses to start without it, and stops (as failed) if it vanishes mid-run.
    """


class TemplateError(DataError):
    """A judge prompt template lacks a placeholder the benchmark fills."""


class TaskNotFoundError(ConfigError):
    """A task name that mteval does not know."""


class InstructionError(MtevalError):
    """An unknown verifiable-instruction id or invalid instruction arguments."""


class ModelError(MtevalError):
    """A model request failed for good (after any retries)."""


class EndpointError(ModelError):
    """The endpoint cannot serve us at all: unreachable, wrong key, unknown model.

    Raised before a run starts (preflight) so that no work is wasted.
    """


class JudgeReplyError(MtevalError):
    """A judge reply that is not the expected JSON with an integer score from 1 to 10."""


class StoreError(MtevalError):
    """The run store cannot be opened or is not an mteval store."""
