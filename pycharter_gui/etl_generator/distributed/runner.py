"""``run_distributed``: run a pipeline partitioned on a Dask cluster.

The client plans partitions (``partitioning``), submits one task per partition and, as tasks
finish (``as_completed``), records them in a manifest beside the checkpoints. Each task builds
an ``ETLOrchestrator`` from canonical config dicts (the partition's extract, the pipeline's
transform, a per-partition load) and runs the ordinary engine loop on the worker. When every
partition is done, the client commits the target once (``file_target`` / ``db_target``) and
writes the dead letters, stamped with their partition id, to the pipeline's DLQ. A rerun with
``resume=True`` redoes only the partitions the manifest does not list as done.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import atomic_write
from ..config import resolve_input_params
from ..dead_letter import DeadLetterQueue, DeadLetterRecord
from ..errors import ConfigError, ConfigProblem, PycharterError
from ..loaders.run_lock import target_lock
from .partitioning import PartitionPlan, plan_partitions
from .progress import report_partition
from .targets import make_target

if TYPE_CHECKING:
    from ..orchestrator import ETLOrchestrator

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 15  # seconds to reach a scheduler


# -- the task that runs on a worker ----------------------------------------------------------

def _worker_orchestrator(spec: dict[str, Any]) -> ETLOrchestrator:
    """An orchestrator over the partition's already-canonical config: the parent's
    ``PipelineConfig`` (name, folder, secrets for masking) with the partition's extract and
    load swapped in."""
    from ..orchestrator import ETLOrchestrator

    config = dataclasses.replace(spec["config"], extract=spec["extract"], load=spec["load"])
    # No checkpoint_dir: a partition is redone whole; the manifest tracks partitions.
    return ETLOrchestrator.from_config(config, config_context=spec["config_context"],
                                       verbose=False, max_memory_mb=spec.get("max_memory_mb"))


def run_partition(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one partition with the ordinary engine; returns its summary and dead letters."""
    orch = _worker_orchestrator(spec)
    result = asyncio.run(orch.run(
        dry_run=spec["dry_run"], checkpoint_id=spec["checkpoint_id"], resume=False,
        batch_size=spec["batch_size"], executor="local", **spec.get("run_options", {}),
        **spec["params"]))
    queue = result.pop("dead_letters")
    letters = []
    records = queue.page(None, limit=max(1, queue.count())) if queue is not None else []
    for rec in records:
        data = rec.to_dict()
        data["pipeline_name"] = spec["pipeline"]
        # The run's own id, so "dead letters of this run" (the designer's link, a filter on
        # run_id) finds them; the partition's engine run keeps its id beside it.
        data["metadata"] = {**data["metadata"], "partition_id": spec["partition_id"],
                            "partition_run_id": data["metadata"].get("run_id"),
                            "run_id": spec["run_id"]}
        letters.append(data)
    result["dead_letter_records"] = letters
    result["partition_id"] = spec["partition_id"]
    return result


# -- manifest: which partitions are done ------------------------------------------------------

def inputs_fingerprint(orch: ETLOrchestrator, plan: PartitionPlan) -> str:
    """A digest of the configs and of each local input file's size and time: when either
    changed since a failed run, its finished partitions are not reused (their output would
    mix with the new run's)."""
    cfg = orch.config
    digest = hashlib.sha256(json.dumps([cfg.extract, cfg.transform, cfg.load, cfg.contract],
                                       sort_keys=True, default=str).encode())
    for part in plan.partitions:
        path = part.extract.get("path")
        if isinstance(path, str) and os.path.isfile(path):
            st = os.stat(path)
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


