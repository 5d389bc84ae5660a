"""Config generation: pycharter's job configs from a contract, and editable pipeline YAML.

* ``generate_etl_config``/``_from_contract``/``_from_store`` keep pycharter's signatures and
  return its job shape ``{job_name, execution_date, enabled, extraction, loading, fields}``
  (config-format §9) — not the three-file format.
* ``generate_pipeline_files(source, destination, schema=None)`` writes the commented
  ``extract.yaml``/``transform.yaml``/``load.yaml`` trio the designer's "New pipeline" wizard
  shows; with a JSON Schema it adds ``convert``, ``defaults`` and ``select`` rules.
* ``infer_schema(records)`` proposes a JSON Schema (and so convert rules) from sample records.
* Contract stores: anything with ``get_contract(name, version=None) -> dict``;
  :class:`DirectoryContractStore` reads ``<root>/<name>/schema.yaml`` (or ``.json``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any, Protocol

from .atomic import atomic_write
from .config.models_common import DEFAULT_BATCH_SIZE
from .config.yaml_io import dump_yaml_text, read_config_file
from .errors import ConfigError
from .schema_inference import infer_schema

__all__ = ["ContractStore", "DirectoryContractStore", "generate_etl_config",
           "generate_etl_config_from_contract", "generate_etl_config_from_store",
           "generate_pipeline_files", "infer_schema"]


# -- naming and types ----------------------------------------------------------------------------
def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def snake_case(name: str) -> str:
    """``userId`` / ``User ID`` / ``user-id`` -> ``user_id``."""
    return "_".join(w.lower() for w in _words(name)) or str(name)


def camel_case(name: str) -> str:
    """``user_id`` -> ``userId``."""
    words = _words(name)
    if not words:
        return str(name)
    return words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])


_NAMING = {"snake_case": snake_case, "camelcase": camel_case, "camel_case": camel_case}


def _rename(name: str, style: str | None) -> str:
    fn = _NAMING.get(str(style or "").lower())
    return fn(name) if fn else name


def _json_type(prop: dict[str, Any]) -> str:
    kind = prop.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def field_type(prop: dict[str, Any]) -> str:
    """pycharter's field type for one JSON Schema property (config-format §9)."""
    fmt = prop.get("format")
    if fmt in ("date-time", "timestamp"):
        return "datetime"
    if fmt == "date":
        return "date"
    kind = _json_type(prop)
    if kind == "string":
        return "text" if int(prop.get("maxLength") or 0) > 255 else "string"
    return {"integer": "integer", "number": "float", "boolean": "boolean", "array": "json",
            "object": "json"}.get(kind, "string")


def convert_type(prop: dict[str, Any]) -> str | None:
    """The ``convert`` rule for a property, or None (objects/arrays are left alone)."""
    fmt = prop.get("format")
    if fmt in ("date-time", "timestamp"):
        return "datetime"
    if fmt == "date":
        return "date"
    return {"integer": "int", "number": "float", "boolean": "bool", "string": "str"}.get(
        _json_type(prop))


def _primary_key(required: list[str]) -> str | None:
    if "id" in required:
        return "id"
    return next((f for f in required if "id" in f.lower()), required[0] if required else None)


