"""What a pipeline test holds and produces: cases, outputs, differences, results; and the
JSON form of records the case files use."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

Entry = dict[str, Any]


class _Absent:
    """A field a record does not have (shown as ``(absent)``)."""

    def __repr__(self) -> str:
        return "(absent)"
ABSENT: Any = _Absent()


@dataclass(frozen=True)
class OutputDifference:
    """One difference between expected and actual output.

    ``kind``: ``changed`` (a cell), ``missing`` / ``extra`` (a loaded row), ``to_dead_letters`` /
    ``from_dead_letters`` (a row moved), ``dead_letter_changed`` (its stage, reason or field),
    ``missing_dead_letter`` / ``extra_dead_letter``. ``row`` is the 1-based input row.
    """

    kind: str
    row: int | None
    field: str | None = None
    expected: Any = None
    actual: Any = None

    def describe(self) -> str:
        """One line for people: which row, which field, expected and actual."""
        where = f"row {self.row}" if self.row is not None else "a row"
        exp, act = _show(self.expected), _show(self.actual)
        return {
            "changed": f"{where}, {self.field}: expected {exp}, got {act}",
            "missing": f"{where}: expected a loaded record {exp}, got none",
            "extra": f"{where}: an unexpected loaded record {act}",
            "to_dead_letters": f"{where}: was loaded, now a dead letter ({self.actual})",
            "from_dead_letters": f"{where}: was a dead letter ({self.expected}), now loaded",
            "dead_letter_changed": f"{where}: dead letter {self.field} expected {exp}, got {act}",
            "missing_dead_letter": f"{where}: expected a dead letter ({self.expected}), got none",
            "extra_dead_letter": f"{where}: an unexpected dead letter ({self.actual})",
        }.get(self.kind, f"{where}: {self.kind}")


@dataclass
class PipelineOutput:
    """What a pipeline makes of a test's input: loaded records and dead letters (as entries)."""

    loaded: list[Entry] = field(default_factory=list)
    dead_letters: list[Entry] = field(default_factory=list)


@dataclass
class PipelineTestCase:
    """One saved test case of a pipeline (its folder and the settings of its ``test.yaml``)."""

    name: str
    folder: Path
    input_file: Path
    expected_file: Path
    dead_letters_file: Path
    ignore_fields: list[str] = field(default_factory=list)
    dry_load: bool = True
    description: str = ""

    @property
    def pipeline_dir(self) -> Path:
        return self.folder.parent.parent


@dataclass
class PipelineTestResult:
    """Outcome of one case: ``passed``, ``failed`` (see ``differences``), ``error`` or ``skipped``."""

    case: PipelineTestCase
    status: str
    differences: list[OutputDifference] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    actual: PipelineOutput | None = None

    @property
    def name(self) -> str:
        return self.case.name

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | Path):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, set | tuple):
        return list(value)
    return str(value)


def plain(value: Any) -> Any:
    """``value`` as JSON would give it back, dict keys sorted (what the files hold)."""
    return json.loads(json.dumps(value, default=_json_default, sort_keys=True, ensure_ascii=False))


def dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def _show(value: Any) -> str:
    return repr(value) if value is ABSENT else dumps(value)
