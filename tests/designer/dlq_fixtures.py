"""A pipeline whose run dead-letters records, for the dead-letter panel and replay tests."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

EXTRACT = """\
type: file
path: data/people.csv
format: csv
batch_size: 50
"""

TRANSFORM = """\
strict: true
transform:
  convert:
    age: int
"""

LOAD = """\
type: database
database:
  url: "sqlite:///out.db"
table: people
write_method: insert
primary_key: [id]
create_table: true
dead_letter_queue:
  enabled: true
  backend: {backend}
  path: {path}
"""

SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "age": {"type": "integer", "minimum": 0}},
    "required": ["id", "name"],
}


def make_dlq_pipeline(root: Path, backend: str = "sqlite", n_good: int = 20,
                      n_bad_age: int = 30, n_negative: int = 10,
                      dlq_url: str | None = None, dlq_table: str | None = None) -> Path:
    """A folder whose run loads ``n_good`` people and dead-letters the others.

    Bad ages ("x12") fail the strict convert (transform); negative ages fail the contract
    (validate). Names of bad-age people are "Bad <i>", of negative ones "Neg <i>".
    """
    folder = root / f"people_{backend}"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    rows = ["id,name,age"]
    i = 0
    for _ in range(n_good):
        i += 1
        rows.append(f"{i},Good {i},{20 + i % 50}")
    for _ in range(n_bad_age):
        i += 1
        rows.append(f"{i},Bad {i},x{i}")
    for _ in range(n_negative):
        i += 1
        rows.append(f"{i},Neg {i},-{i}")
    (folder / "data" / "people.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "extract.yaml").write_text(EXTRACT, encoding="utf-8")
    (folder / "transform.yaml").write_text(TRANSFORM, encoding="utf-8")
    path = ".pycharter/dead_letters.jsonl" if backend == "file" else ".pycharter/dead_letters.db"
    load = LOAD.format(backend=backend, path=path)
    if backend == "database":  # a dead-letter table on a database server
        load = load.replace(f"  path: {path}\n", f"  url: \"{dlq_url}\"\n  table: {dlq_table}\n")
    (folder / "load.yaml").write_text(load, encoding="utf-8")
    (folder / "schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    return folder


def run_pipeline(folder: Path) -> dict:
    from pycharter_gui.etl_generator import ETLOrchestrator

    return asyncio.run(ETLOrchestrator(contract_dir=folder, verbose=False).run())
