"""Plain-text rendering for the CLI: run summaries, record tables, problem lists."""

from __future__ import annotations

import json
from typing import Any

_MAX_CELL = 40


def _cell(value: Any) -> str:
    if value is None:
        text = ""
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, default=str, ensure_ascii=False)
    else:
        text = str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def format_table(rows: list[dict[str, Any]]) -> str:
    """Records as an aligned text table; columns in first-seen order."""
    if not rows:
        return "(no records)"
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    names = list(columns)
    cells = [[_cell(row.get(c)) for c in names] for row in rows]
    widths = [max(len(n), *(len(r[i]) for r in cells)) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _status_text(result: dict[str, Any]) -> str:
    """``status`` in words: a run with dead letters never reads as a plain OK."""
    status = result.get("status")
    if status == "completed_with_dead_letters":
        return f"COMPLETED with {result['dead_lettered']:,} dead letter(s)"
    if status == "completed":
        return "COMPLETED"
    return "FAILED"


def json_summary(result: dict[str, Any]) -> dict[str, Any]:
    """The run result for ``--json``: a dry run's dead letters in full (they are stored
    nowhere else), a real run's as counts (they are in its dead-letter queue)."""
    printable = {k: v for k, v in result.items() if k != "dead_letters"}
    queue = result.get("dead_letters")
    if result.get("dry_run") and queue is not None:
        printable["dead_letters"] = [r.to_dict() for r in queue.page(limit=max(1, queue.count()))]
    return printable


def format_summary(result: dict[str, Any]) -> str:
    """The run result as a few human lines."""
    status = _status_text(result)
    mode = " (dry run: nothing written)" if result["dry_run"] else ""
    loading = result["loading"]
    verb = "would load" if result["dry_run"] else "loaded"
    lines = [
        f"{result['pipeline']}: {status}{mode} in {result['duration_seconds']:.2f}s",
        f"  extracted {result['extraction']['total_records']}"
        f" · transformed {result['transformation']['total_records']}"
        f" · filtered {result['transformation']['filtered']}"
        f" · {verb} {loading['total_records']}"
        f" (inserted {loading['inserted']}, updated {loading['updated']})"
        f" · dead-lettered {result['dead_lettered']}",
    ]
    for reason, count in sorted(result["dlq_by_reason"].items()):
        lines.append(f"  dead letters: {reason}: {count}")
    if result["transformation"]["warnings"]:
        lines.append(f"  warnings: {result['transformation']['warnings']} (values kept as they were)")
    if result.get("partitions"):
        lines.append(f"  partitions: {len(result['partitions'])}")
    for warning in result.get("warnings") or []:
        lines.append(f"  note: {warning}")
    for failed in result["failed_batches"]:
        lines.append(f"  batch {failed['batch_index']} failed at {failed['stage']}: {failed['error']}")
    if result["error"] and not result["failed_batches"]:
        lines.append(f"  error: {result['error']}")
    return "\n".join(lines)


def format_problems(problems: list[Any]) -> str:
    """Config problems, one per line, errors first."""
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.file or "", p.line or 0))
    return "\n".join(f"{p.severity}: {p}" for p in ordered)
