"""Writes one batch into a table inside the caller's transaction, with fast executemany paths
and a binary split that isolates the rows the database rejects.

The writer never commits: the load session (or ``load_data``) commits or, in a dry run, rolls
back, so a batch is always exactly one transaction. Savepoints scope each attempt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, StatementError

from ..errors import ConfigError, ConfigProblem, LoadError, TransientLoadError
from ..loaders.base import BatchLoadResult, RejectedRow
from .bulk_writes import (
    ColumnRows,
    can_raw_insert,
    can_raw_upsert,
    can_stage_upsert,
    fast_insert,
    raw_insert,
    raw_insert_sql,
    raw_stage_upsert,
    stage_upsert,
    upsert_statement,
)
from .connect import classify_db_error
from .dialects import begin_write, encoders_for

WRITE_METHODS = ("insert", "upsert", "truncate_and_load", "replace", "update", "delete")
KEYED_METHODS = ("upsert", "replace", "update", "delete")
_ALIASES = {"append": "insert", "merge": "upsert", "truncate": "truncate_and_load"}
_KEY_QUERY_CHUNK = 500

Item = tuple[int, dict[str, Any]]  # (index in batch, encoded record)
# value types that no column encoder changes (temporal columns still parse ``str``)
_PLAIN = frozenset({int, float, str, type(None), bool, bytes})
_FLOATS = frozenset({float, type(None)})
_TEMPORAL_TYPES = frozenset({dt.datetime, dt.date, dt.time})
_PLAIN_OR_TEMPORAL = _PLAIN | _TEMPORAL_TYPES
# Arrow temporal columns whose Python values are built once per distinct value (by_distinct)
DISTINCT_TYPES = ("date32[day]", "timestamp[us]")


def by_distinct(array: Any, proc: Any) -> list[Any]:
    """``list(map(proc, array.to_pylist()))`` for a date/timestamp Arrow column, calling
    ``proc`` once per distinct value (a batch of dates has few). The distinct values are built
    by pyarrow itself: numpy's temporal conversion would import pandas (~0.2 s of a run)."""
    import numpy as np

    encoded = array.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    results = np.empty(len(distinct) + 1, dtype=object)
    for i, value in enumerate(distinct):
        results[i] = proc(value)
    results[len(distinct)] = proc(None)
    return results[_positions(encoded.indices, len(distinct))].tolist()


def _positions(indices: Any, null_position: int) -> Any:
    """A dictionary's int32 indices as a numpy array, nulls at ``null_position``. Read from the
    buffers: pyarrow's ``to_numpy`` and ``pa.scalar`` import pandas (~0.2 s of a run)."""
    import numpy as np

    start, n = indices.offset, len(indices)
    validity, data = indices.buffers()[:2]
    positions = np.frombuffer(data, dtype=np.int32)[start:start + n]
    if indices.null_count:
        bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        positions = np.where(bits[start:start + n].astype(bool), positions, null_position)
    return positions


def _is_uniform(records: Sequence[dict[str, Any]]) -> bool:
    """True when every record has exactly the keys of the first (checked at C speed)."""
    n = len(records[0])
    return sum(map(len, records)) == n * len(records) and len(set().union(*records)) == n


def check_write_method(write_method: str | None, primary_key: Sequence[str] | None,
                       *, file: str | None = "load.yaml") -> tuple[str, list[str]]:
    """Validate the write method and key; returns (method, primary_key list)."""
    method = _ALIASES.get(str(write_method or "insert").lower(), str(write_method or "insert"))
    method = method.lower()
    if method not in WRITE_METHODS:
        raise ConfigError([ConfigProblem(file=file, key="write_method",
                                         message=f"unknown write method '{write_method}'",
                                         hint="use one of: " + ", ".join(WRITE_METHODS))])
    keys = [primary_key] if isinstance(primary_key, str) else list(primary_key or [])
    if method in KEYED_METHODS and not keys:
        raise ConfigError([ConfigProblem(file=file, key="primary_key",
                                         message=f"write_method '{method}' needs a primary_key",
                                         hint="name the key column(s), e.g. primary_key: [id]")])
    return method, keys


_TEMPORAL = ("datetime", "date", "time")


def _python_type(col_type: sa.types.TypeEngine) -> str | None:
    try:
        return col_type.python_type.__name__
    except NotImplementedError:
        return None


