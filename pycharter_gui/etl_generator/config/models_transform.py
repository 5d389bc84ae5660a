"""Pydantic models of ``transform.yaml`` (dict, list, legacy top-level and 0.0.20 forms)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from .models_common import ConfigModel, as_list, before, canonical, choice, fld

CONVERT_TYPES = {"int": "int", "integer": "int", "float": "float", "number": "float",
                 "numeric": "float", "double": "float", "str": "str", "string": "str",
                 "bool": "bool", "boolean": "bool", "datetime": "datetime",
                 "timestamp": "datetime", "date": "date"}
FILTER_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains",
                    "not_contains", "is_null", "is_not_null")
_OPERATOR_ALIASES = {"==": "eq", "=": "eq", "!=": "ne", "<>": "ne", ">": "gt", ">=": "gte",
                     "<": "lt", "<=": "lte", "not in": "not_in", "is null": "is_null",
                     "is not null": "is_not_null"}
OP_ORDER = ("rename", "flatten", "convert", "defaults", "add", "select", "drop", "filter")


def _convert_types(value: Any) -> Any:
    """Map convert type names to int/float/str/bool/date/datetime; reject unknown names."""
    if not isinstance(value, dict):
        return value
    out = {}
    for name, target in value.items():
        key = target.strip().lower() if isinstance(target, str) else target
        if key not in CONVERT_TYPES:
            raise ValueError(f"field '{name}': unsupported type '{target}'; use one of "
                             "int, float, str, bool, date, datetime")
        out[name] = CONVERT_TYPES[key]
    return out


class FilterSpec(ConfigModel):
    """Keep only the records for which ``field operator value`` holds."""

    field: str = fld(..., "Field to test.")
    operator: str = fld("eq", "eq, ne, gt, gte, lt, lte, in, not_in, contains, not_contains, "
                        "is_null or is_not_null.", "op", name="operator")
    value: Any = fld(None, "Value to compare with (a list for in/not_in).")

    @field_validator("operator", mode="before")
    @classmethod
    def _check_operator(cls, value: Any) -> Any:  # not text: pydantic reports the type
        return choice(value, FILTER_OPERATORS, "operator", _OPERATOR_ALIASES) if isinstance(
            value, str) else value


class TransformOps(ConfigModel):
    """Simple per-record operations; in a dict they run in a fixed order."""

    rename: dict[str, str] | None = fld(None, "old_name: new_name (the field moves to the end).")
    flatten: dict[str, Any] | list[str] | None = fld(
        None, "Nested fields to flatten into field_sub keys (0.0.20 dialect).")
    convert: dict[str, str] | None = fld(None, "field: type (int, float, str, bool, date, "
                                         "datetime); a failed or lossy conversion ('7.5' to "
                                         "int) warns, or dead-letters the record if strict.")
    defaults: dict[str, Any] | None = fld(None, "field: value, set when missing or null.")
    add: dict[str, Any] | None = fld(None, "field: expression, e.g. concat(${first}, ' ', "
                                     "${last}), now(), or arithmetic with spaces around the "
                                     "operators: ${amount} * ${qty} ('${year}-${month}' stays "
                                     "text).")
    select: list[str] | None = fld(None, "Keep only these fields.")
    drop: list[str] | None = fld(None, "Remove these fields.")
    filter: FilterSpec | list[FilterSpec] | None = fld(None, "Keep records matching "
                                                       "{field, operator, value}.")
    strict: bool | None = fld(None, "True: a failed conversion sends the record to the "
                              "dead-letter queue.")

    _listify = before(as_list, "select", "drop")
    _check_types = before(_convert_types, "convert")


class JsonataConfig(ConfigModel):
    """A JSONata expression applied after the simple operations."""

    expression: str = fld("", "The JSONata expression.")
    mode: Literal["batch", "record"] = fld("batch", "batch: the expression sees the whole batch "
                                           "as an array; record: once per record.")

    _lower_mode = before(canonical, "mode")


class CustomFunctionConfig(ConfigModel):
    """A Python function applied last (modules beside the YAML are importable)."""

    module: str | None = fld(None, "Python module, e.g. my_transforms.")
    function: str | None = fld(None, "Function (or class) in that module.")
    callable: Any = fld(None, "'package.module.function' (or a Python callable), instead of "
                        "module + function.")
    mode: Literal["batch", "record"] = fld("batch", "batch: f(records, **kwargs) -> list; "
                                           "record: f(record, **kwargs) per record.")
    kwargs: dict[str, Any] = fld({}, "Extra keyword arguments (run parameters override them).")

    _lower_mode = before(canonical, "mode")

    @model_validator(mode="after")
    def _needs_target(self) -> CustomFunctionConfig:
        if self.callable is None and not (self.module and self.function):
            raise ValueError("give 'module' and 'function', or 'callable'")
        if isinstance(self.callable, str) and "." not in self.callable.replace(":", "."):
            raise ValueError("'callable' must look like package.module.function")
        return self


class TransformConfig(ConfigModel):
    """The whole transform.yaml: simple ops, then JSONata, then a custom function."""

    transform: TransformOps | list[TransformOps] | None = fld(
        None, "Simple operations: a mapping (fixed order) or a list (applied in list order).")
    jsonata: JsonataConfig | str | None = fld(None, "JSONata stage: {expression, mode}.")
    custom_function: CustomFunctionConfig | None = fld(None, "Custom Python stage.")
    strict: bool | None = fld(None, "True: a failed conversion sends the record to the "
                              "dead-letter queue instead of keeping the value.",
                              "convert_strict", name="strict")
    rename: dict[str, str] | None = fld(None, "Top-level form of transform.rename.")
    flatten: dict[str, Any] | list[str] | None = fld(None, "0.0.20: flatten nested fields.")
    convert: dict[str, str] | None = fld(None, "Top-level form of transform.convert.")
    type: dict[str, str] | None = fld(None, "0.0.20 spelling of convert.")
    defaults: dict[str, Any] | None = fld(None, "Top-level form of transform.defaults.")
    fill_null: dict[str, Any] | None = fld(None, "0.0.20 spelling of defaults "
                                           "(value or {default: value}).")
    add: dict[str, Any] | None = fld(None, "Top-level form of transform.add.")
    select: list[str] | None = fld(None, "Top-level form of transform.select.")
    drop: list[str] | None = fld(None, "Top-level form of transform.drop.")
    filter: FilterSpec | list[FilterSpec] | None = fld(None, "Top-level form of "
                                                       "transform.filter.")

    _listify = before(as_list, "select", "drop")
    _check_types = before(_convert_types, "convert", "type")
