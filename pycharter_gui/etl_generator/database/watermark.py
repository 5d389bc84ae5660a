"""Watermarks of incremental extraction, kept between runs in ``<pipeline>/.pycharter/state.json``.

The orchestrator reads the stored value before a run (``load_watermark`` +
``with_last_value``) and writes ``extractor.watermark`` after a successful non-dry run
(``save_watermark``). A query, URL, parameter, header or body may hold ``${__watermark__}``
(pycharter 0.0.54): the extractor replaces it with the value the run starts from
(``substitute_watermark``), the stored watermark or else ``incremental.initial``. Values keep
their type across the JSON file (a ``datetime`` comes back as a ``datetime``), so the next run
binds them with the right SQL type. Writes are atomic and
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

from ..file_lock import exclusive_lock

STATE_FILE = Path(".pycharter") / "state.json"
WATERMARK_VAR = "__watermark__"
PLACEHOLDER = "${" + WATERMARK_VAR + "}"
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
        from ..dead_letter.records import utc_now_iso  # the dead_letter package loads late

        marks[key] = {"column": column, **encoded, "updated_at": utc_now_iso()}
        state["version"] = 1
        _write(path, state)
    return path


def list_watermarks(pipeline_dir: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Every stored watermark of a pipeline: run key -> {column, value, updated_at}."""
    marks = _read(state_path(pipeline_dir)).get("watermarks") or {}
    return {key: {"column": entry.get("column"), "value": decode_watermark(entry),
                  "updated_at": entry.get("updated_at")}
            for key, entry in marks.items() if isinstance(entry, dict)}


def reset_watermarks(pipeline_dir: str | os.PathLike[str]) -> int:
    """Forget every stored watermark (the next run starts from ``initial``); how many."""
    path = state_path(pipeline_dir)
    if not path.is_file():
        return 0
    with exclusive_lock(path.with_name(path.name + ".lock")):
        state = _read(path)
        count = len(state.pop("watermarks", None) or {})
        if count:
            _write(path, state)
    return count


def _write(path: Path, state: dict[str, Any]) -> None:
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


def with_last_value(extract_config: dict[str, Any], value: Any) -> dict[str, Any]:
    """A copy of the extract config whose ``incremental.last_value`` is ``value``."""
    inc = extract_config.get("incremental")
    if not inc or value is None:
        return extract_config
    return {**extract_config, "incremental": {**inc, "last_value": value}}


def start_watermark(incremental: dict[str, Any] | None) -> Any:
    """The value a run starts from: the stored ``last_value``, else ``initial`` as written."""
    if not incremental:
        return None
    last = decode_watermark(incremental.get("last_value"))
    return last if last is not None else incremental.get("initial")


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)


def substitute_watermark(config: Any, value: Any) -> Any:
    """``config`` with each ``${__watermark__}`` replaced by ``value``; a value that is only
    the placeholder takes ``value`` itself (an SQL bind keeps its type). The ``incremental``
    block is left as it is."""
    if isinstance(config, dict):
        return {k: v if k == "incremental" else substitute_watermark(v, value)
                for k, v in config.items()}
    if isinstance(config, list):
        return [substitute_watermark(v, value) for v in config]
    if isinstance(config, str) and PLACEHOLDER in config:
        return value if config.strip() == PLACEHOLDER else config.replace(PLACEHOLDER,
                                                                          _text(value))
    return config


def uses_watermark(config: Any) -> bool:
    """True when ``${__watermark__}`` appears anywhere outside the ``incremental`` block."""
    return substitute_watermark(config, None) != config


def watermark_problem(extract_config: dict[str, Any]) -> tuple[str, str] | None:
    """(message, hint) when ``${__watermark__}`` is used but cannot be filled in."""
    if not uses_watermark(extract_config):
        return None
    inc = extract_config.get("incremental")
    if not inc:
        return ("uses ${__watermark__} but incremental extraction is off",
                "add incremental: {watermark_field: <column>, initial_value: <first value>}")
    if inc.get("initial") is None:
        return ("uses ${__watermark__} but incremental has no initial_value for the first run",
                "set incremental.initial_value, e.g. '1970-01-01T00:00:00Z'")
    return None


def advance_watermark(current: Any, rows: list[dict[str, Any]], column: str) -> Any:
    """The larger of ``current`` and the largest ``column`` value among ``rows``."""
    values = [r[column] for r in rows if isinstance(r, dict) and r.get(column) is not None]
    if not values:
        return current
    top = max(values)
    try:
        return top if current is None else max(current, top)
    except TypeError:  # initial given as text, rows typed: trust the source's order
        return top


__all__ = [
    "PLACEHOLDER",
    "WATERMARK_VAR",
    "advance_watermark",
    "decode_watermark",
    "encode_watermark",
    "list_watermarks",
    "load_watermark",
    "reset_watermarks",
    "save_watermark",
    "start_watermark",
    "state_path",
    "substitute_watermark",
    "uses_watermark",
    "watermark_problem",
    "with_last_value",
]
