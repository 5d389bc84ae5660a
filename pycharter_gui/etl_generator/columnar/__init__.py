"""Arrow columnar fast path for simple file pipelines (issue 2's throughput target).

``run_loop.PipelineRun._loop`` calls :func:`run_columnar` first; it runs the whole loop over
Arrow batches when :func:`columnar_plan` finds the pipeline eligible, and each batch still
falls back to the dict path whenever its result could differ. ``PYCHARTER_COLUMNAR=0``
switches it off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .plan import ENV_SWITCH, ColumnarPlan, columnar_plan, enabled

if TYPE_CHECKING:
    from ..loaders.base import LoadSession
    from ..run_loop import PipelineRun

__all__ = ["ENV_SWITCH", "ColumnarPlan", "columnar_plan", "enabled", "run_columnar"]


async def run_columnar(run: PipelineRun, session: LoadSession, compiled: Any, validator: Any,
                       resume_batches: int) -> tuple[bool, str | None]:
    """Run the batch loop columnar if possible: ``(handled, loop_result)``."""
    if validator is not None and not validator.by_columns:
        return False, None
    plan = columnar_plan(run.orch.config)
    if plan is None:
        return False, None
    from .runner import ColumnarRunner

    return await ColumnarRunner(run, plan).run_loop(session, compiled, validator, resume_batches)
