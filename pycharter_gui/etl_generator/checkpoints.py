"""Checkpoints: where a run stopped, so a rerun can resume (config-format §7).

Writes are atomic (temporary file in the same folder, fsync, ``os.replace``), so killing the
process mid-save leaves the previous checkpoint intact, never a half-written one. A checkpoint
that cannot be read (corrupt JSON, wrong shape) loads as ``None`` with a warning: the run then
starts over rather than crash.

A run's checkpoint records its position in source terms (records consumed from the source,
whatever the batch size) and fingerprints of the configs, parameters and source files it was
made with (``run_fingerprints``); ``resume_point`` refuses a resume those no longer match.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import atomic_write
from .errors import PycharterError

if TYPE_CHECKING:
    from .orchestrator import ETLOrchestrator

logger = logging.getLogger(__name__)

_SUFFIX = ".json"


@dataclass
class CheckpointState:
    """The saved position of a run: last committed batch, counts and the parameters used."""

    checkpoint_id: str
    timestamp: str
    stage: str
    batch_num: int
    records_processed: int
    last_processed_params: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    metadata: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["metadata"] = self.metadata or {}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckpointState:
        """Rebuild from ``to_dict`` output; raises ``KeyError``/``TypeError``/``ValueError`` if malformed."""
        return cls(
            checkpoint_id=str(data["checkpoint_id"]),
            timestamp=str(data["timestamp"]),
            stage=str(data["stage"]),
            batch_num=int(data["batch_num"]),
            records_processed=int(data["records_processed"]),
            last_processed_params=dict(data.get("last_processed_params") or {}),
            error=data.get("error"),
            metadata=dict(data.get("metadata") or {}),
        )


class CheckpointManager:
    """Saves and loads checkpoints as ``{checkpoint_dir}/{checkpoint_id}.json``.

    ``checkpoint_dir=None`` disables checkpointing: ``save`` returns None, ``load`` returns None.
    """

    def __init__(self, checkpoint_dir: str | os.PathLike[str] | None = None) -> None:
        self.checkpoint_dir: Path | None = Path(checkpoint_dir) if checkpoint_dir else None

    @property
    def enabled(self) -> bool:
        return self.checkpoint_dir is not None

    def _path(self, checkpoint_id: str) -> Path:
        assert self.checkpoint_dir is not None
        text = str(checkpoint_id)
        if not text or text in {".", ".."} or any(c in text for c in "/\\\0") or text.startswith("."):
            raise ValueError(
                f"Invalid checkpoint id {checkpoint_id!r}: it becomes a file name, so it must be "
                "non-empty, not start with '.', and contain no path separators"
            )
        return self.checkpoint_dir / f"{text}{_SUFFIX}"

    def ensure_writable(self) -> None:
        """Raise ``PycharterError`` unless checkpoints can be written (checked before any data
        is committed, so a run never loads what it could not resume from)."""
        if self.checkpoint_dir is None:
            return
        try:
            self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.checkpoint_dir, prefix=".probe."):
                pass
        except OSError as exc:
            raise PycharterError(
                f"Cannot write checkpoints to {self.checkpoint_dir}: {exc.strerror or exc}. "
                "Make the folder writable or choose another checkpoint folder; nothing was "
                "loaded.") from exc

    def save(
        self,
        checkpoint_id: str,
        stage: str,
        batch_num: int,
        records_processed: int,
        last_processed_params: dict[str, Any] | None = None,
        error: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str | None:
        """Write the checkpoint atomically (0600); returns its path, or None when disabled.
        A failed write raises ``PycharterError``."""
        if self.checkpoint_dir is None:
            return None
        path = self._path(checkpoint_id)
        state = CheckpointState(
            checkpoint_id=str(checkpoint_id),
            timestamp=datetime.now().isoformat(),
            stage=stage,
            batch_num=int(batch_num),
            records_processed=int(records_processed),
            last_processed_params=dict(last_processed_params or {}),
            error=error,
            metadata=metadata,
        )
        text = json.dumps(state.to_dict(), indent=2, default=str, ensure_ascii=False)
        try:
            self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text, file_mode=0o600)  # run parameters and positions
        except OSError as exc:
            raise PycharterError(f"Cannot write the checkpoint {path}: {exc}") from exc
        return str(path)

    def load(self, checkpoint_id: str) -> CheckpointState | None:
        """The saved state, or None if disabled, missing or unreadable (logged)."""
        if self.checkpoint_dir is None:
            return None
        path = self._path(checkpoint_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return CheckpointState.from_dict(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            logger.warning("Ignoring unreadable checkpoint %s (%s); starting over", path, exc)
            return None

    def delete(self, checkpoint_id: str) -> bool:
        """Remove a checkpoint; True if one existed."""
        if self.checkpoint_dir is None:
            return False
        try:
            self._path(checkpoint_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def list_checkpoints(self) -> list[str]:
        """Ids of the saved checkpoints, sorted (temporary files are not listed)."""
        if self.checkpoint_dir is None or not self.checkpoint_dir.is_dir():
            return []
        return sorted(
            p.stem
            for p in self.checkpoint_dir.iterdir()
            if p.suffix == _SUFFIX and not p.name.startswith(".") and p.is_file()
        )


# Keys that may change between a run and its resume: the position is in records, not batches.
_FREE_KEYS = frozenset({"batch_size", "max_records"})
_WHAT = {"extract": "extract.yaml", "transform": "transform.yaml", "load": "load.yaml",
         "params": "the run parameters", "source": "the source files"}


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _stable(v) for k, v in value.items() if k not in _FREE_KEYS}
    if isinstance(value, (list, tuple)):
        return [_stable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return f"{type(value).__module__}.{getattr(value, '__qualname__', type(value).__name__)}"


def run_fingerprints(orch: ETLOrchestrator, params: dict[str, Any]) -> dict[str, str]:
    """Short hashes of what a resume must find unchanged: each config, the parameters and the
    source files (secrets are masked first, so a rotated password does not block a resume)."""
    from .extractors.factory import get_extractor

    cfg = orch.config
    probe = getattr(get_extractor(cfg.extract), "source_fingerprint", None)
    source = probe(cfg.extract, orch.contract_dir) if callable(probe) else None
    parts = {"extract": cfg.extract, "transform": cfg.transform, "load": cfg.load,
             "params": params, "source": source}
    return {name: hashlib.sha256(orch.mask(json.dumps(_stable(value), sort_keys=True))
                                 .encode()).hexdigest()[:16]
            for name, value in parts.items()}


def resume_point(state: CheckpointState, fingerprints: dict[str, str]) -> tuple[int, int]:
    """``(committed batches, records consumed)`` of a checkpoint made with ``fingerprints``;
    raises ``PycharterError`` saying what changed when the resume cannot be honoured."""
    meta = state.metadata or {}
    start_over = ("Start over with --no-resume (run(resume=False)), or restore what changed "
                  "to resume.")
    if "position" not in meta or not isinstance(meta.get("fingerprints"), dict):
        raise PycharterError(
            f"Cannot resume from checkpoint '{state.checkpoint_id}': it records no source "
            f"position (an older version wrote it). {start_over}")
    changed = [_WHAT[name] for name, value in fingerprints.items()
               if meta["fingerprints"].get(name) != value]
    if changed:
        raise PycharterError(
            f"Cannot resume from checkpoint '{state.checkpoint_id}' ({state.batch_num} batches, "
            f"{meta['position']} records committed on {state.timestamp}): "
            f"{', '.join(changed)} changed since. {start_over}")
    return int(state.batch_num), int(meta["position"])


def newer_state(state: CheckpointState, committed: dict[str, Any] | None) -> CheckpointState:
    """``state``, or the one the target committed with a later batch of the same run (a kill
    came between that batch's commit and the checkpoint file's update)."""
    meta = state.metadata or {}
    if (not committed or not meta.get("run_id")
            or (committed.get("metadata") or {}).get("run_id") != meta["run_id"]
            or int(committed.get("batch_num", 0)) <= state.batch_num):
        return state
    return CheckpointState(
        checkpoint_id=state.checkpoint_id, timestamp=state.timestamp, stage="load",
        batch_num=int(committed["batch_num"]),
        records_processed=int(committed.get("records_processed", 0)),
        last_processed_params=state.last_processed_params, metadata=dict(committed["metadata"]))
