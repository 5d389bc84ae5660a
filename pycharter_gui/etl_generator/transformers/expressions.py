"""The ``add`` expression language (config-format §4.4), compiled once per expression.

``compile_expression(value)`` returns a function ``record -> value``. Rules, in order: non-strings
are constants; the text is stripped; ``@now``-style tokens give datetimes; a whole-text call of a
built-in (``name(args)``, case-insensitive) is called; an arithmetic formula of field references
and numbers is computed (``${amount} * ${qty}``; rules in ``arithmetic.py``); other text with
``${`` is interpolated (always a string); anything else is a literal. Unknown functions keep
their text after interpolation.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from .arithmetic import compile_arithmetic
from .converters import (
    DATETIME_FORMATS,
    TRUE_WORDS,
    LossyConversion,
    to_int,
    token_factory,
)

Evaluator = Callable[[dict[str, Any]], Any]

_CALL_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\((.*)\)$", re.DOTALL)
VAR_RE = re.compile(r"\$\{([^}:]+)(?::-([^}]*))?\}")
INT_RE = re.compile(r"^[+-]?\d+$")
FLOAT_RE = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


def _s(x: Any) -> str:
    return "" if x is None else str(x)


def _parse_date(s: Any = None) -> Any:
    if s is None:
        return date.today().isoformat()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(str(s), fmt).date().isoformat()
        except ValueError:
            continue
    return str(s)


def _parse_datetime(s: Any = None) -> Any:
    if s is None:
        return datetime.now().isoformat()
    text = str(s)
    text = text[:-1] if text.endswith("Z") else text
    for fmt in (*DATETIME_FORMATS, "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    return str(s)


def _now(fmt: Any = None) -> str:
    now = datetime.now()
    return now.isoformat() if fmt is None else now.strftime(str(fmt))


def _coalesce(*args: Any) -> Any:
    return next((a for a in args if a is not None), None)


def _int(x: Any) -> int | None:
    """``int(x)`` in an expression truncates on purpose, as its name asks."""
    try:
        return to_int(x.strip() if isinstance(x, str) else x)
    except LossyConversion as exc:
        return exc.result
    except (TypeError, ValueError, OverflowError):
        return None


def _bool(x: Any) -> bool:
    return x.strip().lower() in TRUE_WORDS if isinstance(x, str) else bool(x)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "now": _now,
    "uuid": lambda: str(uuid.uuid4()),
    "env": lambda name, default=None: os.environ.get(str(name), default),
    "lower": lambda x: _s(x).lower(),
    "upper": lambda x: _s(x).upper(),
    "trim": lambda x: _s(x).strip(),
    "concat": lambda *a: "".join(_s(x) for x in a),
    "coalesce": _coalesce,
    "default": lambda x, d: d if x is None else x,
    "len": lambda x: len(x if isinstance(x, str) else str(x)),
    "int": _int,
    "float": float,
    "str": _s,
    "bool": _bool,
    "date": _parse_date,
    "datetime": _parse_datetime,
}


def split_args(text: str) -> list[str]:
    """Split on commas outside quotes, parentheses and ``${...}``."""
    args: list[str] = []
    depth = 0
    quote: str | None = None
    current: list[str] = []
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    tail = "".join(current).strip()
    if tail or args:
        args.append(tail)
    return args


def balanced_call(text: str) -> tuple[str, str] | None:
    """``(name, args)`` if the whole text is one call whose '(' closes at the last char."""
    match = _CALL_RE.match(text)
    if not match:
        return None
    depth = 0
    quote: str | None = None
    start = len(match.group(1))
    for pos in range(start, len(text)):
        ch = text[pos]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return (match.group(1), match.group(2)) if pos == len(text) - 1 else None
    return None


def _compile_arg(arg: str) -> Evaluator:
    if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "'\"":
        literal: Any = arg[1:-1]
    elif INT_RE.match(arg):
        literal = int(arg)
    elif FLOAT_RE.match(arg):
        literal = float(arg)
    elif arg.lower() in ("true", "false"):
        literal = arg.lower() == "true"
    elif arg.lower() in ("null", "none"):
        literal = None
    else:
        return _compile_text(arg)
    return lambda _r: literal


def interpolation_parts(text: str) -> list[Any]:
    """``text`` split into literal strings and ``(field, default | None)`` for each ``${...}``."""
    parts: list[Any] = []
    pos = 0
    for m in VAR_RE.finditer(text):
        if m.start() > pos:
            parts.append(text[pos:m.start()])
        parts.append((m.group(1).strip(), m.group(2)))
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    return parts


def _compile_interpolation(text: str) -> Evaluator:
    parts = interpolation_parts(text)

    def evaluate(record: dict[str, Any]) -> str:
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = record.get(part[0])
            if value is None:
                out.append(part[1] if part[1] is not None else "")
            else:
                out.append(str(value))
        return "".join(out)

    return evaluate


def _compile_text(text: str) -> Evaluator:
    token = token_factory(text)
    if token is not None:
        return lambda _r: token()
    call = balanced_call(text)
    if call is not None and call[0].lower() in FUNCTIONS:
        func = FUNCTIONS[call[0].lower()]
        arg_evals = [_compile_arg(a) for a in split_args(call[1])]

        def evaluate_call(record: dict[str, Any]) -> Any:
            try:
                return func(*[ev(record) for ev in arg_evals])
            except Exception:  # a function that raises gives None (§4.4)
                return None

        return evaluate_call
    arithmetic = compile_arithmetic(text)
    if arithmetic is not None:
        return arithmetic if "${" in text else _constant(arithmetic({}))
    if "${" in text:
        return _compile_interpolation(text)
    return _constant(text)


def _constant(value: Any) -> Evaluator:
    def evaluate_constant(_record: dict[str, Any]) -> Any:
        return value

    evaluate_constant.is_constant = True  # type: ignore[attr-defined]
    return evaluate_constant


def is_constant(evaluate: Evaluator) -> bool:
    """True when ``evaluate`` ignores the record and always returns the same value."""
    return getattr(evaluate, "is_constant", False) is True


def compile_expression(value: Any) -> Evaluator:
    """Compile one ``add`` value into ``record -> result`` (see module docstring)."""
    if not isinstance(value, str):
        return _constant(value)
    return _compile_text(value.strip())


def evaluate_expression(value: Any, record: dict[str, Any]) -> Any:
    """Evaluate one ``add`` value against a record (compiles each time: prefer compiling once)."""
    return compile_expression(value)(record)
