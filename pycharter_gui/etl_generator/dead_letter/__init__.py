"""Dead-letter queue: records that failed, kept with their error so the run can go on.

Public: :class:`DeadLetterQueue`, :class:`DeadLetterRecord`, :class:`DLQReason`,
:class:`DLQStatus`, :class:`DLQFilter`, :class:`DeadLetterWriteError` (a write failed; the
records are in the fallback file it names), and the backend interface :class:`DLQBackend` with
:func:`register_backend` for adding storage (e.g. a server database); :func:`configured_queue`
(the queue a pipeline's ``load.yaml`` names) and :func:`open_dead_letter_file`.
"""

from __future__ import annotations

from .backends import DLQBackend, register_backend, registered_backends
from .configured import configured_queue
from .fallback import DeadLetterWriteError
from .query import DLQFilter
from .queue import DeadLetterQueue
from .records import DeadLetterRecord, DLQReason, DLQStatus
from .stores import open_dead_letter_file

__all__ = [
    "DLQBackend",
    "DLQFilter",
    "DLQReason",
    "DLQStatus",
    "DeadLetterQueue",
    "DeadLetterRecord",
    "DeadLetterWriteError",
    "configured_queue",
    "open_dead_letter_file",
    "register_backend",
    "registered_backends",
]
