"""``${VAR}`` substitution in config values, secret tracking and masking.

Syntax (config-format §1.2): ``${NAME}``, ``${NAME:-default}``, ``${NAME:?message}`` and the
escape ``$${NAME}`` (a literal ``${NAME}``). Names are looked up in ``config_context`` first,
then in ``os.environ``. In extract/load configs an unresolved name without a default is an
error; in transform configs (``only_context=True``) only ``config_context`` names are replaced
and every other ``${...}`` stays for per-record evaluation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from ..errors import ConfigError, ConfigProblem
from ..secrets import is_secret_key
from ..secrets import is_secret_name as looks_secret
from ..secrets import mask_text as mask_secrets  # noqa: F401 - this package's name for it

# $${...} (escape) or ${NAME}, ${NAME:-default}, ${NAME:?message}
_VAR_RE = re.compile(r"\$\$\{([^}]*)\}|\$\{([^}:]+)(?::([-?])([^}]*))?\}")
_ACCOUNT_KEY_RE = re.compile(r"AccountKey=([^;]+)", re.IGNORECASE)
_URL_PASSWORD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:([^@/\s]+)@")
_INT_RE = re.compile(r"[-+]?(0|[1-9][0-9_]*)")
_FLOAT_RE = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+")

_MISSING = object()


_BEFORE_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/@\s]*:")
_URL_UNSAFE = re.compile(r"[@/:#?\[\]\s%]")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")  # already encoded: kept as written


def _is_url_password(text: str, match: re.Match[str]) -> bool:
    """True when ``match`` is the whole password of ``scheme://user:${PW}@host``."""
    return (text[match.end():match.end() + 1] == "@"
            and _BEFORE_PASSWORD.fullmatch(text[:match.start()]) is not None)


def embedded_secret(value: str) -> str | None:
    """A password inside a URL or an Azure ``AccountKey=`` inside a connection string."""
    if pw := url_password(value):
        return pw
    match = _ACCOUNT_KEY_RE.search(value)
    return match.group(1) if match else None


def url_password(value: str) -> str | None:
    """The password inside ``scheme://user:password@host``, if any (URL-decoded)."""
    match = _URL_PASSWORD_RE.match(value.strip())
    return unquote(match.group(1)) if match else None


def yaml_scalar(text: str) -> Any:
    """Type a substituted whole value as YAML would (int, float, bool, null), else keep str."""
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered in ("", "~", "null"):
        return None
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if _INT_RE.fullmatch(stripped):
        return int(stripped.replace("_", ""))
    if _FLOAT_RE.fullmatch(stripped):
        return float(stripped.replace("_", ""))
    return text


class _Substituter:
    """Walks a config tree, substituting strings and collecting problems and secrets."""

    def __init__(
        self,
        context: Mapping[str, Any] | None,
        only_context: bool,
        file: str | None,
        retype: bool,
    ) -> None:
        self.context = dict(context or {})
        self.only_context = only_context
        self.file = file
        self.retype = retype
        self.problems: list[ConfigProblem] = []
        self.secrets: set[str] = set()

    def lookup(self, name: str) -> Any:
        if name in self.context:
            return self.context[name]
        if self.only_context:
            return _MISSING
        return os.environ.get(name, _MISSING)

    def walk(self, value: Any, key: str) -> Any:
        if isinstance(value, Mapping):
            out = {}
            for k, v in value.items():
                sub_key = f"{key}.{k}" if key else str(k)
                out[k] = self.walk(v, sub_key)
                if isinstance(out[k], str) and isinstance(k, str) and is_secret_key(k) and out[k]:
                    self.secrets.add(out[k])
            return out
        if isinstance(value, list):
            return [self.walk(v, f"{key}.{i}" if key else str(i)) for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return tuple(self.walk(v, f"{key}.{i}") for i, v in enumerate(value))
        if isinstance(value, str):
            return self.string(value, key)
        return value

    def string(self, text: str, key: str) -> Any:
        if "$" not in text:
            if not self.only_context and (pw := embedded_secret(text)):
                self.secrets.add(pw)
            return text
        whole = _VAR_RE.fullmatch(text.strip())
        replaced_any = False
        secret_value = False

        def repl(match: re.Match[str]) -> str:
            nonlocal replaced_any, secret_value
            if match.group(1) is not None:  # $${NAME} escape
                return match.group(0) if self.only_context else "${" + match.group(1) + "}"
            name, op, arg = match.group(2), match.group(3), match.group(4)
            value = self.lookup(name)
            if value is _MISSING or value is None:
                if self.only_context:
                    return match.group(0)
                if op == "-":
                    replaced_any = True
                    return arg
                message = (
                    arg if op == "?" and arg else f"variable '{name}' is not set"
                )
                self.problems.append(ConfigProblem(
                    file=self.file, key=key, message=message,
                    hint=f"define {name} in the environment or in config_context, "
                    f"or write ${{{name}:-default}}",
                ))
                return match.group(0)
            replaced_any = True
            text_value = str(value)
            if looks_secret(name) and text_value:
                self.secrets.add(text_value)
                secret_value = True
            if _is_url_password(text, match) and _URL_UNSAFE.search(_PERCENT.sub("", text_value)):
                return quote(text_value, safe="")  # "p@ss" in user:${PW}@host stays one password
            return text_value

        result = _VAR_RE.sub(repl, text)
        if not self.only_context and (pw := embedded_secret(result)):
            self.secrets.add(pw)
        # Secrets stay text: a numeric password must not become an int.
        if (whole is not None and whole.group(1) is None and replaced_any and self.retype
                and not secret_value):
            return yaml_scalar(result)
        return result


def substitute_tree(
    value: Any,
    context: Mapping[str, Any] | None,
    *,
    only_context: bool = False,
    file: str | None = None,
    key: str = "",
    retype: bool = True,
) -> tuple[Any, set[str], list[ConfigProblem]]:
    """Substitute every string in ``value``; return (new value, secrets, problems)."""
    sub = _Substituter(context, only_context, file, retype)
    result = sub.walk(value, key)
    return result, sub.secrets, sub.problems


def substitute(value: Any, context: Mapping[str, Any] | None, *, only_context: bool = False) -> Any:
    """Return ``value`` with ``${...}`` references replaced (recursively for dicts/lists).

    A whole-value reference is re-typed like YAML (``"${N:-100}"`` becomes ``100``).
    Raises ``ConfigError`` naming every unresolved variable unless ``only_context``.
    """
    result, _secrets, problems = substitute_tree(value, context, only_context=only_context)
    if problems:
        raise ConfigError(problems)
    return result


def collect_secrets(value: Any) -> set[str]:
    """Secrets visible in an already-substituted tree: secret-named keys, URL passwords."""
    _result, secrets, _problems = substitute_tree(value, {}, only_context=True)
    found = set(secrets)

    def walk(v: Any) -> None:
        if isinstance(v, Mapping):
            for item in v.values():
                walk(item)
        elif isinstance(v, list | tuple):
            for item in v:
                walk(item)
        elif isinstance(v, str) and (pw := embedded_secret(v)):
            found.add(pw)

    walk(value)
    return found


