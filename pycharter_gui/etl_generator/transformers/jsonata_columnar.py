"""JSONata record expressions evaluated over a whole batch, column by column.

``compile_columnar(expression)`` translates the subset analysts write — field paths, literals,
arithmetic, comparisons, ``and``/``or``, ``&``, ``? :``, ``$round``/``$string``/``$number``/
``$uppercase``/``$lowercase``/``$substring``/``$contains``, parentheses, an object constructor
and ``$merge([$, {...}])`` — into a function ``records -> values`` that runs each operation over
the batch's column of values (one list pass per node instead of one interpreter walk per
record). Every operation calls jsonata-python's own primitive for the value (numeric, equality,
comparison, concatenation, ``Functions._call``), so a result is the interpreter's result. A
row whose values leave the safe domain (a null feeding an operator, a type the function's
signature refuses, a non-JSON value, any exception) comes out as :data:`UNSAFE`; the caller
evaluates those rows with the interpreter, which gives their exact result or error. Anything
outside the subset is not translated (``compile_columnar`` returns None).
"""

from __future__ import annotations

import inspect
import math
import operator
from collections.abc import Callable
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
from jsonata import functions as jfunctions
from jsonata import jsonata as jmodule
from jsonata import utils as jutils

if TYPE_CHECKING:
    import pyarrow as pa


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNSAFE = _Marker("UNSAFE")  # this row must be evaluated by the interpreter
UNDEFINED = _Marker("UNDEFINED")  # JSONata's undefined (a missing field); None is JSON null

Column = list[Any]
Node = Callable[[Any], Column]  # records (list of dicts) or a TableSource -> values


class TableSource:
    """An Arrow table seen as the records it holds: each field's values, read once."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._values: dict[str, Column] = {}

    def __len__(self) -> int:
        return self.table.num_rows

    def values(self, name: str) -> Column:
        """The field's value per record (``UNDEFINED`` when the table has no such column)."""
        if name not in self._values:
            self._values[name] = (self.table.column(name).to_pylist()
                                  if name in self.table.column_names else [UNDEFINED] * len(self))
        return self._values[name]


def _field(records: Any, name: str) -> Column:
    if isinstance(records, TableSource):
        return records.values(name)
    return [r.get(name, UNDEFINED) for r in records]

_SCALARS = frozenset({str, int, float, bool})
_NUMBERS = frozenset({int, float})
_COMPARABLE = frozenset({str, int, float, _Marker})
_RECORD_VALUES = frozenset({str, int, float, bool, type(None)})
_INFINITIES = (math.inf, -math.inf)
_TWO_53 = 2 ** 53
_NUMERIC_OPS = frozenset({"+", "-", "*", "/", "%"})
_ORDER_OPS = frozenset({"<", "<=", ">", ">="})
_BASE_ATTRS = frozenset({"id", "value", "type", "position"})
_ENGINE = jmodule.Jsonata  # primitives used below take no state from the instance
_STRING_ARG = frozenset({str, _Marker})
_NUMBER_ARG = frozenset({int, float, _Marker})
# name -> (argument kinds per position, minimum argument count)
_FUNCTIONS: dict[str, tuple[tuple[frozenset[type], ...], int]] = {
    "round": ((_NUMBER_ARG, frozenset({int})), 1),
    "string": ((frozenset({str, int, float, bool, _Marker}),), 1),
    "number": ((frozenset({str, int, float, bool, _Marker}),), 1),
    "uppercase": ((_STRING_ARG,), 1),
    "lowercase": ((_STRING_ARG,), 1),
    "substring": ((_STRING_ARG, frozenset({int, float}), frozenset({int, float})), 2),
    "contains": ((_STRING_ARG, frozenset({str})), 2),
}


class _Untranslatable(Exception):
    """The expression uses something outside the translated subset."""


def _attrs(node: Any) -> set[str]:
    return {k for k, v in vars(node).items() if v and k != "_outer_instance"}


def _expect(node: Any, *extra: str) -> None:
    if not _attrs(node) <= _BASE_ATTRS | set(extra):
        raise _Untranslatable(node.type)


def _plain(v: Any) -> Any:
    """A column value as the interpreter's Python value (undefined is None)."""
    return None if v is UNDEFINED else v


def _fits(columns: list[Column], kinds: tuple[frozenset[type], ...]) -> bool:
    """Every value defined, finite and of its position's kind (no row needs a check)."""
    for column, allowed in zip(columns, kinds, strict=True):
        present = set(map(type, column))
        if not present <= allowed or _Marker in present:
            return False
        if float in present and not all(math.isfinite(v) for v in column if type(v) is float):
            return False
    return True


