"""Pipeline tests from a sample (golden data): save a test case, run it, accept new output.

A test case is a folder ``<pipeline>/tests/<name>/``::

    test.yaml                    names the files below; ignore_fields, dry_load, description
    input.jsonl (or input.csv)   the records given to the transform, one per line
    expected.jsonl               {"row": n, "record": {...}} per record that would be loaded
    expected_dead_letters.jsonl  {"row", "stage", "reason", "field", "message", "record"}

``row`` is the 1-based line of the input the record came from. Running a case applies the
pipeline's transform (``transform_batch``), its contract when it has one and a dry load (which
writes nothing) to the input, and compares with the expectation cell by cell. Every file is JSON
with sorted keys, one record per line, so a review in git shows the rows that changed.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import yaml

from .atomic import atomic_write
from .config import load_pipeline_config
from .errors import ConfigError, ConfigProblem

TESTS_DIR = "tests"
TEST_FILE = "test.yaml"
_ROW = "__pycharter_test_row__"  # hidden tag: which input row a transformed record came from
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
# add-expressions whose value changes between runs (clock, random ids): compared for presence
_VOLATILE_RE = re.compile(r"\b(now|uuid|today)\b|@now|@today|\b(date|datetime)\(\s*\)", re.I)
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


# -- files ----------------------------------------------------------------------------------
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


def _plain(value: Any) -> Any:
    """``value`` as JSON would give it back, dict keys sorted (what the files hold)."""
    return json.loads(json.dumps(value, default=_json_default, sort_keys=True, ensure_ascii=False))


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def _show(value: Any) -> str:
    return repr(value) if value is ABSENT else _dumps(value)


def _write_lines(path: Path, items: list[Any]) -> None:
    atomic_write(path, "".join(_dumps(item) + "\n" for item in items))


def _read_jsonl(path: Path) -> list[Any]:
    items = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ConfigError([ConfigProblem(str(path), "", f"not JSON: {exc.msg}", number)]
                                  ) from exc
    return items


def read_input(case: PipelineTestCase) -> list[dict[str, Any]]:
    """The test's input records (JSON Lines, or CSV read like a CSV source)."""
    if case.input_file.suffix.lower() in (".csv", ".tsv"):
        from .readers import iter_batches

        fmt = case.input_file.suffix.lower().lstrip(".")
        return [rec for batch in iter_batches(case.input_file, fmt) for rec in batch]
    return _read_jsonl(case.input_file)


def _read_output(case: PipelineTestCase) -> PipelineOutput:
    return PipelineOutput(
        loaded=_read_jsonl(case.expected_file) if case.expected_file.is_file() else [],
        dead_letters=(_read_jsonl(case.dead_letters_file)
                      if case.dead_letters_file.is_file() else []))


def _write_output(case: PipelineTestCase, output: PipelineOutput) -> None:
    """The expected files; ignored fields hold ``*`` so accepting again changes no line."""
    ignore = set(case.ignore_fields)
    loaded = [{**e, "record": {k: "*" if k in ignore else v for k, v in e["record"].items()}}
              if ignore and isinstance(e.get("record"), dict) else e for e in output.loaded]
    _write_lines(case.expected_file, loaded)
    _write_lines(case.dead_letters_file, output.dead_letters)


def _load_case(folder: Path) -> PipelineTestCase:
    spec_file = folder / TEST_FILE
    try:
        spec = yaml.safe_load(spec_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(str(spec_file), "", f"invalid YAML: {exc}")]) from exc
    problems = []
    if not isinstance(spec, dict):
        raise ConfigError([ConfigProblem(str(spec_file), "", "must hold a mapping of keys")])
    ignore = spec.get("ignore_fields") or []
    if not isinstance(ignore, list) or not all(isinstance(f, str) for f in ignore):
        problems.append(ConfigProblem(str(spec_file), "ignore_fields", "must be a list of names"))
    files = {key: folder / str(spec.get(key) or default) for key, default in (
        ("input", "input.jsonl"), ("expected", "expected.jsonl"),
        ("expected_dead_letters", "expected_dead_letters.jsonl"))}
    if not files["input"].is_file():
        problems.append(ConfigProblem(str(spec_file), "input",
                                      f"input file not found: {files['input'].name}"))
    if problems:
        raise ConfigError(problems)
    return PipelineTestCase(
        name=folder.name, folder=folder, input_file=files["input"],
        expected_file=files["expected"], dead_letters_file=files["expected_dead_letters"],
        ignore_fields=list(ignore), dry_load=spec.get("dry_load", True) is not False,
        description=str(spec.get("description") or ""))