class Manifest:
    """``<state dir>/<run key>/manifest.json`` plus one ``dlq-<id>.jsonl`` per done partition."""

    def __init__(self, folder: Path, plan: PartitionPlan, target: str, inputs: str = "") -> None:
        self.folder = folder
        self.path = folder / "manifest.json"
        # A rerun resumes only the very same work: plan, target, configs and input files.
        self.key = {"plan": plan.fingerprint(), "target": target, "inputs": inputs}
        self.done: dict[int, dict[str, Any]] = {}

    def load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if data.get("key") == self.key:
            self.done = {int(k): v for k, v in (data.get("done") or {}).items()}

    def _write(self, path: Path, text: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text, file_mode=0o600)  # dead letters may hold personal data

    def mark_done(self, pid: int, summary: dict[str, Any], letters: list[dict[str, Any]]) -> None:
        self._write(self.folder / f"dlq-{pid:05d}.jsonl",
                    "".join(json.dumps(d, default=str) + "\n" for d in letters))
        self.done[pid] = summary
        self._write(self.path, json.dumps({"key": self.key, "done": self.done}, default=str))

    def letters(self, pid: int) -> list[dict[str, Any]]:
        try:
            lines = (self.folder / f"dlq-{pid:05d}.jsonl").read_text(encoding="utf-8")
        except OSError:
            return []
        return [json.loads(line) for line in lines.splitlines() if line.strip()]

    def clear(self) -> None:
        for entry in self.folder.glob("*") if self.folder.is_dir() else []:
            entry.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.folder.rmdir()


def _state_folder(orch: ETLOrchestrator, run_key: str) -> Path:
    if orch.checkpoint_dir is not None:
        root = Path(orch.checkpoint_dir)
    elif orch.contract_dir is not None:
        root = Path(orch.contract_dir) / ".pycharter" / "dask"
    else:
        root = Path(tempfile.gettempdir()) / "pycharter-dask"
    return root / re.sub(r"[^A-Za-z0-9._-]+", "_", run_key)


# -- the client ------------------------------------------------------------------------------

async def _open_client(address: str | None) -> tuple[Any, Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError([ConfigProblem(
            file="load.yaml", key="executor", message="executor 'dask' needs Dask distributed, "
            "which is not installed", hint='pip install "dask[distributed]"')]) from exc
    cluster = None
    if address is None:
        cluster = await LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                     host="127.0.0.1", dashboard_address=None,
                                     asynchronous=True)
        address = cluster.scheduler_address
    try:
        client = await Client(address, asynchronous=True, timeout=CONNECT_TIMEOUT)
    except BaseException as exc:
        if cluster is not None:
            await cluster.close()
        if isinstance(exc, OSError | TimeoutError):
            raise PycharterError(
                f"Cannot connect to the Dask scheduler at {address} ({exc}). Check "
                "scheduler_address in load.yaml or --dask ADDRESS.") from exc
        raise
    return client, cluster


def _summary(res: dict[str, Any]) -> dict[str, Any]:
    """The part of a partition's result kept in the manifest (no dead-letter records)."""
    return {k: v for k, v in res.items() if k not in ("dead_letter_records",)}


def _failed(pid: int, error: str) -> dict[str, Any]:
    return {"partition_id": pid, "success": False, "error": error,
            "dead_letter_records": []}


