"""Watermarks of incremental extraction, kept between runs in ``<pipeline>/.pycharter/state.json``.

The orchestrator reads the stored value before a run (``load_watermark`` +
``with_last_value``) and writes ``extractor.watermark`` after a successful non-dry run
(``save_watermark``). Values keep their type across the JSON file (a ``datetime`` comes back
as a ``datetime``), so the next run binds them with the right SQL type. Writes are atomic and
serialised by a lock file, so two runs with different parameters cannot lose each other's value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..dead_letter.backends._locks import exclusive_lock
from ..dead_letter.records import utc_now_iso

STATE_FILE = Path(".pycharter") / "state.json"
_TYPES: dict[str, Any] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "decimal": decimal.Decimal,
}


def encode_watermark(value: Any) -> dict[str, Any] | None:
    """``{"type", "value"}`` holding ``value`` in JSON without losing its type."""
    if value is None:
        return None
    for name, kind in (("datetime", dt.datetime), ("date", dt.date), ("time", dt.time)):
        if isinstance(value, kind):
            return {"type": name, "value": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"type": "decimal", "value": str(value)}
    if isinstance(value, (bool, int, float, str)):
        return {"type": type(value).__name__, "value": value}
    return {"type": "str", "value": str(value)}


def decode_watermark(data: Any) -> Any:
    """The value of ``encode_watermark`` output (anything else is returned as it is)."""
    if not (isinstance(data, dict) and "type" in data and "value" in data):
        return data
    parse = _TYPES.get(str(data["type"]))
    return parse(data["value"]) if parse and data["value"] is not None else data["value"]


def state_path(pipeline_dir: str | os.PathLike[str]) -> Path:
    """The state file of a pipeline folder."""
    return Path(pipeline_dir) / STATE_FILE


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(f"Cannot read the pipeline state {path}: {exc}. Delete the file to "
                         "start incremental extraction from extract.yaml's 'initial'.") from exc
    return data if isinstance(data, dict) else {}


def load_watermark(pipeline_dir: str | os.PathLike[str], key: str, column: str) -> Any:
    """The watermark stored for ``key`` (the checkpoint id: pipeline + parameters), or None.

    A value stored for another column is ignored: the analyst changed ``incremental.column``.
    """
    entry = (_read(state_path(pipeline_dir)).get("watermarks") or {}).get(key)
    if not isinstance(entry, dict) or entry.get("column") != column:
        return None
    return decode_watermark(entry)


def save_watermark(pipeline_dir: str | os.PathLike[str], key: str, column: str,
                   value: Any) -> Path | None:
    """Store ``value`` for ``key`` atomically; None (no row read) keeps the stored value."""
    encoded = encode_watermark(value)
    if encoded is None:
        return None
    path = state_path(pipeline_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(path.with_name(path.name + ".lock")):
        state = _read(path)
        marks = state.setdefault("watermarks", {})
        marks[key] = {"column": column, **encoded, "updated_at": utc_now_iso()}
        state["version"] = 1
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(state, f, indent=2, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return path


def with_last_value(extract_config: dict[str, Any], value: Any) -> dict[str, Any]:
    """A copy of the extract config whose ``incremental.last_value`` is ``value``."""
    inc = extract_config.get("incremental")
    if not inc or value is None:
        return extract_config
    return {**extract_config, "incremental": {**inc, "last_value": value}}


__all__ = [
    "decode_watermark",
    "encode_watermark",
    "load_watermark",
    "save_watermark",
    "state_path",
    "with_last_value",
]