def list_pipeline_tests(pipeline_dir: str | Path) -> list[PipelineTestCase]:
    """The test cases saved beside a pipeline, by name; a bad ``test.yaml`` raises ``ConfigError``."""
    root = Path(pipeline_dir) / TESTS_DIR
    if not root.is_dir():
        return []
    return [_load_case(d) for d in sorted(root.iterdir()) if (d / TEST_FILE).is_file()]


# -- running --------------------------------------------------------------------------------
def _entry(row: int | None, record: Any, **dead: Any) -> Entry:
    return {"row": row, **dead, "record": _plain(record)}


def _dead(row: int | None, stage: str, reason: str, field_: str | None, message: str,
          record: Any) -> Entry:
    return _entry(row, record, stage=stage, reason=reason, field=field_, message=message)


async def pipeline_output(pipeline_dir: str | Path, records: list[dict[str, Any]], *,
                          dry_load: bool = True) -> PipelineOutput:
    """Transform ``records`` as the pipeline would, check its contract, dry-load; nothing written."""
    from .transformers import ContractValidator, transform_batch

    config = await asyncio.to_thread(load_pipeline_config, pipeline_dir)
    tagged = [{**rec, _ROW: i} if isinstance(rec, dict) else rec for i, rec in enumerate(records, 1)]
    result = await asyncio.to_thread(transform_batch, tagged, config.transform)
    kept = result.records
    rows: list[int | None] = [rec.pop(_ROW, None) if isinstance(rec, dict) else None for rec in kept]
    for rej in result.rejected:
        if isinstance(rej.record, dict):
            rej.record.pop(_ROW, None)
    if all(r is None for r in rows) and not result.filtered and not result.added:
        rejected = {r.index for r in result.rejected}  # a step dropped the tag: positions line up
        rows = [i for i in range(1, len(records) + 1) if i - 1 not in rejected][:len(kept)]
    out = PipelineOutput(dead_letters=[
        _dead(None if r.index is None else r.index + 1, "transform", r.reason, r.field, r.message,
              r.record) for r in result.rejected])
    if config.contract and kept:
        kept_rows = rows
        kept, invalid = ContractValidator(config.contract).validate(kept)
        out.dead_letters += [_dead(kept_rows[r.index], "validate", r.reason, r.field, r.message,
                                   r.record) for r in invalid]
        bad = {r.index for r in invalid}
        rows = [row for i, row in enumerate(kept_rows) if i not in bad]
    if dry_load and kept:
        kept, rows = await _dry_load(config.load, kept, rows, out)
    out.loaded = [_entry(row, rec) for row, rec in zip(rows, kept, strict=True)]
    out.dead_letters.sort(key=lambda e: (e["row"] is None, e["row"] or 0))
    return out


async def _dry_load(load_cfg: dict[str, Any], records: list[dict[str, Any]],
                    rows: list[int | None], out: PipelineOutput
                    ) -> tuple[list[dict[str, Any]], list[int | None]]:
    """Write ``records`` in a dry run (the target checks them, keeps nothing); rejected rows
    become load dead letters as in a run."""
    from .errors import PycharterError
    from .loaders.base import open_load_session

    session = open_load_session(load_cfg, dry_run=True, run_key=f"test-{uuid.uuid4().hex}",
                                resumable=False)
    await session.open()
    try:
        try:
            result = await session.write_batch(records, 0)
        except PycharterError as exc:  # the batch failed as a whole: all of it dead-lettered
            out.dead_letters += [_dead(row, "load", "load_error", None, exc.user_message, rec)
                                 for row, rec in zip(rows, records, strict=True)]
            return [], []
        await session.commit()
    finally:
        await session.abort()
    bad = {r.index for r in result.rejected}
    out.dead_letters += [_dead(rows[r.index], "load", "load_error", r.field, r.message, r.record)
                         for r in result.rejected]
    return ([rec for i, rec in enumerate(records) if i not in bad],
            [row for i, row in enumerate(rows) if i not in bad])


def _keyed(entries: list[Entry], positional: bool) -> dict[tuple[Any, int], Entry]:
    """Entries by (row, occurrence); by position when rows are unknown."""
    seen: Counter = Counter()
    out = {}
    for pos, entry in enumerate(entries, 1):
        base = pos if positional else entry.get("row")
        seen[base] += 1
        out[(base, seen[base])] = entry
    return out


