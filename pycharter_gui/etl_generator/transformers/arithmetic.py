"""Arithmetic in ``add`` expressions: ``${amount} * ${qty}``, ``(${a} + ${b}) / 2``.

A value is arithmetic when it is made only of ``${field}`` references (``${field:-default}``
too), numbers, parentheses, whitespace and ``+ - * /``, and it has a binary operator that is
``*``, or written with spaces around it, or inside parentheses. So ``${year}-${month}`` and
``${dir}/${file}`` keep their interpolation meaning (a string); ``${a} - ${b}`` subtracts.

Evaluation is a tiny recursive-descent parser (no ``eval``) over ``Decimal`` so that
``0.1 + 0.2`` is ``0.3``. Field values may be numbers or numeric strings; a missing or ``None``
field without a default makes the result ``None``; a non-numeric value raises ``ValueError``
naming the field. The result is an ``int`` when every operand is written as a whole number
(``4``, ``"4"``, not ``4.0``) and there is no ``/``, else a ``float``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

Evaluator = Callable[[dict[str, Any]], Any]
_Node = Callable[[dict[str, Any]], Decimal | None]

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<ref>\$\{(?P<name>[^}:]+)(?::-(?P<default>[^}]*))?\})"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<op>[-+*/()]))")
_BINARY_AFTER = ("ref", "num", ")")


def _number(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{what} is not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"{what} is not a finite number: {text!r}")
    return value


def _field_value(name: str, default: str | None, record: dict[str, Any]) -> Decimal | None:
    value = record.get(name)
    if value is None:
        return None if default is None else _number(default, f"the default of ${{{name}}}")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(f"field {name!r} is not a number: {value!r}")
    return _number(str(value), f"field {name!r}")


class _Parser:
    """expr := term (+|- term)*; term := unary (*|/ unary)*; unary := (+|-) unary | atom."""

    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expr(self) -> _Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            node = _binary(self.take()[0], node, self.term())
        return node

    def term(self) -> _Node:
        node = self.unary()
        while self.peek() in ("*", "/"):
            node = _binary(self.take()[0], node, self.unary())
        return node

    def unary(self) -> _Node:
        if self.peek() in ("+", "-"):
            sign = self.take()[0]
            inner = self.unary()
            if sign == "+":
                return inner
            return lambda r: None if (v := inner(r)) is None else -v
        return self.atom()

    def atom(self) -> _Node:
        if self.peek() is None:
            raise ValueError("unexpected end of the expression")
        kind, value = self.take()
        if kind == "num":
            return lambda _r: value
        if kind == "ref":
            name, default = value
            return lambda r: _field_value(name, default, r)
        if kind == "(":
            node = self.expr()
            if self.peek() != ")":
                raise ValueError("missing ')'")
            self.take()
            return node
        raise ValueError(f"unexpected {kind!r}")


def _binary(op: str, left: _Node, right: _Node) -> _Node:
    def apply(record: dict[str, Any]) -> Decimal | None:
        a, b = left(record), right(record)
        if a is None or b is None:
            return None
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            raise ZeroDivisionError("division by zero")
        return a / b
    return apply


def tokenize(text: str) -> list[tuple[str, Any, bool]] | None:
    """Tokens ``(kind, value, spaced)`` or None when the text is not formula-shaped."""
    tokens: list[tuple[str, Any, bool]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            return None
        spaced = match.group(0)[0].isspace()  # whitespace before the token
        if match.group("ref"):
            tokens.append(("ref", (match.group("name").strip(), match.group("default")), spaced))
        elif match.group("num"):
            tokens.append(("num", Decimal(match.group("num")), spaced))
        else:
            tokens.append((match.group("op"), None, spaced))
        pos = match.end()
    return tokens


def _is_arithmetic(tokens: list[tuple[str, Any, bool]]) -> bool:
    """Has a binary operator that is ``*``, spaced on both sides, or inside parentheses."""
    depth = 0
    for i, (kind, _value, spaced) in enumerate(tokens):
        depth += kind == "("
        depth -= kind == ")"
        binary = kind in "+-*/" and i > 0 and tokens[i - 1][0] in _BINARY_AFTER
        if not binary:
            continue
        after_spaced = i + 1 < len(tokens) and tokens[i + 1][2]
        if kind == "*" or depth > 0 or (spaced and after_spaced):
            return True
    return False


def compile_arithmetic(text: str) -> Evaluator | None:
    """The evaluator of an arithmetic ``add`` value, or None when ``text`` is not one."""
    tokens = tokenize(text)
    if not tokens or not _is_arithmetic(tokens):
        return None
    parser = _Parser([(kind, value) for kind, value, _ in tokens])
    node = parser.expr()
    if parser.peek() is not None:
        raise ValueError(f"unexpected {parser.peek()!r} in {text!r}")
    exact = "/" not in (kind for kind, _ in parser.tokens)

    def evaluate(record: dict[str, Any]) -> int | float | None:
        result = node(record)
        if result is None:
            return None
        if exact and int(result.as_tuple().exponent) >= 0:
            return int(result)
        number = float(result)
        if not math.isfinite(number):
            raise ValueError(f"the result {result} is out of range")
        return number

    return evaluate
