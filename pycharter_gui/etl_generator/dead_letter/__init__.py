"""Dead-letter queue: records that failed, kept with their error so the run can go on.

Public: :class:`DeadLetterQueue`, :class:`DeadLetterRecord`, :class:`DLQReason`,
:class:`DLQStatus`, :class:`DLQFilter`, :class:`DeadLetterWriteError` (a write failed; the
records are in the fallback file it names), and the backend interface :class:`DLQBackend` with
:func:`register_backend` for adding storage (e.g. a server database).
"""

from __future__ import annotations

from .backends import DLQBackend, register_backend, registered_backends
from .fallback import DeadLetterWriteError
from .query import DLQFilter
from .queue import DeadLetterQueue
from .records import DeadLetterRecord, DLQReason, DLQStatus

__all__ = [
    "DLQBackend",
    "DLQFilter",
    "DLQReason",
    "DLQStatus",
    "DeadLetterQueue",
    "DeadLetterRecord",
    "DeadLetterWriteError",
    "register_backend",
    "registered_backends",
]
