"""The engine's exception tree: every error says what happened, where, and what to do next.

::

    PycharterError
    ├── ConfigError (alias ConfigValidationError)   fix the YAML; lists every ConfigProblem
    ├── TransientError                              may succeed when retried: the run retries
    ├── SourceError                                 reading the source failed
    │   ├── RetriableSourceError (+ TransientError) timeouts, 429, 5xx: retried with backoff
    │   ├── FatalSourceError                        401/403/404, missing file, bad credentials
    │   └── PaginationLoopError                     the same page token or URL came back twice
    ├── RecordError                                 one record failed: it goes to the DLQ
    ├── LoadError                                   writing to the target failed
    │   └── TransientLoadError (+ TransientError)   locked, timed out, connection lost
    ├── NotAvailableError                           a source/target type this build lacks
    └── InternalError                               a bug: please report

Errors carry their location as attributes and a ``user_message`` suitable for an analyst.
Secrets never appear in messages: callers mask them before raising.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in one config file, located by dotted key path and line."""

    file: str | None
    key: str
    message: str
    line: int | None = None
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: {self.key or '<root>'}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "key": self.key,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
            "severity": self.severity,
        }


class PycharterError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, message: str, *, user_message: str | None = None) -> None:
        super().__init__(message)
        self.user_message = user_message or message


class ConfigError(PycharterError, ValueError):
    """The pipeline configuration is invalid; ``problems`` lists every problem found."""

    def __init__(
        self,
        problems: list[ConfigProblem] | str,
        *,
        pipeline: str | None = None,
    ) -> None:
        if isinstance(problems, str):
            problems = [ConfigProblem(file=None, key="", message=problems)]
        self.problems: list[ConfigProblem] = list(problems)
        self.pipeline = pipeline
        head = f"Invalid configuration for pipeline '{pipeline}'" if pipeline else "Invalid configuration"
        count = len(self.problems)
        lines = [f"{head} ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


ConfigValidationError = ConfigError


class TransientError(PycharterError):
    """A failure that may succeed when retried (a lock, a timeout, a lost connection, 429/5xx).

    Retriability is this type, never a flag: the run loop retries a batch exactly when the
    error is one (``is_transient``)."""


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the failed operation may help (also for the OS's connection errors)."""
    return isinstance(exc, TransientError | ConnectionError | TimeoutError)


class SourceError(PycharterError):
    """Reading from the source failed."""

    def __init__(self, message: str, *, source: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.source = source


class RetriableSourceError(SourceError, TransientError):
    """A transient source failure (timeout, 429, 5xx) that may succeed when retried."""


class FatalSourceError(SourceError):
    """A source failure that retrying cannot fix (auth, not found, unreadable file)."""


class PaginationLoopError(FatalSourceError):
    """The API returned a page token or next URL it had already returned."""


class RecordError(PycharterError):
    """A single record failed; the orchestrator dead-letters it and continues."""

    def __init__(
        self,
        message: str,
        *,
        reason: str = "transformation_error",
        stage: str = "transform",
        record_index: int | None = None,
        field: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.reason = reason
        self.stage = stage
        self.record_index = record_index
        self.field = field


class LoadError(PycharterError):
    """Writing to the target failed as a whole (unreachable, missing table, disk full)."""

    def __init__(self, message: str, *, target: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.target = target


class TransientLoadError(LoadError, TransientError):
    """Writing failed for a passing reason (database locked, timeout, connection lost); the
    batch's transaction was rolled back, so the run retries it."""


class NotAvailableError(PycharterError):
    """A source or destination type that this build does not (yet) provide."""


class InternalError(PycharterError):
    """An unexpected error inside the engine; the message asks the user to report it."""


__all__ = [
    "ConfigError",
    "ConfigProblem",
    "ConfigValidationError",
    "FatalSourceError",
    "InternalError",
    "LoadError",
    "NotAvailableError",
    "PaginationLoopError",
    "PycharterError",
    "RecordError",
    "RetriableSourceError",
    "SourceError",
    "TransientError",
    "TransientLoadError",
    "is_transient",
]