def _cells(row: int | None, expected: Any, actual: Any, ignore: set[str]) -> list[OutputDifference]:
    if not isinstance(expected, dict) or not isinstance(actual, dict):
        same = _dumps(expected) == _dumps(actual)
        return [] if same else [OutputDifference("changed", row, None, expected, actual)]
    diffs = []
    for name in dict.fromkeys([*expected, *actual]):
        exp, act = expected.get(name, ABSENT), actual.get(name, ABSENT)
        if name in ignore and (exp is ABSENT) == (act is ABSENT):
            continue
        if exp is ABSENT or act is ABSENT or _dumps(exp) != _dumps(act):
            diffs.append(OutputDifference("changed", row, name, exp, act))
    return diffs


def _why(entry: Entry) -> str:
    return f"{entry.get('stage')}: {entry.get('message') or entry.get('reason')}"


def compare_outputs(expected: PipelineOutput, actual: PipelineOutput,
                    ignore_fields: list[str] | tuple[str, ...] = ()) -> list[OutputDifference]:
    """Every difference, in row order: changed cells, missing/extra rows, moved rows."""
    ignore = set(ignore_fields)
    positional = any(e.get("row") is None for e in (*expected.loaded, *actual.loaded))
    exp_l, act_l = _keyed(expected.loaded, positional), _keyed(actual.loaded, positional)
    exp_d, act_d = _keyed(expected.dead_letters, False), _keyed(actual.dead_letters, False)
    diffs: list[OutputDifference] = []
    for key, exp in exp_l.items():
        if key in act_l:
            diffs += _cells(key[0], exp.get("record"), act_l[key].get("record"), ignore)
        elif key in act_d:
            diffs.append(OutputDifference("to_dead_letters", key[0], None, exp.get("record"),
                                          _why(act_d[key])))
        else:
            diffs.append(OutputDifference("missing", key[0], None, exp.get("record")))
    for key, act in act_l.items():
        if key in exp_d:
            diffs.append(OutputDifference("from_dead_letters", key[0], None, _why(exp_d[key]),
                                          act.get("record")))
        elif key not in exp_l:
            diffs.append(OutputDifference("extra", key[0], None, None, act.get("record")))
    for key, exp in exp_d.items():
        if key in act_d:
            diffs += [OutputDifference("dead_letter_changed", key[0], name, exp.get(name),
                                       act_d[key].get(name))
                      for name in ("stage", "reason", "field")
                      if exp.get(name) != act_d[key].get(name)]
        elif key not in act_l:
            diffs.append(OutputDifference("missing_dead_letter", key[0], None, _why(exp)))
    diffs += [OutputDifference("extra_dead_letter", key[0], None, None, _why(act))
              for key, act in act_d.items() if key not in exp_d and key not in exp_l]
    return sorted(diffs, key=lambda d: (d.row is None, d.row or 0))


async def run_pipeline_test(case: PipelineTestCase) -> PipelineTestResult:
    """Run one case; a problem running it (bad input, unreachable target) is an ``error``."""
    from .errors import PycharterError

    started = time.monotonic()
    try:
        records = await asyncio.to_thread(read_input, case)
        actual = await pipeline_output(case.pipeline_dir, records, dry_load=case.dry_load)
        expected = await asyncio.to_thread(_read_output, case)
    except PycharterError as exc:
        return PipelineTestResult(case, "error", message=exc.user_message,
                                  seconds=time.monotonic() - started)
    diffs = compare_outputs(expected, actual, case.ignore_fields)
    return PipelineTestResult(case, "failed" if diffs else "passed", diffs,
                              seconds=time.monotonic() - started, actual=actual,
                              message=f"{len(diffs)} difference{'s' if len(diffs) != 1 else ''}"
                              if diffs else "")


async def run_pipeline_tests(pipeline_dir: str | Path, names: list[str] | None = None, *,
                             trusted: bool = True) -> list[PipelineTestResult]:
    """Run the pipeline's test cases (all, or ``names``). ``trusted=False`` skips every case
    when the transform calls a custom Python function (it must not run untrusted).

    Raises ``ConfigError`` when the pipeline or a ``test.yaml`` is invalid.
    """
    config = await asyncio.to_thread(load_pipeline_config, pipeline_dir)
    cases = await asyncio.to_thread(list_pipeline_tests, pipeline_dir)
    cases = [c for c in cases if names is None or c.name in names]
    if not trusted and config.transform.get("custom_function"):
        return [PipelineTestResult(c, "skipped", message="the transform calls a custom function "
                                   "and this workspace is not trusted") for c in cases]
    return [await run_pipeline_test(case) for case in cases]


