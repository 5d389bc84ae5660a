"""Real databases for the database tests: SQLite files, and the local PostgreSQL and MariaDB
servers. Each test gets uniquely named tables that are dropped afterwards.

A missing server skips its tests locally (with how to start it) and fails them when CI=true.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

SERVER_URLS = {
    "postgresql": os.environ.get("PYCHARTER_TEST_POSTGRES_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("PYCHARTER_TEST_MARIADB_URL",
                              "mysql+pymysql://root@127.0.0.1:3306/test"),
}
HOW_TO_START = {
    "postgresql": "start it with `pg_ctl -D <datadir> -o '-p 5432 -c listen_addresses=127.0.0.1'"
                  " start` as the postgres user (trust auth, database 'test'); see scripts/services.sh",
    "mariadb": "start it with `mariadbd --user=mysql --bind-address=127.0.0.1 &` (root, empty "
               "password, database 'test'); see scripts/services.sh",
}


@functools.cache
def server_problem(kind: str) -> str | None:
    """None when the server answers, else why not (checked once per test session)."""
    engine = sa.create_engine(SERVER_URLS[kind], poolclass=sa.pool.NullPool,
                              connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("select 1")
    except Exception as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return f"{kind} at {SERVER_URLS[kind]} is not reachable ({first}); {HOW_TO_START[kind]}"
    finally:
        engine.dispose()
    return None


def require_server(kind: str) -> str:
    """The server's URL, or skip (locally) / fail (CI=true) when it is not running."""
    problem = server_problem(kind)
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    return SERVER_URLS[kind]


class TestDB:
    """A database for one test: its URL, an engine, and tables made for the test."""

    __test__ = False

    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.url = url
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self._tables: list[sa.Table] = []

    def create(self, *columns: sa.Column, rows: list[dict[str, Any]] | None = None) -> str:
        """Create a uniquely named table with ``columns`` (and ``rows``); returns its name."""
        name = f"t_{uuid.uuid4().hex[:10]}"
        table = sa.Table(name, sa.MetaData(), *columns)
        with self.engine.begin() as conn:
            table.create(conn)
            if rows:
                conn.execute(table.insert(), rows)
        self._tables.append(table)
        return name

    def unique_name(self) -> str:
        """A fresh table name (for tables the code under test creates); dropped afterwards."""
        name = f"t_{uuid.uuid4().hex[:10]}"
        self._tables.append(sa.Table(name, sa.MetaData()))
        return name

    def rows(self, name: str, order_by: str = "id") -> list[dict[str, Any]]:
        """Every row of ``name`` as dicts, ordered."""
        quoted = self.engine.dialect.identifier_preparer.quote
        with self.engine.connect() as conn:
            result = conn.exec_driver_sql(
                f"SELECT * FROM {quoted(name)} ORDER BY {quoted(order_by)}")
            return [dict(r._mapping) for r in result]

    def close(self) -> None:
        quoted = self.engine.dialect.identifier_preparer.quote
        with self.engine.begin() as conn:
            for table in self._tables:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quoted(table.name)}")
        self.engine.dispose()


def _make_db(kind: str, tmp_path: Any) -> TestDB:
    if kind == "sqlite":
        return TestDB("sqlite", f"sqlite:///{tmp_path / 'test.db'}")
    return TestDB(kind, require_server(kind))


@pytest.fixture(params=[
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
])
def db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[TestDB]:
    """The same test against SQLite, PostgreSQL and MariaDB."""
    database = _make_db(request.param, tmp_path)
    yield database
    database.close()


@pytest.fixture
def sqlite_db(tmp_path: Any) -> Iterator[TestDB]:
    database = _make_db("sqlite", tmp_path)
    yield database
    database.close()


@pytest.fixture
def pg_db(tmp_path: Any) -> Iterator[TestDB]:
    database = _make_db("postgresql", tmp_path)
    yield database
    database.close()


@pytest.fixture
def maria_db(tmp_path: Any) -> Iterator[TestDB]:
    database = _make_db("mariadb", tmp_path)
    yield database
    database.close()