def _call_each(fn: Callable[..., Any], kinds: tuple[frozenset[type], ...],
               columns: list[Column]) -> Column:
    """``fn(*row)`` for each row whose values have the given kinds; UNSAFE otherwise."""
    if _fits(columns, kinds):  # the common case: one pass, no per-value checks
        try:
            out = list(map(fn, *columns))
        except Exception:  # some row errs: find it below
            out = None
        if out is not None and set(map(type, out)) <= _SCALARS:
            return out
    out = []
    append = out.append
    for row in zip(*columns, strict=True):
        if any(type(v) not in k or v is UNSAFE or (type(v) is float and not math.isfinite(v))
               for v, k in zip(row, kinds, strict=True)):
            append(UNSAFE)
            continue
        try:
            result = fn(*map(_plain, row))
        except Exception:  # the interpreter raises the same: it reports the row's error
            append(UNSAFE)
            continue
        if result is None:
            append(UNDEFINED)
        else:
            append(result if type(result) in _SCALARS else UNSAFE)
    return out


def _arithmetic(op: str) -> Callable[[Any, Any], Any]:
    """``evaluate_numeric_expression`` for two defined finite numbers. ``+ - *`` are inlined
    (float operation, then ``convert_number``: an integral result is an int; a NaN result is
    undefined; an infinite one raises), ``/`` and ``%`` call the library."""
    if op not in ("+", "-", "*"):
        return lambda a, b: _ENGINE.evaluate_numeric_expression(None, a, b, op)
    apply = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op]

    def arithmetic(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        r = apply(float(a), float(b))
        if r != r:
            return None
        if r in _INFINITIES:
            raise OverflowError(r)
        return int(r) if r.is_integer() else r
    return arithmetic


def _path(node: Any) -> Node:
    names = []
    for step in node.steps:
        _expect(step)
        if step.type != "name":
            raise _Untranslatable("path step")
        names.append(str(step.value))
    first, rest = names[0], names[1:]

    def lookup(records: Any) -> Column:
        values = _field(records, first)
        for name in rest:
            values = [v.get(name, UNDEFINED) if type(v) is dict
                      else v if v is UNDEFINED else UNSAFE for v in values]
        return [v if type(v) in _RECORD_VALUES or v is UNDEFINED else UNSAFE for v in values]
    return lookup


def _constant(value: Any) -> Node:
    return lambda records: [value] * len(records)


def _binary(node: Any) -> Node:
    _expect(node, "lhs", "rhs")
    op = str(node.value)
    lhs, rhs = _translate(node.lhs), _translate(node.rhs)
    engine = _ENGINE
    if op in _NUMERIC_OPS:
        kinds = (_NUMBER_ARG, _NUMBER_ARG)
        fn = _arithmetic(op)
    elif op in _ORDER_OPS:
        kinds = (_COMPARABLE, _COMPARABLE)
        def fn(a: Any, b: Any) -> Any:
            return engine.evaluate_comparison_expression(None, a, b, op)
    elif op in ("=", "!="):
        kinds = (_SCALARS | {_Marker},) * 2
        def fn(a: Any, b: Any) -> Any:
            return engine.evaluate_equality_expression(None, a, b, op)
    elif op == "&":
        kinds = (_SCALARS | {_Marker},) * 2
        def fn(a: Any, b: Any) -> Any:
            return engine.evaluate_string_concat(None, a, b)
    elif op in ("and", "or"):
        kinds = (_SCALARS | {_Marker},) * 2
        boolize = engine.boolize
        if op == "and":
            def fn(a: Any, b: Any) -> Any:
                return boolize(a) and boolize(b)
        else:
            def fn(a: Any, b: Any) -> Any:
                return boolize(a) or boolize(b)
    else:
        raise _Untranslatable(op)
    return lambda records: _call_each(fn, kinds, [lhs(records), rhs(records)])


def _negate(node: Any) -> Node:
    _expect(node, "expression")
    inner = _translate(node.expression)

    def fn(v: Any) -> Any:
        return None if v is None else jutils.Utils.convert_number(-float(v))
    return lambda records: _call_each(fn, (_NUMBER_ARG,), [inner(records)])


def _condition(node: Any) -> Node:
    _expect(node, "condition", "then", "_else")
    cond = _translate(node.condition)
    then = _translate(node.then)
    other = _translate(node._else) if node._else is not None else _constant(UNDEFINED)
    boolize = _ENGINE.boolize

    def choose(records: list[dict[str, Any]]) -> Column:
        test = _call_each(boolize, (_SCALARS | {_Marker},), [cond(records)])
        return [UNSAFE if t is UNSAFE else a if t else b
                for t, a, b in zip(test, then(records), other(records), strict=True)]
    return choose


def _function(node: Any) -> Node:
    _expect(node, "procedure", "arguments")
    proc = node.procedure
    _expect(proc)
    name = str(proc.value)
    if proc.type != "variable" or name not in _FUNCTIONS:
        raise _Untranslatable(name)
    kinds, least = _FUNCTIONS[name]
    args = node.arguments or []
    if not least <= len(args) <= len(kinds):
        raise _Untranslatable(name)  # e.g. $uppercase() on the context
    parts = [_translate(a) for a in args]
    method = getattr(jfunctions.Functions, name)
    nargs = len(inspect.signature(method).parameters)
    call = jfunctions.Functions._call
    used = kinds[:len(parts)]
    padding = [None] * (nargs - len(parts))

    def fn(*values: Any) -> Any:
        return call(method, nargs, values)

    digits = _round_digits(name, args)

    def apply(records: Any) -> Column:
        columns = [p(records) for p in parts]
        if _fits(columns, used):  # the method itself, then _call's number conversion
            if digits is not None:
                rounded = _round_column(columns[0], digits)
                if rounded is not None:
                    return rounded
            try:
                out = _as_call_result(list(map(method, *columns, *[[x] * len(records)
                                                                    for x in padding])))
            except Exception:  # some row errs: find it below
                out = None
            if out is not None:
                return out
        return _call_each(fn, used, columns)
    return apply


def _round_digits(name: str, args: list[Any]) -> int | None:
    """The precision of ``$round(x, n)`` with a literal ``n`` in 0..15, else None."""
    if name != "round" or len(args) != 2 or args[1].type != "number":
        return None
    n = args[1].value
    return int(n) if type(n) in _NUMBERS and n == int(n) and 0 <= n <= 15 else None


def _round_column(values: Column, digits: int) -> Column | None:
    """``$round`` of finite numbers by numpy where provably the library's result.

    The library rounds ``Decimal(str(x))`` half to even. ``x * 10**digits`` lies within a few
    ulps of that decimal scaled, so wherever it is farther than that from a half the nearest
    integer ``k`` is the same, and ``k / 10**digits`` is the correctly rounded double of the
    rounded decimal, i.e. ``float(round(Decimal(str(x)), digits))``. Rows near a half go
    through the library, as do values too large for this argument (None: beyond a double)."""
    try:
        x = np.array(values, dtype=np.float64)
    except OverflowError:
        return None
    scale = 10.0 ** digits
    scaled = x * scale
    size = np.abs(scaled)
    near = ((np.abs(scaled - np.floor(scaled) - 0.5) <= size * 2.0 ** -48 + 2.0 ** -60)
            | (size >= 2.0 ** 50) | (np.abs(x) >= _TWO_53))
    out = (np.rint(scaled) / scale).tolist()
    for i in np.flatnonzero(near).tolist():
        out[i] = jfunctions.Functions.round(values[i], digits)
    return _as_call_result(out)


def _as_call_result(values: Column) -> Column | None:
    """``Functions._call``'s conversion of numeric results (an integral float becomes an int),
    or None when a value needs the per-row path (NaN, infinity, an int beyond 2**53, null)."""
    kinds = set(map(type, values))
    if not kinds <= _SCALARS:
        return None
    if int in kinds and not all(-_TWO_53 <= v <= _TWO_53 for v in values if type(v) is int):
        return None
    if float in kinds:
        if not all(math.isfinite(v) for v in values if type(v) is float):
            return None
        return [int(v) if type(v) is float and v.is_integer() else v for v in values]
    return values


def _object(node: Any) -> Node:
    """``{"k": expr, ...}`` with literal, distinct keys: undefined values leave their key out."""
    _expect(node, "lhs_object")
    return _build_object(*_object_fields(node))


def _object_fields(node: Any) -> tuple[list[str], list[Node]]:
    keys: list[str] = []
    values: list[Node] = []
    for key, value in node.lhs_object:
        if key.type != "string" or str(key.value) in keys:
            raise _Untranslatable("object key")
        _expect(key)
        keys.append(str(key.value))
        values.append(_translate(value))
    return keys, values


def _build_object(keys: list[str], values: list[Node]) -> Node:
    def build(records: Any) -> Column:
        columns = [v(records) for v in values]
        out: Column = []
        for row in zip(*columns, strict=True):
            if UNSAFE in row:
                out.append(UNSAFE)
            else:
                out.append({k: v for k, v in zip(keys, row, strict=True) if v is not UNDEFINED})
        return out
    return build


def _merge_with_record(node: Any) -> Node | None:
    """``$merge([$, {...}])``: the record with the computed fields set (new keys at the end)."""
    merged = _merged_fields(node)
    if merged is None:
        return None
    build = _build_object(*merged)

    def merge(records: list[dict[str, Any]]) -> Column:
        return [UNSAFE if extra is UNSAFE else {**record, **extra}
                for record, extra in zip(records, build(records), strict=True)]
    return merge


def _translate(node: Any) -> Node:
    kind = node.type
    if kind == "path":
        _expect(node, "steps")
        return _path(node)
    if kind in ("string", "number"):
        _expect(node)
        return _constant(node.value)
    if kind == "value" and isinstance(node.value, bool):
        _expect(node)
        return _constant(node.value)
    if kind == "binary":
        return _binary(node)
    if kind == "unary" and str(node.value) == "-":
        return _negate(node)
    if kind == "condition":
        return _condition(node)
    if kind == "block" and len(node.expressions or []) == 1:  # parentheses
        _expect(node, "expressions")
        return _translate(node.expressions[0])
    if kind == "function":
        return _function(node)
    raise _Untranslatable(str(kind))


def _merged_fields(node: Any) -> tuple[list[str], list[Node]] | None:
    """Keys and value nodes of ``$merge([$, {"k": expr, ...}])``, else None."""
    if node.type != "function":
        return None
    _expect(node, "procedure", "arguments")
    args = node.arguments or []
    if (node.procedure.type != "variable" or str(node.procedure.value) != "merge"
            or len(args) != 1 or args[0].type != "unary" or str(args[0].value) != "["):
        return None
    _expect(args[0], "expressions")
    items = args[0].expressions or []
    if (len(items) != 2 or items[0].type != "variable" or str(items[0].value) != ""
            or items[1].type != "unary" or str(items[1].value) != "{"):
        return None
    _expect(items[0])
    _expect(items[1], "lhs_object")
    return _object_fields(items[1])


def _top(node: Any) -> Node:
    if node.type == "function":
        merged = _merge_with_record(node)
        if merged is not None:
            return merged
    if node.type == "unary" and str(node.value) == "{":
        return _object(node)
    return _translate(node)


def compile_columnar(expression: Any) -> Callable[[list[dict[str, Any]]], Column] | None:
    """The column-wise evaluator of a compiled ``jsonata.Jsonata`` expression's record mode,
    or None when the expression is outside the translated subset.

    The evaluator returns one value per record: the interpreter's result (``UNDEFINED`` for
    undefined) or ``UNSAFE`` for a record the interpreter must evaluate itself.
    """
    try:
        body = _top(expression.ast)
    except (_Untranslatable, AttributeError, TypeError):
        return None

    def evaluate(records: list[dict[str, Any]]) -> Column:
        results = body(records)
        if set(map(type, chain.from_iterable(map(dict.values, records)))) <= _RECORD_VALUES:
            return results
        # a record holding a value other than a JSON scalar goes to the interpreter (it
        # validates the whole input and may refuse it)
        return [UNSAFE if any(type(v) not in _RECORD_VALUES for v in r.values()) else value
                for r, value in zip(records, results, strict=True)]
    return evaluate


_PLAIN_ARROW = frozenset({"int64", "double", "string", "bool", "null"})


def compile_table(expression: Any) -> Callable[[pa.Table], list[tuple[str, Column]] | None] | None:
    """For a record-mode ``$merge([$, {...}])`` expression: ``table -> [(field, values)]``, the
    fields each record gets (set in place, new ones appended, as ``{**record, **extra}``), or
    None for a batch where some row needs the interpreter (an undefined or unsafe value, a
    column holding other than JSON scalars). None when the expression is not of that shape."""
    try:
        merged = _merged_fields(expression.ast)
    except (_Untranslatable, AttributeError, TypeError):
        return None
    if merged is None:
        return None
    keys, nodes = merged

    def evaluate(table: pa.Table) -> list[tuple[str, Column]] | None:
        from pyarrow import types as patypes

        if any(str(t) not in _PLAIN_ARROW and not patypes.is_union(t)
               for t in table.schema.types):
            return None  # dates etc.: the interpreter validates such records itself
        source = TableSource(table)
        out = []
        for key, node in zip(keys, nodes, strict=True):
            values = node(source)
            if _Marker in set(map(type, values)):
                return None
            out.append((key, values))
        return out
    return evaluate
