"""Which destinations a distributed run can write safely, and how (see docs/distributed.md).

============================  ===========================================================
destination / write method    distributed behaviour
============================  ===========================================================
file (json, jsonl, csv,       one part file per partition, joined into the target
parquet; overwrite/append)    atomically by the client when every partition is done
database insert,              per-partition staging tables, moved into the target in one
truncate_and_load             transaction at the end
database upsert, replace,     written straight into the (existing) target: keyed writes
update, delete                give the same table when a partition is redone
cloud_storage                 rejected with a ConfigError (write to a file or database)
============================  ===========================================================
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError, ConfigProblem
from .db_target import DIRECT_METHODS, STAGED_METHODS, DatabaseTarget
from .file_target import FileTarget

ALLOWED = {
    "file": ("overwrite", "append"),
    "database": STAGED_METHODS + DIRECT_METHODS,
}


def make_target(load: dict[str, Any], run_key: str) -> FileTarget | DatabaseTarget:
    """The distributed writer for a canonical load config; ``ConfigError`` when unsafe."""
    kind = load.get("type")
    if kind == "file":
        return FileTarget(load, run_key)
    if kind == "database":
        method = load.get("write_method") or "insert"
        if method not in ALLOWED["database"]:
            raise ConfigError([ConfigProblem(
                file="load.yaml", key="write_method",
                message=f"write_method '{method}' cannot run distributed (executor: dask)",
                hint="use one of: " + ", ".join(ALLOWED["database"]))])
        return DatabaseTarget(load, run_key)
    raise ConfigError([ConfigProblem(
        file="load.yaml", key="type",
        message=f"a '{kind}' destination cannot be written by a distributed run "
                "(executor: dask) yet",
        hint="write to a file or a database table, or use executor: local")])
