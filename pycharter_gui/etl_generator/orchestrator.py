"""ETLOrchestrator: runs extract → transform → validate → load batch by batch."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

from .config import PipelineConfig, load_pipeline_config, mask_secrets, resolve_input_params
from .errors import ConfigError
from .extractors.factory import get_extractor
from .run_loop import PipelineRun
from .run_stats import run_status

logger = logging.getLogger(__name__)


class ETLOrchestrator:
    """Runs one pipeline folder (or config dicts) end to end.

    Config problems raise ``ConfigError`` here or from ``run()`` before any work starts;
    failures during a run never raise: ``run()`` returns ``success: False`` with ``error``.
    Cancelling the task raises ``asyncio.CancelledError`` at the next batch boundary, after
    cleaning up.
    """

    def __init__(
        self,
        contract_dir: str | Path | None = None,
        contract_file: str | Path | None = None,
        contract_dict: dict[str, Any] | None = None,
        contract_metadata: dict[str, Any] | None = None,
        checkpoint_dir: str | Path | None = None,
        progress_callback: Any = None,
        verbose: bool = True,
        max_memory_mb: float | None = None,
        config_context: dict[str, Any] | None = None,
        extract_config: dict[str, Any] | None = None,
        transform_config: dict[str, Any] | list[Any] | None = None,
        load_config: dict[str, Any] | None = None,
        extract_file: str | Path | None = None,
        transform_file: str | Path | None = None,
        load_file: str | Path | None = None,
    ) -> None:
        config_context = dict(config_context or {})
        config = load_pipeline_config(
            contract_dir=contract_dir,
            extract_config=extract_config,
            transform_config=transform_config,
            load_config=load_config,
            extract_file=extract_file,
            transform_file=transform_file,
            load_file=load_file,
            contract_file=contract_file,
            contract_dict=contract_dict,
            config_context=config_context,
        )
        self._adopt(config, config_context=config_context, contract_metadata=contract_metadata,
                    checkpoint_dir=checkpoint_dir, progress_callback=progress_callback,
                    verbose=verbose, max_memory_mb=max_memory_mb)

    @classmethod
    def from_config(
        cls,
        config: PipelineConfig,
        *,
        config_context: dict[str, Any] | None = None,
        contract_metadata: dict[str, Any] | None = None,
        checkpoint_dir: str | Path | None = None,
        progress_callback: Any = None,
        verbose: bool = True,
        max_memory_mb: float | None = None,
    ) -> ETLOrchestrator:
        """An orchestrator over an already loaded ``PipelineConfig`` (canonical dicts, e.g. a
        Dask partition's); nothing is read or validated again."""
        orch = cls.__new__(cls)
        orch._adopt(config, config_context=dict(config_context or {}),
                    contract_metadata=contract_metadata, checkpoint_dir=checkpoint_dir,
                    progress_callback=progress_callback, verbose=verbose,
                    max_memory_mb=max_memory_mb)
        return orch

    def _adopt(self, config: PipelineConfig, *, config_context: dict[str, Any],
               contract_metadata: dict[str, Any] | None, checkpoint_dir: str | Path | None,
               progress_callback: Any, verbose: bool, max_memory_mb: float | None) -> None:
        self.config_context = config_context
        self.config = config
        self.contract_metadata = contract_metadata or {}
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.progress_callback = progress_callback
        self.verbose = verbose
        self.max_memory_mb = max_memory_mb

    # -- introspection -------------------------------------------------------------------
    @property
    def pipeline_name(self) -> str:
        return self.config.name

    @property
    def contract_dir(self) -> Path | None:
        return self.config.base_dir

    def mask(self, text: str) -> str:
        """``text`` with every resolved secret replaced by ``***``."""
        return mask_secrets(text, self.config.secrets)

    def __repr__(self) -> str:
        return f"ETLOrchestrator(pipeline={self.pipeline_name!r}, contract_dir={str(self.contract_dir)!r})"

    def run_key(self, params: dict[str, Any]) -> str:
        """Checkpoint id: same pipeline folder and parameters → same key."""
        blob = json.dumps(
            {"pipeline": self.pipeline_name, "dir": str(self.contract_dir), "params": params},
            sort_keys=True,
            default=str,
        )
        return f"{self.pipeline_name}-{hashlib.sha1(blob.encode()).hexdigest()[:12]}"

    # -- extract -------------------------------------------------------------------------
    async def extract_stream(
        self,
        batch_size: int | None = None,
        max_records: int | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield raw batches from the source (no transforms), for previews."""
        params, _ = resolve_input_params(self.config.extract, kwargs)
        extractor = get_extractor(self.config.extract)
        extractor.validate_config(self.config.extract)
        stream = extractor.extract_streaming(
            self.config.extract,
            params,
            self.config.extract.get("headers"),
            self.contract_dir,
            batch_size or self.config.extract["batch_size"],
            max_records if max_records is not None else self.config.extract.get("max_records"),
            self.config_context,
        )
        async with aclosing(stream) as batches:
            async for batch in batches:
                yield batch

    extract = extract_stream

    def transform(self, raw_data: list[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
        """Apply this pipeline's transforms to ``raw_data``; a failing record raises
        ``RecordError`` like ``apply_transforms`` (``run()`` dead-letters it instead)."""
        from .config.params import record_params
        from .transformers import apply_transforms

        injected = record_params(self.config.extract, self.config.transform, kwargs)
        if injected:  # the 0.0.20 dialect writes run params into every record
            raw_data = [{**record, **injected} for record in raw_data]
        return apply_transforms(raw_data, self.config.transform, **kwargs)

    # -- run -----------------------------------------------------------------------------
    async def run(
        self,
        dry_run: bool = False,
        session: Any = None,
        checkpoint_id: str | None = None,
        resume: bool = True,
        batch_size: int | None = None,
        max_records: int | None = None,
        max_retries: int = 3,
        error_threshold: float = 0.1,
        executor: str | None = None,
        scheduler_address: str | None = None,
        partitions: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Run the whole pipeline and return the summary dict of docs/decisions.md.

        ``session`` (a SQLAlchemy Session, Connection or Engine, sync or async) is where a
        database target is loaded: its engine replaces load.yaml's URL, and a ``database``
        dead-letter backend without its own URL uses it too. ``contract_metadata`` of the
        constructor is returned as the result's ``contract_metadata`` and kept in every dead
        letter's metadata (``contract``).

        ``executor="dask"`` runs the pipeline partitioned on a Dask cluster (a LocalCluster when
        ``scheduler_address`` is None); see ``etl_generator.distributed``.
        """
        executor = executor or self.config.load.get("executor")
        if executor == "dask":
            from .distributed import run_distributed

            if session is not None:
                raise ConfigError("run(session=...) cannot reach Dask workers (a session does "
                                  "not leave this process); give load.yaml a database url.")
            result = await run_distributed(
                self, dry_run=dry_run, scheduler_address=scheduler_address, partitions=partitions,
                batch_size=batch_size, max_records=max_records, resume=resume,
                max_retries=max_retries, error_threshold=error_threshold, **kwargs,
            )
            result.setdefault("status", run_status(result["success"], result["dead_lettered"]))
            result["contract_metadata"] = dict(self.contract_metadata)
            return result
        if executor not in (None, "local"):
            raise ConfigError(f"Unknown executor '{executor}'; use 'local' or 'dask'.")
        # Declared input params go to the source; every run kwarg also reaches custom functions.
        params, _undeclared = resolve_input_params(self.config.extract, kwargs)
        if batch_size is not None and batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, got {batch_size}")
        if session is not None and self.config.load.get("type") != "database":
            raise ConfigError("run(session=...) loads into a database, but this pipeline's "
                              f"target is {self.config.load.get('type')}; leave session out.")
        run = PipelineRun(
            orchestrator=self,
            run_id=uuid.uuid4().hex,
            params=params,
            transform_kwargs={**kwargs},
            dry_run=dry_run,
            checkpoint_id=checkpoint_id or self.run_key(params),
            resume=resume,
            batch_size=batch_size or self.config.extract["batch_size"],
            max_records=max_records if max_records is not None else self.config.extract.get("max_records"),
            max_retries=max_retries,
            error_threshold=error_threshold,
            session=session,
        )
        result = await run.execute(time.monotonic())
        result["contract_metadata"] = dict(self.contract_metadata)
        if (lineage := self.lineage(result["run_id"])) is not None:
            result["lineage"] = lineage
        return result

    def lineage(self, run_id: str) -> dict[str, Any] | None:
        """The run's lineage record when settings enable ``lineage`` (pycharter 0.0.54+):
        namespace, job, run id, and the source and target it read and wrote."""
        block = self.config.settings.get("lineage")
        if not isinstance(block, dict) or not block.get("enabled", True):
            return None

        def where(cfg: dict[str, Any]) -> dict[str, Any]:
            name = cfg.get("path") or cfg.get("table") or cfg.get("url") or ""
            return {"type": cfg.get("type"), "name": self.mask(str(name))}

        return {"namespace": block.get("namespace") or "pycharter", "job": self.pipeline_name,
                "run_id": run_id, "inputs": [where(self.config.extract)],
                "outputs": [where(self.config.load)]}


def create_orchestrator(contract_dir: str | Path | None = None, **kwargs: Any) -> ETLOrchestrator:
    """Return ``ETLOrchestrator(contract_dir=contract_dir, **kwargs)``."""
    return ETLOrchestrator(contract_dir=contract_dir, **kwargs)
