"""Python and numpy values as Arrow scalars and arrays built from buffers.

pyarrow imports pandas (~0.2 s of CPU, mid-run on a worker thread) the first time it converts a
Python value (``pa.scalar``, ``pa.array``, a Python operand of a compute function) or calls
``to_numpy``; the Arrow-only paths (columnar ops, filters, the contract's column screen, JSONata
results) use these instead, so a run that never needs pandas does not load it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

TIMESTAMP = pa.timestamp("us")
_INT64 = (-(2 ** 63), 2 ** 63)


def arrow_scalar(value: Any) -> pa.Scalar:
    """``pa.scalar(value)`` (a datetime as TIMESTAMP), built from buffers for str/bool/int/float."""
    kind = type(value)
    if kind is str:
        data = value.encode("utf-8")
        offsets = np.array([0, len(data)], np.int32)
        return pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(offsets),
                                                      pa.py_buffer(data)])[0]
    if kind is bool:
        return pa.Array.from_buffers(pa.bool_(), 1, [None, pa.py_buffer(bytes([value]))])[0]
    if kind is int and _INT64[0] <= value < _INT64[1]:
        return pa.Array.from_buffers(pa.int64(), 1, [None, pa.py_buffer(np.array([value], np.int64))])[0]
    if kind is float:
        return pa.Array.from_buffers(pa.float64(), 1, [None, pa.py_buffer(np.array([value], np.float64))])[0]
    return pa.scalar(value, TIMESTAMP) if isinstance(value, datetime) else pa.scalar(value)


def array_from_numpy(data: np.ndarray, arrow_type: pa.DataType,
                     missing: np.ndarray | None = None) -> pa.Array:
    """An Arrow array over a numpy array's buffer (bools bit-packed), null where ``missing``;
    no pyarrow conversion of Python or numpy values, which would import pandas."""
    if arrow_type == pa.bool_():
        buffer = pa.py_buffer(np.packbits(data, bitorder="little"))
    else:
        buffer = pa.py_buffer(np.ascontiguousarray(data))
    if missing is None or not missing.any():
        return pa.Array.from_buffers(arrow_type, len(data), [None, buffer])
    validity = pa.py_buffer(np.packbits(~missing, bitorder="little"))
    return pa.Array.from_buffers(arrow_type, len(data), [validity, buffer],
                                 null_count=int(np.count_nonzero(missing)))


FALSE = arrow_scalar(False)
TRUE = arrow_scalar(True)

__all__ = ["FALSE", "TIMESTAMP", "TRUE", "array_from_numpy", "arrow_scalar"]
