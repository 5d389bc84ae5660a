"""DLQ test helpers: a fixed set of dead letters with known fields and timestamps."""

from __future__ import annotations

from datetime import datetime, timedelta

from pycharter_gui.etl_generator.dead_letter import DeadLetterQueue, DeadLetterRecord, DLQReason

BASE_TIME = datetime(2024, 1, 1, 12, 0, 0)
REASONS = [
    DLQReason.EXTRACTION_ERROR,
    DLQReason.TRANSFORMATION_ERROR,
    DLQReason.VALIDATION_ERROR,
    DLQReason.LOAD_ERROR,
]
STAGES = ["extract", "transform", "validate", "load"]


def make_records(n: int = 30) -> list[DeadLetterRecord]:
    """n records: pipelines, reasons, stages, runs and texts vary in a known pattern."""
    out = []
    for i in range(n):
        out.append(
            DeadLetterRecord(
                pipeline_name="orders" if i % 3 else "customers",
                record_data={"n": i, "name": f"Item-{i}", "city": "Zürich" if i == 7 else "Paris"},
                reason=REASONS[i % 4],
                error_message="Missing field PRICE" if i % 5 == 0 else f"bad value in row {i}",
                error_type="ValueError" if i % 2 else "KeyError",
                stage=STAGES[i % 4],
                metadata={"run_id": "run-a" if i < 15 else "run-b", "batch_index": i // 10,
                          "record_index": i % 10},
                timestamp=(BASE_TIME + timedelta(minutes=i)).isoformat(timespec="microseconds"),
            )
        )
    return out


BACKENDS = ["memory", "file", "sqlite"]


def open_queue(backend: str, tmp_path, **kw) -> DeadLetterQueue:
    path = {"memory": None, "file": tmp_path / "dlq.jsonl", "sqlite": tmp_path / "dlq.sqlite"}[backend]
    return DeadLetterQueue(storage_backend=backend, storage_path=path, **kw)