async def run_distributed(
    orchestrator: ETLOrchestrator,
    *,
    dry_run: bool = False,
    scheduler_address: str | None = None,
    partitions: int | None = None,
    batch_size: int | None = None,
    max_records: int | None = None,
    resume: bool = True,
    max_retries: int = 3,
    error_threshold: float = 0.1,
    **params: Any,
) -> dict[str, Any]:
    """Run ``orchestrator``'s pipeline partitioned on Dask; returns the run() summary dict
    with ``partitions`` and ``warnings`` added (see docs: distributed runs)."""
    orch = orchestrator
    started = time.monotonic()
    load = orch.config.load
    address = scheduler_address or load.get("scheduler_address")
    wanted = partitions or load.get("partitions")
    if batch_size is not None and batch_size < 1:
        raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
    resolved, _ = resolve_input_params(orch.config.extract, params)
    run_key = orch.run_key(resolved) + "-dask"
    target = make_target(load, run_key)
    run_id = uuid.uuid4().hex
    base = {"run_id": run_id, "pipeline": orch.pipeline_name, "dry_run": dry_run,
            "run_options": {"max_retries": max_retries, "error_threshold": error_threshold},
            "started": started}
    try:
        plan = await asyncio.to_thread(plan_partitions, orch.config.extract, wanted,
                                       max_records, resolved)
    except ConfigError:
        raise
    except PycharterError as exc:
        return _result(base, [], [], error=orch.mask(exc.user_message), warnings=[])
    # The target's run lock, as a local run takes it: the client holds it until the commit,
    # for every partition (their loads say so with ``locked_by``). A held lock fails the run.
    with contextlib.ExitStack() as held:
        if not dry_run:
            try:
                held.enter_context(target_lock(load, run_id=run_id))
            except PycharterError as exc:
                return _result(base, [], [], error=orch.mask(exc.user_message),
                               warnings=plan.warnings)
        manifest = Manifest(_state_folder(orch, run_key), plan, target.describe(),
                            inputs_fingerprint(orch, plan))
        if not dry_run:
            if resume:
                manifest.load()
            else:
                manifest.clear()
                await asyncio.to_thread(target.discard)
        done = {pid: s for pid, s in manifest.done.items() if pid < len(plan.partitions)}
        pending = [p for p in plan.partitions if p.id not in done]
        results: dict[int, dict[str, Any]] = {pid: {**s, "resumed": True} for pid, s in done.items()}
        letters: list[dict[str, Any]] = [d for pid in done for d in manifest.letters(pid)]
        error: str | None = None
        try:
            if pending and not dry_run:
                await asyncio.to_thread(target.prepare, [p.id for p in pending])
            if pending:
                error = await _execute(orch, plan, pending, target, manifest, results, letters,
                                       base, address, dry_run, batch_size, params)
            if error is None and not dry_run:
                await asyncio.to_thread(target.commit, sorted(results))
                _flush_letters(orch, letters)
                manifest.clear()
        except asyncio.CancelledError:
            raise
        except PycharterError as exc:
            error = orch.mask(exc.user_message)
        finally:
            close = getattr(target, "close", None)
            if close is not None:
                close()
    ordered = [results[p.id] for p in plan.partitions if p.id in results]
    for part in plan.partitions:
        results.get(part.id, {}).setdefault("description", part.description)
    return _result(base, ordered, letters, error=error, warnings=plan.warnings)


async def _execute(orch: ETLOrchestrator, plan: PartitionPlan, pending: list[Any], target: Any,
                   manifest: Manifest, results: dict[int, dict[str, Any]],
                   letters: list[dict[str, Any]], base: dict[str, Any], address: str | None,
                   dry_run: bool, batch_size: int | None, params: dict[str, Any]) -> str | None:
    """Submit the pending partitions and collect them as they finish; returns the run error."""
    from distributed import as_completed

    client, cluster = await _open_client(address)
    futures = {}
    try:
        for part in pending:
            spec = {
                "config": orch.config, "extract": part.extract,
                "load": {**target.partition_load(part.id, dry_run), "locked_by": base["run_id"]},
                "config_context": orch.config_context, "max_memory_mb": orch.max_memory_mb,
                "dry_run": dry_run, "batch_size": batch_size, "params": params,
                "checkpoint_id": f"{base['run_id']}-p{part.id}", "partition_id": part.id,
                "pipeline": orch.pipeline_name, "run_id": base["run_id"],
                "run_options": base["run_options"],  # each partition honours the run's limits
            }
            fut = client.submit(run_partition, spec, pure=False,
                                key=f"pycharter-{base['run_id'][:8]}-p{part.id:05d}")
            futures[fut] = part
        total = len(plan.partitions)
        report_partition(orch, results, None, total, base["started"])
        async for fut in as_completed(list(futures)):
            part = futures[fut]
            try:
                res = await fut
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the task raised, or its worker died (KilledWorker)
                res = _failed(part.id, orch.mask(f"{type(exc).__name__}: {exc}"))
            res["description"] = part.description
            part_letters = res.pop("dead_letter_records", [])
            letters.extend(part_letters)
            results[part.id] = res
            if res.get("success") and not dry_run:
                await asyncio.to_thread(manifest.mark_done, part.id, _summary(res), part_letters)
            report_partition(orch, results, part.id, total, base["started"])
    finally:
        for fut in futures:
            if not fut.done():
                fut.cancel()
        await client.close()
        if cluster is not None:
            await cluster.close()
    failed = [r for r in results.values() if not r.get("success")]
    if failed:
        first = failed[0]
        return (f"{len(failed)} of {len(plan.partitions)} partitions failed; partition "
                f"{first['partition_id']}: {first.get('error')}. Run again to redo only the "
                "unfinished partitions.")
    return None


