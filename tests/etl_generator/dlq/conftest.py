"""DLQ fixtures: one queue per backend, optionally filled with known records."""

from __future__ import annotations

import pytest
from dlq_helpers import BACKENDS, make_records, open_queue

from pycharter_gui.etl_generator.dead_letter import DeadLetterQueue


@pytest.fixture(params=BACKENDS)
def backend_name(request) -> str:
    return request.param


@pytest.fixture
def queue(backend_name, tmp_path) -> DeadLetterQueue:
    q = open_queue(backend_name, tmp_path)
    yield q
    q.close()


@pytest.fixture
def filled(queue):
    records = make_records()
    assert queue.add_records(records) == len(records)
    return queue, records
