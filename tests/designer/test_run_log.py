"""A run's log shows only the engine lines its own work logged (issue 15)."""

from __future__ import annotations

import asyncio
import logging

from pycharter_gui.designer.workers.run_log import ENGINE_LOGGER, forward_run_log

engine_log = logging.getLogger(ENGINE_LOGGER + ".test_run_log")


def test_concurrent_preview_lines_stay_out_of_the_runs_log() -> None:
    run_lines: list[str] = []
    other_lines: list[str] = []
    engine = logging.getLogger(ENGINE_LOGGER)
    level_before = engine.level

    async def run(lines: list[str], name: str, started: asyncio.Event, go: asyncio.Event) -> None:
        with forward_run_log(lines.append, lambda text: text.replace("secret", "***")):
            started.set()
            await go.wait()
            engine_log.info("%s batch 1 secret", name)
            await asyncio.to_thread(engine_log.warning, "%s in a thread", name)
            await asyncio.ensure_future(asyncio.sleep(0, engine_log.info("%s child", name)))

    async def preview(go: asyncio.Event) -> None:
        await go.wait()
        engine_log.info("preview batch")  # outside any run: nobody's log

    async def main() -> None:
        go, a, b = asyncio.Event(), asyncio.Event(), asyncio.Event()
        tasks = [asyncio.create_task(run(run_lines, "run", a, go)),
                 asyncio.create_task(run(other_lines, "other", b, go)),
                 asyncio.create_task(preview(go))]
        await a.wait()
        await b.wait()
        go.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert run_lines == ["info: run batch 1 ***", "warning: run in a thread", "info: run child"]
    assert other_lines == ["info: other batch 1 ***", "warning: other in a thread",
                           "info: other child"]
    assert engine.level == level_before  # restored once the last run ended
