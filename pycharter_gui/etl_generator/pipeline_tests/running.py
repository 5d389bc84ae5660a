"""Running saved cases and accepting their actual output as the new expectation."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from ..config import load_pipeline_config
from .compare import compare_outputs
from .files import list_pipeline_tests, read_input, read_output, write_output
from .model import PipelineTestCase, PipelineTestResult
from .output import pipeline_output


async def run_pipeline_test(case: PipelineTestCase) -> PipelineTestResult:
    """Run one case; a problem running it (bad input, unreachable target) is an ``error``."""
    from ..errors import PycharterError

    started = time.monotonic()
    try:
        records = await asyncio.to_thread(read_input, case)
        actual = await pipeline_output(case.pipeline_dir, records, dry_load=case.dry_load)
        expected = await asyncio.to_thread(read_output, case)
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

    Raises ``ConfigError`` when a ``test.yaml`` is invalid, or the pipeline when it has a
    case to run. With none the config is not read: the designer runs this on every pipeline
    it shows, and a big config's read is long pure-Python work (issue 12).
    """
    cases = await asyncio.to_thread(list_pipeline_tests, pipeline_dir)
    cases = [c for c in cases if names is None or c.name in names]
    if not cases:
        return []
    config = await asyncio.to_thread(load_pipeline_config, pipeline_dir)
    if not trusted and config.transform.get("custom_function"):
        return [PipelineTestResult(c, "skipped", message="the transform calls a custom function "
                                   "and this workspace is not trusted") for c in cases]
    return [await run_pipeline_test(case) for case in cases]


def accept_test_output(result: PipelineTestResult) -> None:
    """Make the actual output of ``result`` the new expectation (rewrites the expected files)."""
    if result.actual is None:
        raise ValueError(f"test {result.name} has no output to accept: {result.message}")
    write_output(result.case, result.actual)
