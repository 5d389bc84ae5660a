"""``load_data``: pycharter's one-call load of records into an existing table, on a caller's
engine, connection or session (the same thread, as a DBAPI connection requires) or on a
``DatabaseLoadSession`` opened from a URL; each batch commits on its own."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection, Engine

from ..errors import LoadError
from ..loaders.base import BatchLoadResult
from .dialects import begin_write, clear_table, dialect_name, effective_schema
from .load import DatabaseLoadSession
from .tables import describe_target, missing_table_error, reflect_table
from .writer import TableWriter, check_write_method


async def load_data(
    data: Sequence[dict[str, Any]],
    session: Any = None,
    schema_name: str | None = None,
    table_name: str | None = None,
    write_method: str = "insert",
    primary_key: str | Sequence[str] | None = None,
    batch_size: int = 1000,
    db_type: str | None = None,
    url: str | None = None,
    update_columns: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Load ``data`` into ``table_name``; returns ``{total, inserted, updated, rejected}``.

    ``session`` may be a SQLAlchemy ``Session``/``Connection``/``Engine`` (sync ones are used
    on the calling thread, since a DBAPI connection must not change threads) or an
    ``AsyncSession``/``AsyncConnection``; otherwise pass ``url``. Each batch is committed on
    its own. ``rejected`` lists ``{index, record, message, error_type}`` per refused row.
    ``db_type`` is accepted for compatibility; the dialect comes from the connection.
    """
    if not table_name:
        raise LoadError("load_data needs table_name")
    method, keys = check_write_method(write_method, primary_key, file=None)
    records = list(data)
    if session is None:
        if not url:
            raise LoadError("load_data needs a session or a url")
        cfg = {"url": url, "table": table_name, "schema_name": schema_name,
               "write_method": method, "primary_key": keys, "update_columns": update_columns}
        load_session = DatabaseLoadSession(cfg, dry_run=False, run_key="load_data")
        summary = {"total": len(records), "inserted": 0, "updated": 0, "rejected": []}
        await load_session.open()
        try:
            for start in range(0, len(records), max(1, batch_size)):
                res = await load_session.write_batch(records[start:start + batch_size], start)
                _accumulate(summary, res, start)
        except BaseException:
            await load_session.abort()
            raise
        await load_session.commit()
        return summary

    def run(conn_or_session: Any) -> dict[str, Any]:
        return _load_on(conn_or_session, records, table_name, schema_name, method, keys,
                        update_columns, batch_size)

    run_sync = getattr(session, "run_sync", None)
    if run_sync is not None and asyncio.iscoroutinefunction(run_sync):
        return await run_sync(run)
    return run(session)


def _accumulate(summary: dict[str, Any], res: BatchLoadResult, offset: int) -> None:
    summary["inserted"] += res.inserted
    summary["updated"] += res.updated
    summary["rejected"] += [{"index": offset + r.index, "record": r.record, "message": r.message,
                             "error_type": r.error_type} for r in res.rejected]


def _load_on(target: Any, records: list[dict[str, Any]], table_name: str,
             schema_name: str | None, method: str, keys: list[str],
             update_columns: Sequence[str] | None, batch_size: int) -> dict[str, Any]:
    """Synchronous core of ``load_data`` on a caller's Engine, Connection or Session."""
    if isinstance(target, Engine):
        with target.connect() as conn:
            return _load_on(conn, records, table_name, schema_name, method, keys,
                            update_columns, batch_size)
    conn: Connection = target.connection() if hasattr(target, "get_bind") else target
    backend = dialect_name(conn.dialect)
    schema = effective_schema(backend, schema_name)
    where = describe_target(table_name, schema, str(conn.engine.url))
    table = reflect_table(conn, table_name, schema, backend, where)
    if table is None:
        raise missing_table_error(where)
    writer = TableWriter(table, write_method=method, primary_key=keys,
                         update_columns=update_columns, target=where)
    summary: dict[str, Any] = {"total": len(records), "inserted": 0, "updated": 0,
                               "rejected": []}
    if method == "truncate_and_load":
        begin_write(conn)
        clear_table(conn, table)
    for start in range(0, len(records), max(1, batch_size)):
        res = writer.write(conn, records[start:start + batch_size])
        target.commit()
        _accumulate(summary, res, start)
    if not records:
        target.commit()
    return summary


__all__ = ["load_data"]
