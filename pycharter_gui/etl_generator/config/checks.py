"""Compile checks: config reports at validation time what a run would fail to compile, without
importing the code that compiles.

The transformers package registers its compilers at import (``transformers/__init__.py``):
``"add"`` (an ``add`` op's spec), ``"jsonata"`` (expression, mode) and ``"contract"`` (a
contract dict); each raises ``ConfigError`` for a config it cannot compile. ``compile_check``
imports the packages of ``PROVIDERS`` before the first check, so a config is never normalised
without them (named by string, as config/registry.py names extractor classes).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

PROVIDERS = ("pycharter_gui.etl_generator.transformers",)

_CHECKS: dict[str, Callable[..., Any]] = {}


def register_check(name: str, check: Callable[..., Any]) -> None:
    """Make ``check`` the compiler ``compile_check(name)`` returns."""
    _CHECKS[name] = check


def compile_check(name: str) -> Callable[..., Any]:
    """The registered compiler ``name``; calling it raises ``ConfigError`` when the config
    part given to it does not compile."""
    if name not in _CHECKS:
        for module in PROVIDERS:
            importlib.import_module(module)
    return _CHECKS[name]
