"""Turning an HTTP page response into records: parsing (JSON / JSON Lines), ``response_path``,
and splitting the records into objects (kept) and anything else (sent to the DLQ).

Kept apart from the request loop in ``http.py`` so each can be read (and tuned) on its own.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from ..errors import FatalSourceError
from .auth import SecretMasker
from .pagination import get_path

_DEFAULT_KEYS = ("data", "results", "items", "records", "values")
_THREAD_PARSE_BYTES = 1_000_000  # parse bigger pages off the event loop
_DICT_ONLY = {dict}


def records_from_body(body: Any, response_path: str | None) -> list[Any]:
    """The records in a parsed response (rules of config-format §3.3)."""
    return _locate(body, response_path)[0]


def _locate(body: Any, response_path: str | None) -> tuple[list[Any], str | None]:
    """``(records, where)``: ``where`` names the place the records were found (the path or
    default key holding them, ``list`` for a top-level list, ``object`` for a single object),
    None when the page has no place for records (the path is missing or null)."""
    if response_path:
        found = get_path(body, response_path)
        if isinstance(found, list):
            return found, response_path
        return ([found], response_path) if isinstance(found, dict) else ([], None)
    if isinstance(body, list):
        return body, "list"
    if isinstance(body, dict):
        for key in _DEFAULT_KEYS:
            if isinstance(body.get(key), list):
                return body[key], key
        return [body], "object"
    return [], None


def parse_body(content: bytes, fmt: str) -> Any:
    """Parse a response body: ``json`` (empty body -> None), ``jsonl``, or ``text`` (None).

    ``json.loads`` on the raw bytes: the same work as ``response.json()`` without decoding the
    body to ``str`` first; it raises ``ValueError`` for malformed input.
    """
    if fmt == "text":
        return None
    if fmt == "jsonl":
        rows = []
        for lineno, line in enumerate(content.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"line {lineno}: {exc.msg}") from exc
        return rows
    if not content or content.isspace():
        return None
    return json.loads(content)


async def page_records(response: httpx.Response, method: str, fmt: str,
                       response_path: str | None, masker: SecretMasker, page: int,
                       expected: str | None = None) -> tuple[Any, list[Any], str | None]:
    """Parse one page: ``(body, records, where)`` (``where`` as in ``_locate``).

    A malformed body, a page reporting an error, a page without its records (the
    ``response_path`` is missing or null) or a page of another shape than the first
    (``expected``) raises ``FatalSourceError``: the data would otherwise end there silently.
    An empty body is an empty page. Pages above 1 MB are parsed in a worker thread so the
    event loop (and cancellation) stays responsive; smaller ones inline.
    """
    content = response.content
    try:
        if len(content) > _THREAD_PARSE_BYTES:
            body = await asyncio.to_thread(parse_body, content, fmt)
        else:
            body = parse_body(content, fmt)
    except ValueError as exc:
        kind = "JSON Lines" if fmt == "jsonl" else "JSON"
        raise _page_error(response, method, masker, page, f"is not valid {kind} ({exc})",
                          "Check the URL and response_format, or whether the server cut the "
                          "response short.") from exc
    records, where = _locate(body, response_path)
    if fmt == "text" or body is None:
        return body, records, where
    if isinstance(body, dict) and where in (None, "object") and (body.get("error")
                                                                or body.get("errors")):
        raise _page_error(response, method, masker, page, "reports an error instead of records",
                          "The API failed this page although it answered 200; the run stops "
                          "here rather than end the data early.")
    if where is None:
        raise _page_error(response, method, masker, page,
                          f"has no records at response_path '{response_path}' (missing or "
                          f"null)", "Check response_path, or whether the API failed this page.")
    if expected is not None and where != expected:
        raise _page_error(response, method, masker, page,
                          f"has another shape than page 1 (records {_where(where)}, on page 1 "
                          f"{_where(expected)})", "Set response_path to the record list, or "
                          "check whether the API failed this page.")
    return body, records, where


def _where(where: str) -> str:
    return {"list": "as a top-level list", "object": "as a single object"}.get(
        where, f"under '{where}'")


def _page_error(response: httpx.Response, method: str, masker: SecretMasker, page: int,
                problem: str, hint: str) -> FatalSourceError:
    """A ``FatalSourceError`` for a page, quoting its start (masked first, then cut)."""
    where = f"{method} {masker.url(response.request.url)}"
    start = masker.snippet(response.text)
    message = f"Page {page} from {where} {problem}; it starts with {start!r}"
    error = FatalSourceError(message, source=where, user_message=f"{message}. {hint}")
    error.page = page  # type: ignore[attr-defined]
    return error


def split_records(records: list[Any], room: int | None) -> tuple[list[dict[str, Any]], list[Any]]:
    """``(objects, others)`` among the first records of a page, keeping at most ``room`` objects.

    ``room`` None means no limit. Records after the limit is reached are neither kept nor
    reported. The usual page (only plain dicts, under the limit) is checked with one C-level
    pass and returned as is, without copying.
    """
    if (room is None or len(records) <= room) and set(map(type, records)) <= _DICT_ONLY:
        return records, []
    if room is not None and room <= 0:
        return [], []
    kept: list[dict[str, Any]] = []
    others: list[Any] = []
    for record in records:
        if room is not None and len(kept) >= room:
            break
        if isinstance(record, dict):
            kept.append(record)
        else:
            others.append(record)
    return kept, others