def accept_test_output(result: PipelineTestResult) -> None:
    """Make the actual output of ``result`` the new expectation (rewrites the expected files)."""
    if result.actual is None:
        raise ValueError(f"test {result.name} has no output to accept: {result.message}")
    _write_output(result.case, result.actual)


def _volatile_fields(transform_cfg: dict[str, Any]) -> set[str]:
    """Fields an ``add`` op fills from the clock or a random id."""
    return {str(name) for op in transform_cfg.get("ops") or [] if op.get("op") == "add"
            for name, expr in (op.get("spec") or {}).items()
            if isinstance(expr, str) and _VOLATILE_RE.search(expr)}


async def save_pipeline_test(pipeline_dir: str | Path, name: str, records: list[dict[str, Any]],
                             *, description: str = "", overwrite: bool = False
                             ) -> PipelineTestCase:
    """Freeze ``records`` and what the pipeline makes of them now as test case ``name``.

    Fields whose values change from run to run (``now()``, ``uuid()``, ...) go to
    ``ignore_fields``: compared for presence only. Raises ``ConfigError`` for a bad name or
    pipeline, ``FileExistsError`` when the case exists and ``overwrite`` is False.
    """
    if not _NAME_RE.match(name or ""):
        raise ConfigError(f"Test name {name!r} must start with a letter or digit and hold only "
                          "letters, digits, '_', '-' and '.'.")
    folder = Path(pipeline_dir) / TESTS_DIR / name
    if (folder / TEST_FILE).exists() and not overwrite:
        raise FileExistsError(f"A test named {name!r} exists already: {folder}")
    config = await asyncio.to_thread(load_pipeline_config, pipeline_dir)
    first = await pipeline_output(pipeline_dir, records)
    again = await pipeline_output(pipeline_dir, records)
    ignore = _volatile_fields(config.transform) | {
        d.field for d in compare_outputs(first, again) if d.kind == "changed" and d.field}
    folder.mkdir(parents=True, exist_ok=True)
    case = PipelineTestCase(name, folder, folder / "input.jsonl", folder / "expected.jsonl",
                            folder / "expected_dead_letters.jsonl", sorted(ignore), True,
                            description)
    _write_lines(case.input_file, [_plain(r) for r in records])
    _write_output(case, first)
    spec = {"description": description, "input": case.input_file.name,
            "expected": case.expected_file.name,
            "expected_dead_letters": case.dead_letters_file.name,
            "ignore_fields": case.ignore_fields, "dry_load": True,
            "created": datetime.now(UTC).isoformat(timespec="seconds")}
    atomic_write(folder / TEST_FILE, "# A pipeline test: `pycharter-etl test <pipeline>` runs it.\n"
                 + yaml.safe_dump(spec, sort_keys=True, allow_unicode=True))
    return case


# -- reports --------------------------------------------------------------------------------
def junit_xml(results: list[PipelineTestResult], suite: str = "pycharter") -> str:
    """JUnit XML of ``results`` (one testcase per case; differences in the failure text)."""
    root = ET.Element("testsuites")
    by_pipeline: dict[str, list[PipelineTestResult]] = {}
    for res in results:
        by_pipeline.setdefault(res.case.pipeline_dir.name, []).append(res)
    for pipeline, items in by_pipeline.items():
        counts = Counter(r.status for r in items)
        node = ET.SubElement(root, "testsuite", name=f"{suite}.{pipeline}", tests=str(len(items)),
                             failures=str(counts["failed"]), errors=str(counts["error"]),
                             skipped=str(counts["skipped"]),
                             time=f"{sum(r.seconds for r in items):.3f}")
        for res in items:
            case = ET.SubElement(node, "testcase", classname=f"{suite}.{pipeline}",
                                 name=res.name, time=f"{res.seconds:.3f}")
            if res.status == "failed":
                fail = ET.SubElement(case, "failure", message=res.message)
                fail.text = "\n".join(d.describe() for d in res.differences)
            elif res.status == "error":
                ET.SubElement(case, "error", message=res.message)
            elif res.status == "skipped":
                ET.SubElement(case, "skipped", message=res.message)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


__all__ = [
    "ABSENT",
    "OutputDifference",
    "PipelineOutput",
    "PipelineTestCase",
    "PipelineTestResult",
    "accept_test_output",
    "compare_outputs",
    "junit_xml",
    "list_pipeline_tests",
    "pipeline_output",
    "read_input",
    "run_pipeline_test",
    "run_pipeline_tests",
    "save_pipeline_test",
]
