"""Turning an HTTP page response into records: parsing (JSON / JSON Lines), ``response_path``,
and splitting the records into objects (kept) and anything else (sent to the DLQ).

Kept apart from the request loop in ``http.py`` so each can be read (and tuned) on its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx

from ..errors import FatalSourceError
from .auth import SecretMasker
from .pagination import get_path

log = logging.getLogger(__name__)

_DEFAULT_KEYS = ("data", "results", "items", "records", "values")
_THREAD_PARSE_BYTES = 1_000_000  # parse bigger pages off the event loop
_DICT_ONLY = {dict}


def records_from_body(body: Any, response_path: str | None) -> list[Any]:
    """The records in a parsed response (rules of config-format §3.3)."""
    if response_path:
        found = get_path(body, response_path)
        if isinstance(found, list):
            return found
        return [found] if isinstance(found, dict) else []
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in _DEFAULT_KEYS:
            if isinstance(body.get(key), list):
                return body[key]
        return [body]
    return []


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
                       response_path: str | None, masker: SecretMasker, page: int
                       ) -> tuple[Any, list[Any]]:
    """Parse one page: ``(body, records)``; malformed bodies raise ``FatalSourceError``.

    Pages above 1 MB are parsed in a worker thread so the event loop (and cancellation)
    stays responsive; smaller ones inline, where a thread hop would cost more than it saves.
    """
    content = response.content
    try:
        if len(content) > _THREAD_PARSE_BYTES:
            body = await asyncio.to_thread(parse_body, content, fmt)
        else:
            body = parse_body(content, fmt)
    except ValueError as exc:
        where = f"{method} {masker.url(response.request.url)}"
        start = masker.text(response.text[:200])
        message = (f"Page {page} from {where} is not valid "
                   f"{'JSON Lines' if fmt == 'jsonl' else 'JSON'} "
                   f"({exc}); it starts with {start!r}")
        error = FatalSourceError(message, source=where, user_message=message +
                                 ". Check the URL and response_format, or whether the "
                                 "server cut the response short.")
        error.page = page  # type: ignore[attr-defined]
        raise error from exc
    records = records_from_body(body, response_path)
    if (response_path and page == 1 and not records and isinstance(body, dict)
            and get_path(body, response_path) is None):
        log.warning("response_path '%s' not found in the first page from %s; its top-level "
                    "keys are %s", response_path, masker.url(response.request.url),
                    sorted(body)[:20])
    return body, records


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
