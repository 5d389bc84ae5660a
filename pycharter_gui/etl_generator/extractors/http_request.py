"""The first request of an HTTP source, resolved from its extract config and the run's params.

``build_request_spec`` turns the canonical ``http`` extract config plus run parameters and
headers into an :class:`HttpRequestSpec`: method, URL (``{name}`` path placeholders filled
from the params), query params (config, ``input_params`` defaults, run params), headers, body,
response format and path, timeouts and deadlines, retry policy and rate limits. Every problem
is collected into one ``ConfigError`` naming extract.yaml keys. No I/O: the page loop in
``http.py`` sends what this resolves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from ..errors import ConfigError, ConfigProblem
from .http_retry import DEFAULT_REQUEST_DEADLINE, RetryPolicy

__all__ = ["FORMATS", "METHODS", "HttpRequestSpec", "build_request_spec", "endpoint_url",
           "placeholder_values"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
FORMATS = {"json": "json", "jsonl": "jsonl", "ndjson": "jsonl", "json_lines": "jsonl",
           "text": "text"}  # text: kept as text, so no records (config-format §3.3)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _problem(key: str, message: str, hint: str | None = None) -> ConfigProblem:
    return ConfigProblem(file="extract.yaml", key=key, message=message, hint=hint)


@dataclass
class HttpRequestSpec:
    """Everything needed to send the first page request, resolved from config and run params."""

    method: str
    url: str
    params: dict[str, Any]
    headers: dict[str, str]
    request_kwargs: dict[str, Any] = field(default_factory=dict)
    response_format: str = "json"
    response_path: str | None = None
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(30.0, connect=10.0))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limit: float | None = None
    rate_limit_delay: float = 0.0
    page_delay: float = 0.0
    request_deadline: float | None = DEFAULT_REQUEST_DEADLINE
    total_deadline: float | None = None


def endpoint_url(cfg: Mapping[str, Any], problems: list[ConfigProblem]) -> str:
    """The endpoint's URL: ``url``, or ``base_url`` joined with ``api_endpoint`` (an absolute
    ``api_endpoint`` wins); what is missing or not http(s) is added to ``problems``."""
    url = cfg.get("url")
    base = cfg.get("base_url")
    endpoint = cfg.get("api_endpoint") or cfg.get("endpoint")
    is_abs = lambda s: isinstance(s, str) and s.lower().startswith(("http://", "https://"))  # noqa: E731
    if is_abs(endpoint):
        return str(endpoint)
    if base and (endpoint or url):
        return str(base).rstrip("/") + "/" + str(endpoint or url).lstrip("/")
    if url or base:
        full = str(url or base)
        if not is_abs(full):
            problems.append(_problem("url" if url else "base_url",
                                     f"'{full}' is not an http(s) URL",
                                     "write the full address, e.g. https://api.example.com/items"))
        return full
    problems.append(_problem("url", "no endpoint configured",
                             "set url, or base_url and api_endpoint"))
    return ""


def _float(cfg: Mapping[str, Any], key: str, default: float, problems: list[ConfigProblem],
           label: str | None = None) -> float:
    value = cfg.get(key, default)
    try:
        return float(default if value is None else value)
    except (TypeError, ValueError):
        problems.append(_problem(label or key, f"must be a number of seconds, not {value!r}"))
        return default


def _timeout(raw: Any, problems: list[ConfigProblem]) -> httpx.Timeout:
    if raw is None:
        raw = {}
    if isinstance(raw, int | float | str) and not isinstance(raw, bool):
        raw = {k: raw for k in ("connect", "read", "write", "pool")}
    if not isinstance(raw, Mapping):
        problems.append(_problem("timeout", "must be seconds or {connect, read, write, pool}"))
        raw = {}
    defaults = {"connect": 10.0, "read": 30.0, "write": 10.0, "pool": 10.0}
    values = {k: _float(raw, k, d, problems, f"timeout.{k}") for k, d in defaults.items()}
    return httpx.Timeout(**values)


def _deadline(raw: Any, key: str, default: float | None, problems: list[ConfigProblem]
              ) -> float | None:
    """``timeout.request`` / ``timeout.total`` in seconds (None: no limit)."""
    if not isinstance(raw, Mapping) or raw.get(key) is None:
        return default
    seconds = _float(raw, key, 0.0, problems, f"timeout.{key}")
    if seconds <= 0:
        problems.append(_problem(f"timeout.{key}", "must be more than 0 seconds"))
    return seconds


def _merge_params(cfg: Mapping[str, Any], run_params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Config params, then input_params defaults, then run params (mapped by param_mapping)."""
    params = dict(cfg.get("params") or {})
    mapping = cfg.get("param_mapping") or {}
    declared = cfg.get("input_params") or {}
    if isinstance(declared, Mapping):
        for name, spec in declared.items():
            target = mapping.get(name, name)
            if isinstance(spec, Mapping) and spec.get("default") is not None:
                params.setdefault(target, spec["default"])
    for name, value in (run_params or {}).items():
        params[mapping.get(name, name)] = value
    return {k: v for k, v in params.items() if v is not None}