def _flush_letters(orch: ETLOrchestrator, letters: list[dict[str, Any]]) -> None:
    """Write the run's dead letters to the pipeline's DLQ (one writer: the client)."""
    if not letters:
        return
    from ..run_loop import open_dlq

    dlq = open_dlq(orch, dry_run=False)
    try:
        dlq.add_records([DeadLetterRecord.from_dict(d) for d in letters])
    finally:
        dlq.close()


def _result(base: dict[str, Any], parts: list[dict[str, Any]], letters: list[dict[str, Any]],
            *, error: str | None, warnings: list[str]) -> dict[str, Any]:
    """Aggregate partition results into the run() result shape of docs/decisions.md."""
    def total(section: str, key: str) -> int:
        return sum(int((p.get(section) or {}).get(key) or 0) for p in parts)

    reasons: Counter = Counter()
    failed_batches = []
    for p in parts:
        reasons.update(p.get("dlq_by_reason") or {})
        failed_batches += [{**b, "partition_id": p["partition_id"]}
                           for b in p.get("failed_batches") or []]
    queue = DeadLetterQueue(storage_backend="memory", pipeline_name=base["pipeline"])
    if letters:
        queue.add_records([DeadLetterRecord.from_dict(d) for d in letters])
    if error is None and not parts:
        error = "No partition ran."
    return {
        "success": error is None and all(p.get("success") for p in parts),
        "error": error,
        "run_id": base["run_id"],
        "pipeline": base["pipeline"],
        "dry_run": base["dry_run"],
        "duration_seconds": round(time.monotonic() - base["started"], 3),
        "extraction": {"total_records": total("extraction", "total_records"),
                       "batches_processed": total("extraction", "batches_processed")},
        "transformation": {"total_records": total("transformation", "total_records"),
                           "batches_processed": total("transformation", "batches_processed"),
                           "filtered": total("transformation", "filtered"),
                           "warnings": total("transformation", "warnings")},
        "loading": {"total_records": total("loading", "total_records"),
                    "inserted": total("loading", "inserted"),
                    "updated": total("loading", "updated"),
                    "batches_processed": total("loading", "batches_processed")},
        "dead_lettered": sum(int(p.get("dead_lettered") or 0) for p in parts),
        "dlq_by_reason": dict(reasons),
        "failed_batches": failed_batches,
        "dead_letters": queue,
        "partitions": [_partition_row(p) for p in parts],
        "warnings": list(warnings),
    }


def _partition_row(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": p["partition_id"],
        "description": p.get("description"),
        "extracted": int((p.get("extraction") or {}).get("total_records") or 0),
        "loaded": int((p.get("loading") or {}).get("total_records") or 0),
        "dead_lettered": int(p.get("dead_lettered") or 0),
        "success": bool(p.get("success")),
        "error": p.get("error"),
        "resumed": bool(p.get("resumed")),
    }
