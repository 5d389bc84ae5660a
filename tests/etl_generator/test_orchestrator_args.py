"""Arguments pycharter callers pass are honoured (issue 13): ``contract_metadata``,
``run(session=...)`` and ``DeadLetterQueue(db_session=...)``."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from pycharter_gui.etl_generator import (
    ConfigError,
    DeadLetterQueue,
    DLQReason,
    ETLOrchestrator,
)

META = {"name": "orders", "version": "1.2.0", "owner": "finance"}


def _source(folder, rows):
    (folder / "rows.json").write_text(json.dumps(rows))


async def test_contract_metadata_in_result_and_dead_letters(write_pipeline):
    folder = write_pipeline(
        extract="type: file\npath: rows.json\n",
        transform="transform:\n  convert: {qty: int}\nstrict: true\n",
        load="type: file\npath: out.jsonl\ndead_letter_queue: {backend: memory}\n")
    _source(folder, [{"qty": "1"}, {"qty": "many"}])
    result = await ETLOrchestrator(contract_dir=folder, contract_metadata=META,
                                   verbose=False).run()
    assert result["contract_metadata"] == META
    (dead,) = result["dead_letters"].get_records()
    assert dead.metadata["contract"] == META


def _db_pipeline(write_pipeline, tmp_path):
    real = tmp_path / "real.db"
    engine = sa.create_engine(f"sqlite:///{real}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    folder = write_pipeline(
        extract="type: file\npath: rows.json\n",
        load="type: database\ndatabase: {url: 'sqlite:///configured.db'}\ntable: items\n"
             "dead_letter_queue: {backend: database}\n")
    _source(folder, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 1, "name": "dup"}])
    return folder, engine


@pytest.mark.parametrize("kind", ["session", "connection"])
async def test_run_session_is_where_the_database_load_goes(write_pipeline, tmp_path, kind):
    folder, engine = _db_pipeline(write_pipeline, tmp_path)
    orch = ETLOrchestrator(contract_dir=folder, verbose=False)
    with engine.connect() as conn, Session(engine) as session:
        result = await orch.run(session=session if kind == "session" else conn)
    assert result["loading"]["total_records"] == 2 and result["dead_lettered"] == 1
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT id, name FROM items ORDER BY id").all() == [
            (1, "a"), (2, "b")]
        # the database dead-letter backend without a url of its own uses the session too
        tables = sa.inspect(conn).get_table_names()
        dlq_table = next(t for t in tables if "dead_letter" in t)
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {dlq_table}").scalar() == 1
    assert not (folder / "configured.db").exists()
    engine.dispose()


async def test_run_session_with_a_file_target_is_refused(write_pipeline):
    folder = write_pipeline(extract="type: file\npath: rows.json\n",
                            load="type: file\npath: out.jsonl\n")
    _source(folder, [{"id": 1}])
    with pytest.raises(ConfigError, match="session"):
        await ETLOrchestrator(contract_dir=folder, verbose=False).run(
            session=Session(sa.create_engine("sqlite://")))


async def test_dead_letter_queue_db_session_writes_to_that_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with Session(engine) as session:
        dlq = DeadLetterQueue(db_session=session, pipeline_name="orders")
        assert dlq.storage_backend == "database"
        await dlq.add_record("orders", {"id": 7}, DLQReason.LOAD_ERROR, "boom", "LoadError",
                             "load")
    assert [r.record_data for r in dlq.get_records()] == [{"id": 7}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]
    with engine.connect() as conn:
        assert any("dead_letter" in t for t in sa.inspect(conn).get_table_names())
    engine.dispose()
