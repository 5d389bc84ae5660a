"""URLs, test_connection and the standalone load_data function."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pycharter_gui.etl_generator.database import (
    load_data,
    mask_url,
    parse_url,
    test_connection,
    url_from_parts,
)
from pycharter_gui.etl_generator.errors import ConfigError, LoadError


def test_mask_and_parse_urls() -> None:
    assert mask_url("postgresql://u:pw@h:5/d") == "postgresql://u:***@h:5/d"
    assert parse_url("postgres://u@h/d").get_backend_name() == "postgresql"
    assert parse_url("postgresql://u@h/d").drivername.startswith("postgresql+")
    assert parse_url("mysql://u@h/d").drivername.startswith("mysql+")
    with pytest.raises(ConfigError, match="not a valid database URL"):
        parse_url("not a url")
    built = url_from_parts("postgresql+psycopg", host="h", port=5432, user="u",
                           password="p@ss:/", database="d")
    assert parse_url(built).password == "p@ss:/"


def test_connection_to_each_database(db: Any) -> None:
    table_of(db)  # makes the SQLite file exist
    result = test_connection({"url": db.url})
    assert result["ok"] is True, result
    assert result["details"]["server_version"]


def test_connection_problems_are_explained(tmp_path: Any) -> None:
    missing = test_connection({"url": f"sqlite:///{tmp_path / 'no.db'}"})
    assert not missing["ok"] and missing["details"]["error_type"] == "database_missing"
    down = test_connection({"database": {"url": "postgresql+psycopg://u:pw@127.0.0.1:1/d"}},
                           timeout=2)
    assert not down["ok"] and down["details"]["error_type"] == "unreachable"
    assert "pw" not in down["message"] and "***" in down["message"]
    assert test_connection({})["details"]["error_type"] == "config"


@pytest.mark.postgres
def test_connection_auth_and_database_errors_on_postgres(pg_db: Any) -> None:
    base = sa.make_url(pg_db.url)
    no_db = test_connection({"url": base.set(database="no_such_db_xyz")
                             .render_as_string(hide_password=False)})
    assert no_db["details"]["error_type"] == "database_missing", no_db
    no_role = test_connection({"url": base.set(username="no_such_role_xyz")
                               .render_as_string(hide_password=False)})
    assert no_role["details"]["error_type"] == "auth_failed", no_role


def table_of(db: Any) -> str:
    return db.create(sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("name", sa.String(20), nullable=False))


async def test_load_data_with_url_batches_and_global_indexes(db: Any) -> None:
    table = table_of(db)
    data = [{"id": i, "name": f"n{i}"} for i in range(10)]
    data[7]["name"] = None
    res = await load_data(data, table_name=table, url=db.url, batch_size=3)
    assert (res["total"], res["inserted"], res["updated"]) == (10, 9, 0)
    assert [(r["index"], r["error_type"]) for r in res["rejected"]] == [(7, "IntegrityError")]
    res = await load_data([{"id": 1, "name": "x"}, {"id": 99, "name": "y"}], table_name=table,
                          url=db.url, write_method="upsert", primary_key="id")
    assert (res["inserted"], res["updated"]) == (1, 1)


async def test_load_data_with_session_connection_and_engine(sqlite_db: Any) -> None:
    table = table_of(sqlite_db)
    with Session(sqlite_db.engine) as session:
        res = await load_data([{"id": 1, "name": "a"}], session=session, table_name=table)
    assert res["inserted"] == 1
    with sqlite_db.engine.connect() as conn:
        res = await load_data([{"id": 1, "name": "b"}, {"id": 2, "name": "c"}], session=conn,
                              table_name=table, write_method="truncate_and_load")
    assert res["inserted"] == 2
    await load_data([{"id": 3, "name": "d"}], session=sqlite_db.engine, table_name=table)
    assert [r["name"] for r in sqlite_db.rows(table)] == ["b", "c", "d"]


async def test_load_data_missing_table(sqlite_db: Any) -> None:
    table_of(sqlite_db)
    with pytest.raises(LoadError, match=r"'absent'.*does not exist"):
        await load_data([{"id": 1}], table_name="absent", url=sqlite_db.url)


def test_connection_button_config_from_fields_and_variables(db: Any, monkeypatch) -> None:
    """What the designer's button sends: the raw YAML data, with ${VAR} and separate fields,
    resolved as a run would resolve them."""
    from pycharter_gui.etl_generator.connections import test_connection as button_test

    table_of(db)
    url = sa.make_url(db.url)
    if url.get_backend_name() == "sqlite":
        monkeypatch.setenv("PCG_TEST_DB_FILE", url.database)
        result = button_test({"type": "database", "database": {"url": "sqlite:///${PCG_TEST_DB_FILE}"}})
    else:
        monkeypatch.setenv("PCG_TEST_DB_USER", url.username or "")
        result = button_test({"type": "database", "database": {
            "driver": url.drivername, "host": url.host, "port": url.port,
            "username": "${PCG_TEST_DB_USER}", "password": url.password, "name": url.database}})
    assert result["ok"] is True, result
    missing = button_test({"type": "database", "database": {"url": "${PCG_NOT_SET_ANYWHERE}"}})
    assert not missing["ok"] and "PCG_NOT_SET_ANYWHERE" in missing["message"]
    assert missing["details"]["error_type"] == "config"