# -- pycharter's job config ----------------------------------------------------------------------
def generate_etl_config(
    contract_name: str,
    schema: dict[str, Any],
    extraction_config: dict[str, Any] | None = None,
    loading_config: dict[str, Any] | None = None,
    api_field_naming: str = "camelCase",
    db_field_naming: str = "snake_case",
    output_path: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """pycharter's job config for a contract: extraction/loading defaults plus one field entry
    per schema property. Written as YAML to ``output_path`` when given."""
    props: dict[str, Any] = schema.get("properties") or {}
    required = [str(r) for r in schema.get("required") or []]
    fields = [{"api_name": _rename(name, api_field_naming),
               "db_name": _rename(name, db_field_naming) if db_field_naming else snake_case(name),
               "type": field_type(prop or {}), "required": name in required}
              for name, prop in props.items()]
    pk = _primary_key(required)
    extraction = {"provider_name": None, "api_endpoint": f"/api/v3/{contract_name}",
                  "method": "GET", "params": {}, "rate_limit_delay": 0.2,
                  "batch_size": DEFAULT_BATCH_SIZE}
    extraction.update(extraction_config or {})
    loading = {"target_table": snake_case(contract_name), "schema_name": None,
               "write_method": "upsert",
               "primary_key": _rename(pk, db_field_naming) if pk else None,
               "unique_constraints": []}
    loading.update(loading_config or {})
    config = {"job_name": f"{snake_case(contract_name)}_etl", "execution_date": None,
              "enabled": True, "extraction": extraction, "loading": loading, "fields": fields}
    if output_path is not None:
        _write_text(Path(output_path), dump_yaml_text(config))
    return config


def _contract_parts(contract: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = contract.get("schema")
    if not isinstance(schema, dict):
        if "properties" not in contract:
            raise ValueError("the contract has no 'schema' (a JSON Schema with 'properties')")
        schema = contract
    return schema, dict(contract.get("metadata") or {})


def generate_etl_config_from_contract(
    contract: dict[str, Any], contract_name: str | None = None,
    extraction_config: dict[str, Any] | None = None,
    loading_config: dict[str, Any] | None = None, api_field_naming: str = "camelCase",
    db_field_naming: str = "snake_case", output_path: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """``generate_etl_config`` from a contract ``{schema, metadata}``; metadata ``source`` /
    ``extraction`` and ``target`` / ``loading`` are hints under the explicit arguments."""
    schema, meta = _contract_parts(contract)
    name = (contract_name or contract.get("name") or meta.get("name") or schema.get("title")
            or "contract")
    extraction = {**(meta.get("source") or meta.get("extraction") or {}),
                  **(extraction_config or {})}
    loading = {**(meta.get("target") or meta.get("loading") or {}), **(loading_config or {})}
    return generate_etl_config(str(name), schema, extraction or None, loading or None,
                               api_field_naming, db_field_naming, output_path)


class ContractStore(Protocol):
    """What the generator needs from a metadata store."""

    def get_contract(self, name: str, version: str | None = None) -> dict[str, Any]:
        """``{"name", "version", "schema", "metadata"}``; ``KeyError`` when unknown."""


class DirectoryContractStore:
    """Contracts as folders: ``<root>/<name>/schema.yaml`` (or ``schema.json``), optional
    ``metadata.yaml``; versions as ``<root>/<name>/<version>/schema.yaml``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def list_contracts(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and self._schema(p))

    @staticmethod
    def _schema(folder: Path) -> Path | None:
        return next((folder / n for n in ("schema.yaml", "schema.yml", "schema.json")
                     if (folder / n).is_file()), None)

    def get_contract(self, name: str, version: str | None = None) -> dict[str, Any]:
        folder = self.root / name / version if version else self.root / name
        path = self._schema(folder)
        if path is None:
            known = ", ".join(self.list_contracts()) or "none"
            raise KeyError(f"Contract '{name}'{f' version {version}' if version else ''} not "
                           f"found in {self.root} (expected {folder}/schema.yaml; known: {known})")
        schema = _read_yaml(path)
        meta_path = folder / "metadata.yaml"
        meta = _read_yaml(meta_path) if meta_path.is_file() else {}
        return {"name": name, "version": version or str(schema.get("version") or "") or None,
                "schema": schema, "metadata": meta}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data, _ = read_config_file(path)
    except ConfigError as exc:
        raise ValueError(f"{path}: not valid YAML/JSON ({exc.problems[0].message})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def generate_etl_config_from_store(contract_name: str, version: str | None = None,
                                   store: ContractStore | None = None, **kwargs: Any
                                   ) -> dict[str, Any]:
    """``generate_etl_config_from_contract`` for a contract read from ``store``."""
    if store is None:
        raise ValueError("generate_etl_config_from_store needs a store (e.g. "
                         "DirectoryContractStore('contracts'))")
    contract = store.get_contract(contract_name, version)
    return generate_etl_config_from_contract(contract, contract_name=contract_name, **kwargs)


# -- inference ---------------------------------------------------------------------------------
def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- the extract/transform/load trio -------------------------------------------------------------
_HEAD = "# Generated by pycharter-gui on {date}; edit freely (comments are kept by the designer).\n"


def _kind(choice: dict[str, Any], default: str) -> str:
    kind = str(choice.get("type") or default).lower()
    return {"s3": "cloud_storage", "gcs": "cloud_storage", "azure": "cloud_storage",
            "cloud": "cloud_storage", "api": "http", "sqlite": "database",
            "postgres": "database", "postgresql": "database"}.get(kind, kind)


def _where(choice: dict[str, Any], *keys: str) -> Any:
    for key in (*keys, "location"):
        if choice.get(key) not in (None, ""):
            return choice[key]
    return None


def _storage_lines(choice: dict[str, Any], path: str) -> list[str]:
    lines = ["storage:",
             "  # s3, gcs or azure; credentials come from the provider's usual environment",
             "  # variables or profile unless given under credentials.",
             f"  provider: {_dump(choice.get('provider') or 's3')}",
             f"  bucket: {_dump(choice.get('bucket') or 'my-bucket')}",
             "  # One object key, or a prefix ending in '/', or a glob such as 'in/*.csv'.",
             f"  path: {_dump(path)}"]
    if choice.get("endpoint_url"):
        lines += ["  credentials:", "    # S3-compatible server (MinIO, SeaweedFS...).",
                  f"    endpoint_url: {_dump(choice['endpoint_url'])}"]
    else:
        lines += ["  # credentials:", "  #   endpoint_url: http://127.0.0.1:9000   # S3-compatible",
                  "  #   aws_access_key_id: ${AWS_ACCESS_KEY_ID}"]
    return lines


def _extract_text(source: dict[str, Any]) -> str:
    kind = _kind(source, "file")
    lines = ["# Extract: where the records come from.", f"type: {kind}"]
    if kind == "file":
        lines += ["# File or glob (*, ?, **), relative to this folder.",
                  f"path: {_dump(_where(source, 'path', 'file_path') or 'data/input.csv')}",
                  "# csv, tsv, json, jsonl or parquet (default: from the file extension)."]
        lines.append(f"format: {source['format']}" if source.get("format") else "# format: csv")
    elif kind == "database":
        url = _where(source, "url", "connection_string") or "sqlite:///data/source.db"
        query = source.get("query") or f"SELECT * FROM {source.get('table') or 'my_table'}"
        lines += ["database:", "  # SQLAlchemy URL; keep passwords out of the file:",
                  "  # postgresql://user:${DB_PASSWORD}@host:5432/db",
                  f"  url: {_dump(url)}", "# SQL text; :name marks a bind parameter.",
                  f"query: {_dump(query)}", "# query_params: {name: value}"]
    elif kind == "http":
        url = _where(source, "url", "endpoint") or "https://api.example.com/v1/items"
        lines += [f"url: {_dump(url)}", f"method: {source.get('method') or 'GET'}",
                  "# Query parameters; ${VAR} reads environment variables.", "params: {}",
                  "# headers: {Authorization: \"Bearer ${API_TOKEN}\"}",
                  "# Dotted path to the record list in the response, e.g. data.items."]
        rp = source.get("response_path")
        lines.append(f"response_path: {_dump(rp)}" if rp else "# response_path: data")
        lines += ["# pagination: {strategy: page, page: {param_name: page}}"]
    elif kind == "cloud_storage":
        lines += _storage_lines(source, _where(source, "path", "key") or "incoming/")
        lines.append(f"format: {source['format']}" if source.get("format") else
                     "# format: csv   # default: from each key's extension")
    else:
        raise ValueError(f"unknown source type '{kind}' (use file, database, http or "
                         "cloud_storage)")
    lines += ["# Records per batch (the unit of transform and load).",
              f"batch_size: {int(source.get('batch_size') or DEFAULT_BATCH_SIZE)}",
              "# max_records: 100   # stop early while trying things out"]
    return "\n".join(lines) + "\n"


def _transform_text(schema: dict[str, Any] | None) -> str:
    lines = ["# Transform: applied to every record in this order:",
             "# rename, convert, defaults, add, select, drop, filter."]
    props = (schema or {}).get("properties") or {}
    if not props:
        return "\n".join([
            *lines, "# rename: {old_name: new_name}",
            "# convert: {amount: float, created: datetime}", "# defaults: {status: new}",
            '# add: {total: "${price} * ${quantity}"}', "# select: [id, name]",
            "# filter: {status: {ne: cancelled}}", "transform: {}"]) + "\n"
    converts = {k: convert_type(p or {}) for k, p in props.items()}
    defaults = {k: p["default"] for k, p in props.items() if isinstance(p, dict) and "default" in p}
    lines += ["transform:", "  # Types from the contract's properties."]
    lines += ["  convert:"] + [f"    {_dump(k)}: {v}" for k, v in converts.items() if v]
    if defaults:
        lines += ["  # Used when a record lacks the field or it is null.", "  defaults:"]
        lines += [f"    {_dump(k)}: {_dump(v)}" for k, v in defaults.items()]
    lines += ["  # Keep only the contract's properties.", "  select:"]
    lines += [f"    - {_dump(k)}" for k in props]
    return "\n".join(lines) + "\n"


def _load_text(dest: dict[str, Any], name: str) -> str:
    kind = _kind(dest, "file")
    lines = ["# Load: where the records go.", f"type: {kind}"]
    if kind == "file":
        fmt = dest.get("format") or "csv"
        lines += ["# Output file, relative to this folder; written atomically at the end.",
                  f"path: {_dump(_where(dest, 'path', 'file_path') or f'output/{name}.{fmt}')}",
                  f"format: {fmt}   # json, jsonl, csv or parquet",
                  "write_mode: overwrite   # or append"]
    elif kind == "database":
        url = _where(dest, "url", "connection_string") or "sqlite:///output/target.db"
        method = dest.get("write_method") or "insert"
        lines += ["database:", f"  url: {_dump(url)}", f"table: {_dump(dest.get('table') or name)}",
                  "# insert, upsert, truncate_and_load, replace, update or delete.",
                  f"write_method: {method}"]
        pk = dest.get("primary_key")
        lines.append(f"primary_key: {_dump(pk)}" if pk else "# primary_key: id   # upsert needs it")
        lines += ["# Create the table from the first batch when it does not exist.",
                  f"create_table: {'true' if dest.get('create_table', True) else 'false'}"]
    elif kind == "cloud_storage":
        fmt = dest.get("format") or "jsonl"
        lines += _storage_lines(dest, _where(dest, "path", "key") or f"output/{name}.{fmt}")
        lines += [f"format: {fmt}   # json, jsonl, csv or parquet", "write_mode: overwrite",
                  "# partition_by: [\"year={year}/month={month}\"]   # date prefix in the key"]
    else:
        raise ValueError(f"unknown destination type '{kind}' (use file, database or "
                         "cloud_storage)")
    return "\n".join(lines) + "\n"


def generate_pipeline_files(
    source: dict[str, Any], destination: dict[str, Any],
    output_dir: str | os.PathLike[str] | None = None, *, schema: dict[str, Any] | None = None,
    name: str | None = None, overwrite: bool = False,
) -> dict[str, str]:
    """Commented ``extract.yaml``, ``transform.yaml`` and ``load.yaml`` texts for a pipeline.

    ``source``/``destination``: ``{"type": ..., "location": ...}`` plus type-specific keys
    (``format``, ``query``/``table``, ``provider``/``bucket``/``endpoint_url``, ...). With a
    JSON ``schema`` the transform converts, defaults and selects its properties and a database
    table is named after it. Written to ``output_dir`` when given; existing files are kept
    unless ``overwrite`` (``FileExistsError`` names the first one).
    """
    base = snake_case(name or (schema or {}).get("title") or "records") or "records"
    head = _HEAD.format(date=dt.date.today().isoformat())
    files = {"extract.yaml": head + _extract_text(dict(source)),
             "transform.yaml": head + _transform_text(schema),
             "load.yaml": head + _load_text(dict(destination), base)}
    if output_dir is not None:
        folder = Path(output_dir)
        if not overwrite:
            for fname in files:
                if (folder / fname).exists():
                    raise FileExistsError(f"{folder / fname} already exists; choose another "
                                          "folder or pass overwrite=True")
        for fname, text in files.items():
            _write_text(folder / fname, text)
    return files