class TableWriter:
    """Writes batches into one reflected table with one write method."""

    def __init__(self, table: sa.Table, *, write_method: str, primary_key: Sequence[str],
                 update_columns: Sequence[str] | None, target: str) -> None:
        self.table = table
        self.method = "insert" if write_method == "truncate_and_load" else write_method
        self.primary_key = list(primary_key)
        self.update_columns = list(update_columns) if update_columns else None
        self.target = target
        self._encoders = encoders_for(table)
        self._temporal = {c.name for c in table.columns if _python_type(c.type) in _TEMPORAL}
        self._processors: dict[str, Any] = {}  # column -> SQLAlchemy bind processor (or None)
        missing = [k for k in self.primary_key if k not in table.c]
        if missing:
            raise LoadError(f"primary_key column(s) {', '.join(missing)} not found in {target}",
                            target=target)

    # ---- public ------------------------------------------------------------------------
    def write(self, conn: Connection, records: Sequence[dict[str, Any]]) -> BatchLoadResult:
        """Write ``records`` in ``conn``'s open transaction; the caller commits or rolls back."""
        begin_write(conn)
        result = BatchLoadResult()
        if not records:
            return result
        uniform = _is_uniform(records)
        keys = set(records[0]) if uniform else {k for r in records for k in r}
        unknown = sorted(keys - set(self.table.c.keys()))
        if unknown:
            raise LoadError(
                f"{self.target} has no column(s) {', '.join(unknown)}; table columns are "
                f"{', '.join(self.table.c.keys())}. Rename or drop those fields in the "
                "transform, or let load.yaml create_table a new table.", target=self.target)
        if uniform and self.method == "insert" and can_raw_insert(conn, self.table, list(records[0])):
            fast = self._plain_rows(conn, list(records[0]), records)
            if fast is not None:
                self._apply_raw(conn, fast[0], fast[1], 0, len(records), records, result)
                result.rejected.sort(key=lambda r: r.index)
                return result
        if (uniform and self.method == "upsert" and can_raw_upsert(conn)
                and self._raw_upsert(conn, list(records[0]), records, result)):
            return result
        groups: dict[tuple[str, ...], list[Item]] = {}
        for index, rec in enumerate(records):
            if self.method in KEYED_METHODS:
                absent = [k for k in self.primary_key if rec.get(k) is None]
                if absent:
                    result.rejected.append(RejectedRow(
                        index, rec, f"primary key {', '.join(absent)} is missing or null",
                        "MissingKey", absent[0]))
                    continue
            encoded = {k: self._encoders[k](v) for k, v in rec.items()}
            groups.setdefault(tuple(encoded), []).append((index, encoded))
        for cols, items in groups.items():
            self._apply(conn, list(cols), items, records, result)
        result.rejected.sort(key=lambda r: r.index)
        return result

    # ---- fast inserts: positional rows into sqlite3's executemany or PostgreSQL's COPY ----
    def _processor(self, dialect: Any, name: str) -> Any:
        if name not in self._processors:
            col_type = self.table.c[name].type
            self._processors[name] = col_type.dialect_impl(dialect).bind_processor(dialect)
        return self._processors[name]

    def write_columns(self, conn: Connection, cols: list[str], columns: list[list[Any]],
                      originals: Sequence[dict[str, Any]],
                      kinds: Sequence[frozenset[type] | None] | None = None,
                      arrays: Sequence[Any] | None = None,
                      rows: Sequence[tuple[Any, ...]] | None = None) -> BatchLoadResult | None:
        """Insert a batch given column by column (the columnar path: no dicts are built) in
        ``conn``'s open transaction; ``originals`` gives a rejected row's record; ``arrays``
        the Arrow column each list came from, when known; ``rows`` what :meth:`plain_columns`
        already made of them on another thread, if anything. None when the raw path
        (``bulk_writes.can_raw_insert``) does not apply; the caller then uses :meth:`write` with
        records."""
        if (self.method != "insert" or not columns or not columns[0]
                or not set(cols) <= set(self.table.c.keys())
                or not can_raw_insert(conn, self.table, cols)):
            return None
        if rows is None:
            rows = self.plain_columns(conn.dialect, cols, columns, kinds, arrays)
        if rows is None:
            return None
        begin_write(conn)
        result = BatchLoadResult()
        self._apply_raw(conn, self._insert_sql(conn, cols), rows, 0, len(rows), originals, result)
        result.rejected.sort(key=lambda r: r.index)
        return result

    def _plain_rows(self, conn: Connection, cols: list[str], records: Sequence[dict[str, Any]]
                    ) -> tuple[str, Sequence[tuple[Any, ...]]] | None:
        """The INSERT text and the rows as tuples, encoded and bind-processed as the SQLAlchemy
        path would; None when some value needs the general path (it reports errors per row)."""
        columns = [list(map(itemgetter(name), records)) for name in cols]
        rows = self.plain_columns(conn.dialect, cols, columns)
        if rows is None:
            return self._encoded_rows(conn, cols, records)
        return self._insert_sql(conn, cols), rows

    def plain_columns(self, dialect: Any, cols: list[str], columns: list[list[Any]],
                      known_kinds: Sequence[frozenset[type] | None] | None = None,
                      arrays: Sequence[Any] | None = None) -> Sequence[tuple[Any, ...]] | None:
        """Rows as tuples from plain column values, bind-processed for ``dialect`` where a
        column needs it; None when some value is not plain (the encoders must see it).
        ``known_kinds`` gives a column's value types when its source already knows them (an
        Arrow column's type). ``columns`` is changed in place. Needs no connection, so the
        columnar path runs it ahead of the write.

        date/datetime/time values are plain too: the encoders pass them through unchanged
        (they only parse ``str`` in temporal columns), so the column's bind processor (SQLite:
        ISO text) or the driver (psycopg) sees exactly what the per-row path gives it. A
        temporal Arrow column is processed once per distinct value."""
        try:
            for pos, name in enumerate(cols):
                values = columns[pos]
                known = known_kinds[pos] if known_kinds is not None else None
                kinds = known if known is not None else set(map(type, values))
                if not kinds <= _PLAIN_OR_TEMPORAL or (name in self._temporal and str in kinds):
                    return None
                proc = self._processor(dialect, name)
                if proc is None or (kinds <= _FLOATS
                                    and isinstance(self.table.c[name].type, (sa.Float, sa.Numeric))):
                    continue  # to_float(float) changes nothing
                array = arrays[pos] if arrays is not None else None
                if str(getattr(array, "type", "")) in DISTINCT_TYPES and len(values) > 64:
                    columns[pos] = by_distinct(array, proc)
                else:
                    columns[pos] = list(map(proc, values))
        except Exception:  # any surprise: the general path reports it per row
            return None
        return ColumnRows(columns)

    def _encoded_rows(self, conn: Connection, cols: list[str], records: Sequence[dict[str, Any]]
                      ) -> tuple[str, list[tuple[Any, ...]]] | None:
        """Rows through each column's encoder, then its bind processor (column by column)."""
        try:
            columns = []
            for name in cols:
                values = list(map(self._encoders[name], map(itemgetter(name), records)))
                proc = self._processor(conn.dialect, name)
                columns.append(values if proc is None else list(map(proc, values)))
        except Exception:  # any surprise: the general path reports it per row
            return None
        return self._insert_sql(conn, cols), list(zip(*columns, strict=True))

    def _insert_sql(self, conn: Connection, cols: list[str]) -> str:
        return raw_insert_sql(conn, self.table, cols)

    def _apply_raw(self, conn: Connection, sql: str, rows: Sequence[tuple[Any, ...]], lo: int,
                   hi: int, originals: Sequence[dict[str, Any]], result: BatchLoadResult) -> None:
        """Insert ``rows[lo:hi]`` in a savepoint; on failure split in halves like ``_apply``."""
        try:
            with conn.begin_nested():
                raw_insert(conn, sql, rows[lo:hi] if (lo, hi) != (0, len(rows)) else rows)
        except StatementError as exc:
            self._raise_if_systemic(exc)
            if hi - lo == 1:
                orig = getattr(exc, "orig", None)
                message = str(orig if orig is not None else exc).strip().splitlines()[0]
                result.rejected.append(RejectedRow(lo, originals[lo], message,
                                                   type(exc).__name__))
                return
            mid = (lo + hi) // 2
            self._apply_raw(conn, sql, rows, lo, mid, originals, result)
            self._apply_raw(conn, sql, rows, mid, hi, originals, result)
            return
        result.inserted += hi - lo

    # ---- split on failure --------------------------------------------------------------
    def _apply(self, conn: Connection, cols: list[str], items: list[Item],
               originals: Sequence[dict[str, Any]], result: BatchLoadResult) -> None:
        try:
            with conn.begin_nested():
                inserted, updated, unmatched = self._write_chunk(conn, cols, items)
        except StatementError as exc:
            self._raise_if_systemic(exc)
            if len(items) == 1:
                index = items[0][0]
                orig = getattr(exc, "orig", None)
                message = str(orig if orig is not None else exc).strip().splitlines()[0]
                result.rejected.append(RejectedRow(index, originals[index], message,
                                                   type(exc).__name__))
                return
            mid = len(items) // 2
            self._apply(conn, cols, items[:mid], originals, result)
            self._apply(conn, cols, items[mid:], originals, result)
            return
        result.inserted += inserted
        result.updated += updated
        verb = "update" if self.method == "update" else "delete"
        for index in unmatched:
            keys = {k: originals[index].get(k) for k in self.primary_key}
            result.rejected.append(RejectedRow(
                index, originals[index], f"no row in {self.target} has key {keys}; "
                f"nothing to {verb}", "NoMatchingRow"))

    def _raw_upsert(self, conn: Connection, cols: list[str], records: Sequence[dict[str, Any]],
                    result: BatchLoadResult) -> bool:
        """The whole batch through ``raw_stage_upsert`` in a savepoint; False (nothing
        written) when it does not apply or the database refuses a row: the general path then
        reports missing keys and isolates the rejected rows."""
        keys = [tuple(rec.get(k) for k in self.primary_key) for rec in records]
        if (any(v is None for key in keys for v in key)
                or len({tuple(map(str, key)) for key in keys}) != len(keys)):
            return False
        fast = self._plain_rows(conn, cols, records)
        if fast is None:
            return False
        try:
            with conn.begin_nested():
                inserted, updated = raw_stage_upsert(conn, self.table, cols, fast[1],
                                                        self.primary_key, self.update_columns)
        except StatementError as exc:
            self._raise_if_systemic(exc)
            return False
        result.inserted += inserted
        result.updated += updated
        return True

    def _raise_if_systemic(self, exc: StatementError) -> None:
        """Connection loss, timeouts and locks fail the whole batch, never single rows."""
        if not isinstance(exc, DBAPIError):
            return
        problem = classify_db_error(exc)
        if exc.connection_invalidated or problem.retriable:
            raise TransientLoadError(f"Writing to {self.target} failed: {problem.message}",
                                     target=self.target) from exc

    # ---- one attempt -------------------------------------------------------------------
    def _write_chunk(self, conn: Connection, cols: list[str],
                     items: list[Item]) -> tuple[int, int, list[int]]:
        rows = [rec for _, rec in items]
        table = self.table
        if self.method == "insert":
            fast_insert(conn, table, cols, rows)
            return len(rows), 0, []
        if self.method == "upsert" and can_stage_upsert(conn, rows, self.primary_key):
            inserted, updated = stage_upsert(conn, table, cols, rows, self.primary_key,
                                             self.update_columns)
            return inserted, updated, []
        existing = self._existing_keys(conn, rows)
        if self.method in ("upsert", "replace"):
            inserted = updated = 0
            seen = set(existing)
            for rec in rows:
                key = self._key(rec)
                if key in seen:
                    updated += 1
                else:
                    inserted += 1
                    seen.add(key)
            if self.method == "upsert":
                conn.execute(upsert_statement(table, cols, self.primary_key,
                                              self.update_columns), rows)
            else:
                conn.execute(sa.delete(table).where(self._key_clause(rows)))
                fast_insert(conn, table, cols, rows)
            return inserted, updated, []
        matched = [(i, r) for i, r in items if self._key(r) in existing]
        unmatched = [i for i, r in items if self._key(r) not in existing]
        if self.method == "update":
            set_cols = [c for c in cols if c not in self.primary_key
                        and (self.update_columns is None or c in self.update_columns)]
            if matched and set_cols:
                stmt = sa.update(table).where(
                    sa.and_(*[table.c[k] == sa.bindparam(f"_pk_{k}") for k in self.primary_key])
                ).values({c: sa.bindparam(f"_v_{c}") for c in set_cols})
                conn.execute(stmt, [{**{f"_pk_{k}": r[k] for k in self.primary_key},
                                     **{f"_v_{c}": r[c] for c in set_cols}}
                                    for _, r in matched])
        elif matched:  # delete
            conn.execute(sa.delete(table).where(self._key_clause([r for _, r in matched])))
        return 0, len(matched), unmatched

    def _key(self, rec: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(rec.get(k)) for k in self.primary_key)

    def _key_clause(self, rows: Sequence[dict[str, Any]]) -> Any:
        if len(self.primary_key) == 1:
            col = self.table.c[self.primary_key[0]]
            return col.in_([r[self.primary_key[0]] for r in rows])
        return sa.tuple_(*[self.table.c[k] for k in self.primary_key]).in_(
            [tuple(r[k] for k in self.primary_key) for r in rows])

    def _existing_keys(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> set:
        found: set[tuple[str, ...]] = set()
        cols = [self.table.c[k] for k in self.primary_key]
        for start in range(0, len(rows), _KEY_QUERY_CHUNK):
            part = rows[start:start + _KEY_QUERY_CHUNK]
            for row in conn.execute(sa.select(*cols).where(self._key_clause(part))):
                found.add(tuple(str(v) for v in row))
        return found


__all__ = ["KEYED_METHODS", "WRITE_METHODS", "TableWriter", "check_write_method"]