def _fill_path(url: str, params: dict[str, Any], problems: list[ConfigProblem]) -> str:
    """Substitute ``{name}`` placeholders from params, removing those params from the query."""
    missing = [n for n in dict.fromkeys(_PLACEHOLDER.findall(url)) if n not in params]
    for name in missing:
        problems.append(_problem("api_endpoint", f"path placeholder {{{name}}} has no value",
                                 f"pass it as a run parameter ({name}=...) or add it to params"))
    if missing:
        return url
    used = set(_PLACEHOLDER.findall(url))
    filled = _PLACEHOLDER.sub(lambda m: quote(str(params[m.group(1)]), safe=""), url)
    for name in used:
        params.pop(name, None)
    return filled


def build_request_spec(cfg: Mapping[str, Any], params: Mapping[str, Any] | None = None,
                       headers: Mapping[str, Any] | None = None) -> HttpRequestSpec:
    """Resolve an http extract config plus run params/headers; ``ConfigError`` lists problems."""
    problems: list[ConfigProblem] = []
    method = str(cfg.get("method") or "GET").upper()
    if method not in METHODS:
        problems.append(_problem("method", f"unsupported method '{method}'",
                                 "use " + ", ".join(METHODS)))
    merged = _merge_params(cfg, params)
    url = _fill_path(endpoint_url(cfg, problems), merged, problems)
    all_headers = {str(k): str(v) for k, v in {**(cfg.get("headers") or {}),
                                                **(headers or {})}.items() if v is not None}
    fmt = FORMATS.get(str(cfg.get("response_format") or "json").lower())
    if fmt is None:
        problems.append(_problem("response_format", f"unsupported '{cfg.get('response_format')}'",
                                 "use json or jsonl"))
    kwargs: dict[str, Any] = {}
    body, form = cfg.get("body"), cfg.get("form")
    if body is not None and form is not None:
        problems.append(_problem("form", "give either body (JSON) or form, not both"))
    elif isinstance(body, str | bytes):
        kwargs["content"] = body
    elif body is not None:
        kwargs["json"] = body
    elif form is not None:
        kwargs["data"] = dict(form)
    retry_cfg = cfg.get("retry") or {}
    try:
        retry = RetryPolicy.from_config(retry_cfg)
    except (TypeError, ValueError) as exc:
        problems.append(_problem("retry", f"invalid retry settings ({exc})"))
        retry = RetryPolicy()
    pagination = cfg.get("pagination") or {}
    rate = cfg.get("rate_limit")
    spec = HttpRequestSpec(
        method=method, url=url, params=merged, headers=all_headers, request_kwargs=kwargs,
        response_format=fmt or "json", response_path=cfg.get("response_path") or None,
        timeout=_timeout(cfg.get("timeout"), problems), retry=retry,
        request_deadline=_deadline(cfg.get("timeout"), "request", DEFAULT_REQUEST_DEADLINE,
                                   problems),
        total_deadline=_deadline(cfg.get("timeout"), "total", None, problems),
        rate_limit=_float(cfg, "rate_limit", 0.0, problems) if rate is not None else None,
        rate_limit_delay=_float(cfg, "rate_limit_delay", 0.0, problems),
        page_delay=_float(pagination if "page_delay" in pagination else cfg, "page_delay", 0.0,
                          problems, "pagination.page_delay"),
    )
    if problems:
        raise ConfigError(problems)
    return spec


def placeholder_values(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Dummy values for path placeholders, so validation does not demand run parameters."""
    text = " ".join(str(cfg.get(k) or "") for k in ("url", "base_url", "api_endpoint", "endpoint"))
    return {name: "x" for name in _PLACEHOLDER.findall(text)}
