"""``validation:`` blocks of extract.yaml and load.yaml, with the schema they check against.

A block's schema is, first found: its own ``schema_path`` (``schema``), settings.yaml's
``contract`` (pycharter 0.0.30-0.0.35: ``contract: {schema_path: ...}`` or a file path), or
the data contract beside the pipeline (schema.yaml). The canonical block carries the loaded
contract (``{"schema", "coercion_rules", "validation_rules"}``), so every run path, including
Dask workers that receive only canonical dicts, checks the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .models_common import ValidationConfig
from .resolve import Context, dump, resolve_path
from .yaml_io import read_config_file

_CONTRACT_PARTS = ("schema", "coercion_rules", "validation_rules")
_SETTINGS_CONTRACT_KEYS = ("schema_path", *_CONTRACT_PARTS, "name", "version", "description")


def as_contract(data: Any) -> dict[str, Any]:
    """A contract dict from a file's data: a contract as is, a bare JSON Schema wrapped."""
    if isinstance(data, Mapping) and "schema" in data and "properties" not in data:
        return dict(data)
    return {"schema": data}


def validation_block(model: ValidationConfig | None, ctx: Context) -> dict[str, Any] | None:
    """The canonical block: ``schema_path`` absolute, ``contract`` loaded from it (or None)."""
    if model is None:
        return None
    block = dump(model) or {}
    block["schema_path"] = resolve_path(block.get("schema_path"), ctx.base_dir)
    block["contract"] = None
    if block["schema_path"]:
        block["contract"] = _read_contract(Path(block["schema_path"]), ctx,
                                           "validation.schema_path")
    return block


def _read_contract(path: Path, ctx: Context, key: str) -> dict[str, Any] | None:
    try:
        data, _lines = read_config_file(path)
    except ConfigError as exc:
        for problem in exc.problems:
            ctx.add(key, f"{path}: {problem.message}", problem.hint)
        return None
    return checked_contract(as_contract(data), ctx, key)


def checked_contract(contract: dict[str, Any], ctx: Context, key: str) -> dict[str, Any] | None:
    """``contract`` when the contract validator accepts it; else its problems under ``key``."""
    from .checks import compile_check

    if not isinstance(contract.get("schema") or {}, Mapping):
        ctx.add(key, "the schema must be a mapping (a JSON Schema object)")
        return None
    try:
        compile_check("contract")(contract)
    except ConfigError as exc:
        for problem in exc.problems:
            ctx.add(key, f"{problem.key}: {problem.message}" if problem.key else problem.message)
        return None
    return contract


def settings_contract(value: Any, ctx: Context) -> dict[str, Any] | None:
    """The contract named by settings.yaml ``contract`` (a file path, or a mapping with
    ``schema_path``/``schema`` and optional rules); None when it gives no schema."""
    if value is None:
        return None
    if isinstance(value, str):
        return _read_contract(Path(resolve_path(value, ctx.base_dir) or value), ctx, "contract")
    if not isinstance(value, Mapping):
        ctx.add("contract", "must be a file path or a mapping with schema_path")
        return None
    unknown = [k for k in value if k not in _SETTINGS_CONTRACT_KEYS]
    for key in unknown:
        ctx.add(f"contract.{key}", f"unknown key '{key}'",
                "use schema_path, coercion_rules, validation_rules, name or version")
    schema = value.get("schema_path", value.get("schema"))
    if schema is None:
        return None
    contract: dict[str, Any] = {}
    for part, given in (("schema", schema), ("coercion_rules", value.get("coercion_rules")),
                        ("validation_rules", value.get("validation_rules"))):
        if isinstance(given, str):
            path = Path(resolve_path(given, ctx.base_dir) or given)
            try:
                data, _lines = read_config_file(path)
            except ConfigError as exc:
                ctx.add(f"contract.{part}", f"{path}: {exc.problems[0].message}")
                return None
            contract[part] = as_contract(data)["schema"] if part == "schema" else data
        elif given is not None:
            contract[part] = given
    return checked_contract(contract, ctx, "contract")


def attach_contracts(sections: Mapping[str, dict[str, Any]], ctxs: Mapping[str, Context],
                     settings: Mapping[str, Any], settings_ctx: Context,
                     folder_contract: dict[str, Any] | None) -> None:
    """Give each block without its own schema settings.yaml's contract, else the folder's;
    a block with none is an error, a settings contract no block uses a warning."""
    needing = {kind: cfg["validation"] for kind, cfg in sections.items()
               if cfg and cfg.get("validation") and cfg["validation"].get("contract") is None}
    given = settings.get("contract")
    shared = settings_contract(given, settings_ctx)
    names_schema = isinstance(given, str) or (
        isinstance(given, Mapping) and given.get("schema_path", given.get("schema")) is not None)
    if given is not None and not names_schema and needing:
        settings_ctx.add("contract", "gives no schema for the validation blocks to check",
                         "set contract.schema_path to a JSON Schema file (a contract in a "
                         "metadata store is not read here)")
    if shared is not None and not needing:
        settings_ctx.add("contract", "no validation block uses this contract",
                         "add validation: {on_error: quarantine} to extract.yaml or load.yaml",
                         severity="warning")
    for kind, block in needing.items():
        contract = shared or (checked_contract(folder_contract, ctxs[kind], "validation")
                              if folder_contract else None)
        if contract is None and given is None:  # else reported for settings.yaml
            ctxs[kind].add("validation", "has no schema to validate against",
                           "set validation.schema_path, settings.yaml contract.schema_path, or "
                           "add schema.yaml beside the pipeline")
        block["contract"] = contract
