"""Plan the partitions of a source for a distributed run, reading as little as possible.

Each partition is a canonical extract config that reads a disjoint part of the source:

* file glob → one partition per matching file (only the glob is listed);
* cloud prefix/pattern → one partition per object (only the listing is read);
* database table or query with ``partition_by: {column, ranges}`` → key ranges
  ``low <= column < high`` (one ``MIN``/``MAX`` query when ``ranges`` is a number);
* HTTP ``page``/``offset`` pagination with a ``max_pages`` stop condition → page ranges.

Anything else runs as one partition, and the plan says why in ``warnings``.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, ConfigProblem

DEFAULT_RANGES = 4
_LO, _HI = "_pcg_part_lo", "_pcg_part_hi"


@dataclass
class Partition:
    """One independently runnable slice of the source."""

    id: int
    extract: dict[str, Any]
    description: str


@dataclass
class PartitionPlan:
    """The partitions of one run, and why the source was not split when it was not."""

    partitions: list[Partition]
    warnings: list[str] = field(default_factory=list)

    def fingerprint(self) -> list[str]:
        """Descriptions in order: a rerun resumes only when the plan is the same."""
        return [p.description for p in self.partitions]


def _single(extract: dict[str, Any], reason: str | None) -> PartitionPlan:
    warnings = [f"The source runs as one partition: {reason}"] if reason else []
    return PartitionPlan([Partition(0, extract, "whole source")], warnings)


def plan_partitions(extract: dict[str, Any], partitions: int | None = None,
                    max_records: int | None = None,
                    params: dict[str, Any] | None = None) -> PartitionPlan:
    """Split the canonical ``extract`` config; ``partitions`` is the wanted number of ranges
    and ``params`` the run's resolved parameters (SQL bind values of a partitioned query)."""
    if max_records is not None or extract.get("max_records") is not None:
        return _single(extract, "max_records limits the whole run, so it cannot be split.")
    kind = extract.get("type")
    if kind == "file":
        return _plan_files(extract)
    if kind == "cloud_storage":
        return _plan_cloud(extract)
    if kind == "database":
        return _plan_database(extract, partitions, params or {})
    if kind == "http":
        return _plan_http(extract, partitions)
    return _single(extract, f"a '{kind}' source cannot be split.")


# -- files and objects -----------------------------------------------------------------------

def _plan_files(extract: dict[str, Any]) -> PartitionPlan:
    from ..extractors.file import FileExtractor

    files, root = FileExtractor().resolve_files(extract)
    if len(files) <= 1:
        return _single(extract, None if files else "no file matches the glob.")
    parts = []
    for i, path in enumerate(files):
        cfg = {**extract, "path": path}
        parts.append(Partition(i, cfg, os.path.relpath(path, root)))
    return PartitionPlan(parts)


def _plan_cloud(extract: dict[str, Any]) -> PartitionPlan:
    from ..cloud.base import CloudStorageError, as_source_error, get_client, key_selection, storage_location
    from ..extractors.cloud_storage import CloudStorageExtractor

    loc = storage_location(extract)
    if key_selection(loc).key is not None:
        return _single(extract, None)
    client = get_client(loc)
    try:
        objects = CloudStorageExtractor.resolve_objects(client, loc)
    except CloudStorageError as exc:
        raise as_source_error(exc, loc.url(loc.path or loc.prefix or "")) from None
    finally:
        client.close()
    parts = []
    for i, obj in enumerate(objects):
        storage = {**extract["storage"], "path": obj.key, "prefix": None, "pattern": None}
        parts.append(Partition(i, {**extract, "storage": storage}, obj.key))
    return PartitionPlan(parts)


# -- database key ranges ---------------------------------------------------------------------

def _problem(key: str, message: str, hint: str | None = None) -> ConfigError:
    return ConfigError([ConfigProblem(file="extract.yaml", key=key, message=message, hint=hint)])


def _source_sql(extract: dict[str, Any], engine: Any) -> str:
    prep = engine.dialect.identifier_preparer
    if extract.get("table"):
        name = prep.quote(str(extract["table"]))
        schema = extract.get("schema_name")
        return f"{prep.quote_schema(schema)}.{name}" if schema else name
    return f"({str(extract['query']).strip().rstrip(';')}) AS _pcg_src"


def _split(lo: Any, hi: Any, n: int, column: str) -> list[tuple[Any, Any]]:
    """``n`` equal-width [low, high) ranges covering lo..hi; the last one is open-ended."""
    if isinstance(lo, bool) or not isinstance(lo, int | float | dt.date):
        raise _problem("partition_by.column", f"column '{column}' holds {type(lo).__name__} "
                       "values, which cannot be split into equal ranges",
                       "use a numeric or date column, or give explicit ranges")
    if isinstance(lo, int) and isinstance(hi, int):
        n = max(1, min(n, hi - lo + 1))
    step = (hi - lo) / n
    if isinstance(lo, int) and isinstance(hi, int):
        bounds = [lo + int(step * i) for i in range(n)]
    else:
        bounds = [lo + step * i for i in range(n)]
    bounds = sorted(set(bounds))
    return [(b, bounds[i + 1] if i + 1 < len(bounds) else None) for i, b in enumerate(bounds)]


