"""The one secret masker behind every output: CLI, logs, errors, dead letters, checkpoints,
run history, HTTP messages and the designer's forms.

Masking works on resolved secret *values* (and their URL-encoded, JSON- and repr-quoted
forms), so a password is hidden even where URL parsing would cut it apart (``user:p@ss@host``).
Values are the ones a config load found (``${VAR}`` of secret-looking names, secret keys,
passwords inside URLs) plus secret-named run parameters; ``remember`` adds them to a
process-wide set that ``mask_url`` and ``mask_text`` use besides the values passed in.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "SECRET_WORDS", "is_secret_key", "is_secret_name", "mask_params",
           "mask_text", "mask_url", "remember", "snippet"]

MASK = "***"

# Names of variables, headers, query or run parameters whose values are secrets.
SECRET_WORDS = (r"auth|token|key|secret|passw|pwd|signature|session|cookie|credential|"
                r"connection_string|^sas")
_SECRET_NAME = re.compile(SECRET_WORDS, re.IGNORECASE)
# Config keys whose literal values are credentials (stricter: not primary_key, key_file,
# token_url).
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|api_?key|access_?key|account_?key|"
                         r"private_?key|authorization)$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_URL_USERINFO = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)(?P<pw>.+)"
                           r"(?P<tail>@[^@]*)$")
_MIN_LENGTH = 3  # shorter values would mask ordinary text

_known: set[str] = set()
_lock = threading.Lock()


def is_secret_name(name: str) -> bool:
    """True when a variable, header, query or run parameter called ``name`` likely carries a
    secret (``DB_PASSWORD``, ``Authorization``, ``api_token``, ``X-Api-Key``...)."""
    return bool(_SECRET_NAME.search(str(name)))


def is_secret_key(key: str) -> bool:
    """True when a config key's literal value is a credential (``password``, ``api_key``...)."""
    return bool(_SECRET_KEY.search(str(key).replace("-", "_")))


def remember(values: Iterable[Any]) -> None:
    """Add resolved secret values to the ones every masking call hides."""
    new = {str(v) for v in values if v is not None and len(str(v)) >= _MIN_LENGTH}
    if new - _known:
        with _lock:
            _known.update(new)


def _forms(secret: str) -> set[str]:
    """A secret as it may appear in output: plain, URL-encoded, JSON- and repr-quoted."""
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
            json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1]}


def mask_text(text: Any, secrets: Iterable[Any] = ()) -> str:
    """``str(text)`` with every known secret (and those given) replaced by ``***``.

    A short secret that is a plain word (letters, digits, ``_``; under 12 characters) is
    masked only where it stands as a whole token, so a password ``postgres`` hides
    ``:postgres@`` but leaves the word ``postgresql`` readable; any other secret is masked
    wherever it occurs.
    """
    out = str(text)
    values = {str(s) for s in secrets if s is not None and str(s)} | _known
    if not values:
        return out
    variants: set[str] = set()
    for secret in values:
        variants |= _forms(secret)
    for secret in sorted(variants, key=len, reverse=True):
        if secret not in out:
            continue
        if len(secret) < 12 and _WORD.fullmatch(secret):
            out = re.sub(rf"(?<![\w]){re.escape(secret)}(?![\w])", MASK, out)
        else:
            out = out.replace(secret, MASK)
    return out


def mask_url(url: Any, secrets: Iterable[Any] = (), *, mask: str = MASK) -> str:
    """A URL with known secret values masked first, then any inline password
    (``scheme://user:password@host``, up to the last ``@``) and secret-named query values.
    ``${VAR}`` references are shown as they are: they are names, not secrets."""
    text = mask_text(url, secrets)
    m = _URL_USERINFO.match(text)
    if m and not m.group("pw").startswith("${"):
        text = m.group("head") + mask + m.group("tail")
    return re.sub(r"([?&][^=&#\s]*=)([^&#\s]*)",
                  lambda q: q.group(1) + (mask if is_secret_name(q.group(1)) and
                                          not q.group(2).startswith("${") else q.group(2)),
                  text)


def mask_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Run parameters for writing down: the values of secret-named ones replaced by ``***``
    (and remembered, so they are masked wherever else they show up)."""
    params = dict(params or {})
    remember(v for k, v in params.items() if is_secret_name(k))
    return {k: MASK if is_secret_name(k) and v is not None else v for k, v in params.items()}


def snippet(text: Any, secrets: Iterable[Any] = (), limit: int = 200) -> str:
    """The start of ``text`` for a message: masked first, then cut to ``limit`` characters
    (cutting first could leave a secret's head unmasked)."""
    return mask_text(str(text)[:limit * 20], secrets)[:limit]  # bounded work on a huge body
