"""Helpers for the preview/run panel tests: example copies, a slow registered source."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import threading
from pathlib import Path
from typing import Any

from pycharter_gui.etl_generator import BaseExtractor, ExtractorFactory
from pycharter_gui.paths import resource_path


def copy_example(tmp_path: Path, name: str) -> Path:
    """A private copy of a bundled example pipeline (workspace = tmp_path / 'ws')."""
    dest = tmp_path / "ws" / name
    shutil.copytree(resource_path("examples", name), dest)
    return dest


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256 (to prove nothing was written)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class SlowExtractor(BaseExtractor):
    """Yields ``batch_size`` records every ``delay`` seconds, forever (or ``total`` records)."""

    source_type = "slow"
    produced = 0
    closed = threading.Event()
    started = threading.Event()

    def extract_streaming(self, extract_config: dict[str, Any], params: Any, headers: Any,
                          contract_dir: Any = None, batch_size: int = 1000,
                          max_records: int | None = None, config_context: Any = None):
        return self._gen(float(extract_config.get("params", {}).get("delay", 0.02)), batch_size,
                         int(extract_config.get("params", {}).get("total", 0)) or None)

    async def _gen(self, delay: float, batch_size: int, total: int | None):
        cls = SlowExtractor
        cls.started.set()
        try:
            n = 0
            while total is None or n < total:
                await asyncio.sleep(delay)
                size = batch_size if total is None else min(batch_size, total - n)
                batch = [{"id": n + i, "name": f"rec{n + i}", "value": (n + i) * 1.5} for i in range(size)]
                n += size
                cls.produced += 1
                yield batch
        finally:
            cls.closed.set()

    def describe(self, extract_config: dict[str, Any]) -> str:
        return "slow test source"

    @classmethod
    def reset(cls) -> None:
        cls.produced = 0
        cls.closed = threading.Event()
        cls.started = threading.Event()


def make_slow_pipeline(root: Path, *, delay: float = 0.02, total: int = 0, batch_size: int = 10,
                       out_name: str = "out.jsonl") -> Path:
    """A pipeline folder reading the slow source and writing a JSON Lines file."""
    ExtractorFactory.register_extractor("slow", SlowExtractor)
    SlowExtractor.reset()
    folder = root / "ws" / "slow"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "extract.yaml").write_text(
        f"type: slow\nbatch_size: {batch_size}\nparams:\n  delay: {delay}\n  total: {total}\n", encoding="utf-8")
    (folder / "transform.yaml").write_text("transform:\n  rename:\n    name: label\n", encoding="utf-8")
    (folder / "load.yaml").write_text(
        f"type: file\npath: output/{out_name}\nformat: jsonl\n", encoding="utf-8")
    return folder