def _plan_database(extract: dict[str, Any], partitions: int | None,
                   params: dict[str, Any]) -> PartitionPlan:
    spec = extract.get("partition_by")
    if not spec:
        return _single(extract, "add partition_by: {column, ranges} to extract.yaml to split "
                       "a table or query into key ranges.")
    if extract.get("incremental"):
        return _single(extract, "incremental extraction reads rows in watermark order.")
    column = str(spec["column"])
    ranges = spec.get("ranges")
    from ..database.connect import create_engine

    engine = create_engine(extract["url"], key="url", file="extract.yaml")
    try:
        source = _source_sql(extract, engine)
        col = engine.dialect.identifier_preparer.quote(column)
        if isinstance(ranges, list):
            bounds = []
            for i, pair in enumerate(ranges):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise _problem(f"partition_by.ranges.{i}", "must be a [low, high] pair",
                                   "e.g. [0, 1000]; null for an open end")
                bounds.append((pair[0], pair[1]))
        else:
            import sqlalchemy as sa

            binds = {**(extract.get("params") or {}), **(extract.get("query_params") or {}),
                     **params}
            stmt = sa.text(f"SELECT MIN({col}), MAX({col}) FROM {source}")
            wanted = set(stmt.compile().params)
            with engine.connect() as conn:
                lo, hi = conn.execute(stmt, {k: v for k, v in binds.items() if k in wanted}).one()
            if lo is None:
                return _single(extract, f"the column '{column}' has no values.")
            n = int(partitions or (ranges if isinstance(ranges, int) else DEFAULT_RANGES))
            bounds = _split(lo, hi, max(1, n), column)
    finally:
        engine.dispose()
    parts = []
    for i, (lo, hi) in enumerate(bounds):
        where, binds = [], {}
        if lo is not None:
            where.append(f"{col} >= :{_LO}")
            binds[_LO] = lo
        if hi is not None:
            where.append(f"{col} < :{_HI}")
            binds[_HI] = hi
        cond = " AND ".join(where)
        if i == 0:  # rows whose key is NULL fall in no range: the first partition takes them
            cond = f"({cond}) OR {col} IS NULL" if cond else ""
        sql = f"SELECT * FROM {source}" + (f" WHERE {cond}" if cond else "")
        cfg = {**extract, "query": sql, "table": None, "partition_by": None,
               "query_params": {**(extract.get("query_params") or {}), **binds}}
        parts.append(Partition(i, cfg, f"{column} in [{lo}, {'' if hi is None else hi})"))
    return PartitionPlan(parts)


# -- HTTP page ranges ------------------------------------------------------------------------

def _plan_http(extract: dict[str, Any], partitions: int | None) -> PartitionPlan:
    pag = extract.get("pagination") or {}
    strategy = pag.get("strategy")
    if not pag.get("enabled") or strategy not in ("page", "offset"):
        return _single(extract, "only page or offset pagination can be split into page ranges.")
    stops = list(pag.get("stop_conditions") or [])
    max_pages = next((int(c["value"]) for c in stops if c.get("type") == "max_pages"), None)
    if not max_pages:
        return _single(extract, "page ranges need a max_pages stop condition (the number of "
                       "pages is not known otherwise).")
    opts = dict(pag.get(strategy) or {})
    start = int(opts.get("start") or 0)
    if strategy == "page":
        step = int(opts.get("increment") or 1)
    else:
        inc = opts.get("increment_by", "limit")
        limit = pag.get("page_size") or (extract.get("params") or {}).get(
            pag.get("limit_param") or "limit")
        step = int(limit) if inc in (None, "limit") and limit else (
            int(inc) if isinstance(inc, int | str) and str(inc).isdigit() else 0)
        if not step:
            return _single(extract, "the offset step is unknown (set page_size or params.limit).")
    n = max(1, min(int(partitions or DEFAULT_RANGES), max_pages))
    parts = []
    first = 0
    for i in range(n):
        count = max_pages // n + (1 if i < max_pages % n else 0)
        new_pag = copy.deepcopy(pag)
        new_pag[strategy] = {**opts, "start": start + first * step}
        new_pag["stop_conditions"] = [c for c in stops if c.get("type") != "max_pages"] + [
            {"type": "max_pages", "value": count, "response_path": None}]
        parts.append(Partition(i, {**extract, "pagination": new_pag},
                               f"pages {first + 1}-{first + count} of {max_pages}"))
        first += count
    return PartitionPlan(parts)
