"""The target table of a load: its description, reflection, and the records that decide the
column types when the load creates it."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, NoSuchTableError

from ..errors import LoadError
from .engine import classify_db_error, mask_url


def describe_target(table: str, schema: str | None, url: str) -> str:
    """``table "x" in sqlite:///…`` with the password masked."""
    name = f"{schema}.{table}" if schema else table
    return f"table '{name}' in {mask_url(url)}"


def reflect_table(conn: Connection, table: str, schema: str | None, backend: str,
                  target: str) -> sa.Table | None:
    """The target table (reflected once per run), or None when it does not exist."""
    try:
        reflected = sa.Table(table, sa.MetaData(), autoload_with=conn, schema=schema)
    except NoSuchTableError:
        return None
    except DBAPIError as exc:
        raise LoadError(f"Cannot read the definition of {target}: "
                        f"{classify_db_error(exc).message}", target=target) from exc
    reflected.info["backend"] = backend
    return reflected


def missing_table_error(target: str) -> LoadError:
    return LoadError(
        f"The target {target} does not exist. Create it first, or set create_table: true in "
        "load.yaml to create it from the records.", target=target)


def type_samples(records: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """Few records that infer the same column types as ``records`` (one value per distinct
    Python type per column; type inference depends only on the set of types and key order).

    Used when every record has the same keys in the same order; otherwise ``records``."""
    if not records:
        return records
    keys = tuple(records[0])
    if any(tuple(r) != keys for r in records):
        return records
    samples: dict[str, list[Any]] = {}
    for key in keys:
        values = list(map(itemgetter(key), records))
        kinds = set(map(type, values)) - {type(None)}
        samples[key] = [next(v for v in values if type(v) is kind) for kind in kinds]
    depth = max((len(v) for v in samples.values()), default=0)
    return [{k: (v[i] if i < len(v) else None) for k, v in samples.items()}
            for i in range(max(depth, 1))]


__all__ = ["describe_target", "missing_table_error", "reflect_table", "type_samples"]
