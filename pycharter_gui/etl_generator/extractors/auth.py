"""HTTP authentication (bearer, basic, API key) as ``httpx.Auth`` classes, and secret masking.

Secrets arrive already ``${VAR}``-substituted by the config normaliser. Every string the HTTP
extractor shows a user (log lines, errors, progress) goes through a ``SecretMasker`` first.
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from ..errors import ConfigError, ConfigProblem
from ..secrets import MASK, SECRET_WORDS, is_secret_name, mask_text, snippet


class BearerAuth(httpx.Auth):
    """Sends ``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


class APIKeyAuth(httpx.Auth):
    """Sends an API key in a header or as a query parameter."""

    def __init__(self, name: str, value: str, location: str = "header") -> None:
        self.name = name
        self.value = value
        self.location = location

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.location == "query":
            request.url = request.url.copy_set_param(self.name, self.value)
        else:
            request.headers[self.name] = self.value
        yield request


def _problem(key: str, message: str, hint: str | None = None) -> ConfigProblem:
    return ConfigProblem(file="extract.yaml", key=f"auth.{key}" if key else "auth",
                         message=message, hint=hint)


def build_auth(auth_cfg: Mapping[str, Any] | None) -> httpx.Auth | None:
    """Return the ``httpx.Auth`` for an ``auth`` config block, or None when there is none.

    Raises ``ConfigError`` listing every missing or unknown field (values are never echoed).
    """
    if not auth_cfg:
        return None
    if not isinstance(auth_cfg, Mapping):
        raise ConfigError([_problem("", "must be a mapping with a 'type'")])
    kind = str(auth_cfg.get("type") or "").strip().lower().replace("-", "_")
    if kind == "none":
        return None
    problems: list[ConfigProblem] = []

    def need(*names: str) -> list[str]:
        values = []
        for name in names:
            value = auth_cfg.get(name)
            if value is None or str(value) == "":
                problems.append(_problem(name, f"is required for auth type '{kind}'"))
            values.append("" if value is None else str(value))
        return values

    auth: httpx.Auth | None = None
    if kind in {"bearer", "token", "bearer_token"}:
        (token,) = need("token")
        auth = BearerAuth(token)
    elif kind == "basic":
        username, password = need("username", "password")
        auth = httpx.BasicAuth(username, password)
    elif kind in {"api_key", "apikey"}:
        name = auth_cfg.get("name") or auth_cfg.get("header") or auth_cfg.get("param")
        (value,) = need("value")
        location = str(auth_cfg.get("in") or auth_cfg.get("in_") or auth_cfg.get("location")
                       or "header").lower()
        if not name:
            problems.append(_problem("name", "is required for auth type 'api_key'",
                                     "the header or query parameter that carries the key"))
        if location not in {"header", "query"}:
            problems.append(_problem("in", f"must be 'header' or 'query', not '{location}'"))
        auth = APIKeyAuth(str(name or ""), value, location)
    else:
        problems.append(_problem("type", f"unknown auth type '{kind}'",
                                 "use bearer, basic or api_key"))
    if problems:
        raise ConfigError(problems)
    return auth


class SecretMasker:
    """Replaces known secret values, and the values of secret-named query params, with ``***``."""

    def __init__(self, secrets: Iterable[str] = (), secret_params: Iterable[str] = ()) -> None:
        # Longest first so a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)
        self.secret_params = {p.lower() for p in secret_params}

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], extra_headers: Mapping[str, Any] | None = None
                    ) -> SecretMasker:
        """Collect secrets from ``auth``, secret-named headers and secret-named params."""
        secrets: list[str] = []
        params: list[str] = []
        auth = cfg.get("auth")
        if isinstance(auth, Mapping):
            for key in ("token", "password", "value"):
                if auth.get(key):
                    secrets.append(str(auth[key]))
            if str(auth.get("type", "")).lower() in {"api_key", "apikey"}:
                name = auth.get("name") or auth.get("header") or auth.get("param")
                if name:
                    params.append(str(name))
        for headers in (cfg.get("headers"), extra_headers):
            for name, value in (headers or {}).items():
                if is_secret_name(str(name)) and value is not None:
                    text = str(value)
                    secrets.append(text)
                    # "Bearer abc" -> also mask "abc" on its own.
                    secrets.extend(part for part in text.split() if len(part) >= 8)
        for name, value in (cfg.get("params") or {}).items():
            if is_secret_name(str(name)) and isinstance(value, str | int):
                secrets.append(str(value))
        return cls(secrets, params)

    def text(self, value: object) -> str:
        """``str(value)`` with every known secret replaced (``secrets.mask_text``)."""
        return mask_text(value, self.secrets)

    def snippet(self, value: object, limit: int = 200) -> str:
        """The start of ``value`` for a message, masked first and then cut."""
        return snippet(value, self.secrets, limit)

    def url(self, url: httpx.URL | str) -> str:
        """The URL with secret query values and userinfo masked."""
        try:
            parsed = httpx.URL(str(url))
        except (httpx.InvalidURL, TypeError, ValueError):
            return self.text(url)
        items = [(k, MASK if (k.lower() in self.secret_params or is_secret_name(k)) else v)
                 for k, v in parsed.params.multi_items()]
        if items:
            parsed = parsed.copy_with(params=httpx.QueryParams(items))
        if parsed.userinfo:
            parsed = parsed.copy_with(username=MASK, password=None)
        # QueryParams escapes "*"; put the mask back so it reads as a mask.
        return self.text(str(parsed).replace("%2A%2A%2A", MASK))

    def headers(self, headers: Mapping[str, Any]) -> dict[str, str]:
        """A copy of ``headers`` with secret-named values masked."""
        return {k: (MASK if is_secret_name(str(k)) else self.text(v)) for k, v in headers.items()}


_QUERY_SECRET = re.compile(rf"([?&][^=&\s]*(?:{SECRET_WORDS})[^=&\s]*=)[^&\s\"']+",
                           re.IGNORECASE)


class _HttpxLogFilter(logging.Filter):
    """Masks secrets in httpx's own request log lines (it logs full URLs at INFO)."""

    def __init__(self) -> None:
        super().__init__()
        self.maskers: weakref.WeakSet[SecretMasker] = weakref.WeakSet()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)
        for masker in list(self.maskers):
            masked = masker.text(masked)
        if masked != text:
            record.msg, record.args = masked, None
        return True


_HTTPX_FILTER = _HttpxLogFilter()
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_HTTPX_FILTER)


@contextmanager
def masking_library_logs(masker: SecretMasker) -> Iterator[None]:
    """While active, httpx/httpcore log lines have ``masker``'s secrets replaced."""
    _HTTPX_FILTER.maskers.add(masker)
    try:
        yield
    finally:
        _HTTPX_FILTER.maskers.discard(masker)
