"""Saving a sample and what the pipeline makes of it now as a new test case."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import load_pipeline_config
from ..errors import ConfigError
from .compare import compare_outputs
from .files import TEST_FILE, TESTS_DIR, write_lines, write_output, write_test_spec
from .model import PipelineTestCase, plain
from .output import pipeline_output

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
# add-expressions whose value changes between runs (clock, random ids): compared for presence
_VOLATILE_RE = re.compile(r"\b(now|uuid|today)\b|@now|@today|\b(date|datetime)\(\s*\)", re.I)


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
    write_lines(case.input_file, [plain(r) for r in records])
    write_output(case, first)
    spec = {"description": description, "input": case.input_file.name,
            "expected": case.expected_file.name,
            "expected_dead_letters": case.dead_letters_file.name,
            "ignore_fields": case.ignore_fields, "dry_load": True,
            "created": datetime.now(UTC).isoformat(timespec="seconds")}
    write_test_spec(folder, spec)
    return case
