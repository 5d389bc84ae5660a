"""A run's progress kept in the target database, committed in the same transaction as each batch.

A kill between a batch's commit and the checkpoint file's update would otherwise replay that
batch on resume. ``_pycharter_progress`` (one row per run key, like dlt's loads table) holds the
checkpoint the batch leads to; a resume takes it when it is newer than the checkpoint file.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ..errors import LoadError, TransientLoadError
from .connect import backend_name, create_engine, parse_url, sqlite_path
from .dialects import effective_schema
from .ssh_tunnel import ssh_tunnel_sync

PROGRESS_TABLE = "_pycharter_progress"


def progress_table(schema: str | None) -> sa.Table:
    """The progress table's definition in ``schema``."""
    return sa.Table(PROGRESS_TABLE, sa.MetaData(),
                    sa.Column("run_key", sa.String(255), primary_key=True),
                    sa.Column("state", sa.Text, nullable=False),
                    schema=schema)


def save_progress(conn: Connection, table: sa.Table, run_key: str, state: dict[str, Any]) -> None:
    """Record ``state`` for ``run_key`` inside the caller's open transaction."""
    conn.execute(table.delete().where(table.c.run_key == run_key))
    conn.execute(table.insert().values(run_key=run_key, state=json.dumps(state, default=str)))


def clear_progress(conn: Connection, table: sa.Table, run_key: str) -> None:
    """Forget ``run_key``'s progress (its run finished)."""
    conn.execute(table.delete().where(table.c.run_key == run_key))


def committed_progress(load_config: dict[str, Any], run_key: str) -> dict[str, Any] | None:
    """The state last committed with a batch of ``run_key`` into a database target, or None
    (other targets, no table, no row, or the database cannot be read)."""
    if load_config.get("type", "database") != "database" or not load_config.get("url"):
        return None
    url = parse_url(str(load_config["url"]), file="load.yaml")
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    table = progress_table(effective_schema(backend_name(url), load_config.get("schema_name")))
    # Through the target's ssh_tunnel, as the load reaches it; a tunnel that cannot be opened
    # fails the run (guessing "no progress" could load a committed batch twice).
    with ssh_tunnel_sync(load_config, url, file="load.yaml",
                         fatal=lambda m: LoadError(m, target=str(load_config.get("table") or "")),
                         transient=lambda m: TransientLoadError(m)) as reach:
        engine = create_engine(reach, key="url", file="load.yaml")
        try:
            with engine.connect() as conn:
                if not sa.inspect(conn).has_table(PROGRESS_TABLE, schema=table.schema):
                    return None
                text = conn.execute(sa.select(table.c.state).where(table.c.run_key == run_key)
                                    ).scalar_one_or_none()
        except DBAPIError:
            return None
        finally:
            engine.dispose()
    return json.loads(text) if text else None
