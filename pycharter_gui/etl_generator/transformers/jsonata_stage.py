"""JSONata stage (config-format §4.5) with per-record dead-lettering instead of aborting.

A compiled ``jsonata.Jsonata`` instance keeps evaluation state, so each thread gets its own
instance (compiled lazily from the already validated expression). Record mode evaluates the
common subset column by column (``jsonata_columnar``) and uses the interpreter only for the
records that subset cannot decide exactly.
"""

from __future__ import annotations

import threading
import traceback as tb
from typing import Any

from ..errors import ConfigError, ConfigProblem
from .results import TRANSFORMATION_ERROR, RejectedRecord, TransformResult, count_reshape

STEP = "jsonata"


def describe_jsonata_error(exc: BaseException) -> str:
    """JSONata's error text with its code and position when the library gives them."""
    text = str(exc)
    code = getattr(exc, "error", None)
    location = getattr(exc, "location", None)
    if code:
        text = f"{code}: {text}"
    if isinstance(location, int) and location >= 0:
        text += f" (at position {location})"
    return text


def _jsonata() -> Any:
    """The jsonata module, imported when a pipeline first uses JSONata (~30 ms saved otherwise)."""
    import jsonata

    return jsonata


class JsonataStage:
    """The compiled JSONata step: ``apply(records, result) -> records``."""

    def __init__(self, expression: str, mode: str = "batch") -> None:
        self.expression = expression
        self.mode = (mode or "batch").lower()
        if self.mode not in ("batch", "record"):
            raise ConfigError([ConfigProblem(
                file=None, key="jsonata.mode",
                message=f"unknown JSONata mode {mode!r}", hint="use 'batch' or 'record'")])
        try:
            first = _jsonata().Jsonata(expression)
        except Exception as exc:
            raise ConfigError([ConfigProblem(
                file=None, key="jsonata.expression",
                message=f"invalid JSONata expression: {describe_jsonata_error(exc)}")]) from exc
        self._local = threading.local()
        self._local.expr = first
        self._columnar = None
        if self.mode == "record":
            from .jsonata_columnar import compile_columnar

            self._columnar = compile_columnar(first)

    def _expr(self) -> Any:
        expr = getattr(self._local, "expr", None)
        if expr is None:
            expr = self._local.expr = _jsonata().Jsonata(self.expression)
        return expr

    def _reject(self, index: int | None, record: Any, message: str, exc: BaseException | None,
                error_type: str = "JsonataError") -> RejectedRecord:
        return RejectedRecord(
            index=index, record=record, step=STEP, reason=TRANSFORMATION_ERROR,
            message=message, error_type=type(exc).__name__ if exc else error_type,
            traceback=tb.format_exc() if exc else None,
        )

    def apply(self, records: list[dict[str, Any]], indices: list[int],
              result: TransformResult) -> tuple[list[dict[str, Any]], list[int | None]]:
        """Transform ``records`` (``indices`` = their input positions); update ``result``."""
        if self.mode == "record":
            return self._apply_record(records, indices, result)
        return self._apply_batch(records, indices, result)

    def _apply_record(self, records, indices, result):
        expr = self._expr()
        out: list[dict[str, Any]] = []
        out_idx: list[int | None] = []
        from .jsonata_columnar import UNDEFINED, UNSAFE  # loaded with jsonata already

        values = (self._columnar(records) if self._columnar is not None
                  else [UNSAFE] * len(records))
        for record, index, value in zip(records, indices, values, strict=True):
            if value is UNDEFINED:
                value = None
            elif value is UNSAFE:
                try:
                    value = expr.evaluate(record)
                except Exception as exc:
                    result.rejected.append(self._reject(
                        index, record, f"JSONata error: {describe_jsonata_error(exc)}", exc))
                    continue
            if value is None:
                result.filtered += 1
            elif isinstance(value, dict):
                out.append(value)
                out_idx.append(index)
            else:
                result.rejected.append(self._reject(
                    index, record,
                    f"JSONata result is a {type(value).__name__}, not an object: {value!r:.200}",
                    None, "TypeError"))
        return out, out_idx

    def _apply_batch(self, records, indices, result):
        """Evaluate the expression once over the batch array.

        If that raises, each record is evaluated alone (as a one-element array) to find the
        records that fail; those are dead-lettered and the expression is evaluated again over
        the *remaining* records, so aggregates (``$sum``, grouping) stay batch-wide over the
        records that are kept. If no single record fails on its own, or the retry still fails,
        the error comes from the combination and every record of the batch is dead-lettered
        with that error: nothing is silently dropped and no half-aggregated result is emitted.
        """
        expr = self._expr()
        try:
            value = expr.evaluate(list(records))
        except Exception as exc:
            first_error = exc
            good: list[dict[str, Any]] = []
            for record, index in zip(records, indices, strict=True):
                try:
                    expr.evaluate([record])
                except Exception as rec_exc:
                    result.rejected.append(self._reject(
                        index, record, f"JSONata error: {describe_jsonata_error(rec_exc)}",
                        rec_exc))
                else:
                    good.append(record)
            if len(good) == len(records):
                return self._reject_all(records, indices, result, first_error)
            try:
                value = expr.evaluate(good) if good else None
            except Exception as retry_exc:
                good_ids = {id(r) for r in good}
                kept = [(r, i) for r, i in zip(records, indices, strict=True) if id(r) in good_ids]
                return self._reject_all([r for r, _ in kept], [i for _, i in kept],
                                        result, retry_exc)
            records = good
        return self._batch_output(len(records), value, result)

    def _reject_all(self, records, indices, result, exc):
        message = ("JSONata error over the whole batch (no single record fails alone): "
                   f"{describe_jsonata_error(exc)}")
        trace = "".join(tb.format_exception(exc))
        for record, index in zip(records, indices, strict=True):
            result.rejected.append(RejectedRecord(
                index, record, STEP, TRANSFORMATION_ERROR, message, type(exc).__name__,
                traceback=trace))
        return [], []

    def _batch_output(self, n_in: int, value: Any, result: TransformResult):
        items = [] if value is None else value if isinstance(value, list) else [value]
        out: list[dict[str, Any]] = []
        for pos, item in enumerate(items):
            if isinstance(item, dict):
                out.append(item)
            else:
                result.rejected.append(self._reject(
                    None, item,
                    f"JSONata batch result item {pos} is a {type(item).__name__}, "
                    f"not an object: {item!r:.200}", None, "TypeError"))
        count_reshape(n_in, len(items), result)
        return out, [None] * len(out)

