"""JSON and JSON Lines readers.

JSON: a top-level array is streamed element by element with an incremental decoder, so memory
stays bounded by the batch (plus one element). Any other shape — an object wrapping the array
under ``data``/``results``/``items``/``records``/``values``, or a ``response_path`` — is read
whole, because the array's position is only known after parsing.

JSON Lines: read line by line; blank lines are skipped; a line that is not a JSON object is
yielded as a :class:`BadLine` inside the batch so the caller can dead-letter it (never lost).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from ..errors import FatalSourceError
from ._streams import decoding

WRAPPER_KEYS = ("data", "results", "items", "records", "values")
_CHUNK = 1 << 20
_WS = " \t\r\n"


@dataclass(frozen=True)
class BadLine:
    """A JSON Lines line that could not be read as a record."""

    line_no: int
    text: str
    error: str


def _as_record(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else {"value": item}


def _batches(items: Iterator[Any], batch_size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def resolve_path(doc: Any, path: str, *, name: str) -> Any:
    """Follow a dotted ``response_path`` (``data.items``, ``results.0.rows``) into ``doc``."""
    node = doc
    for part in [p for p in path.split(".") if p]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif (isinstance(node, list) and part.lstrip("-").isdigit()
              and -len(node) <= int(part) < len(node)):
            node = node[int(part)]
        else:
            raise FatalSourceError(
                f"{name}: response_path '{path}' not found (no '{part}' there)", source=name)
    return node


def records_from_document(doc: Any, *, name: str, response_path: str | None = None) -> list[dict]:
    """The records a parsed JSON document holds (config-format §3.5 rules)."""
    if response_path:
        doc = resolve_path(doc, response_path, name=name)
    if isinstance(doc, list):
        return [_as_record(x) for x in doc]
    if isinstance(doc, dict):
        for key in WRAPPER_KEYS:
            if isinstance(doc.get(key), list):
                return [_as_record(x) for x in doc[key]]
        return [doc]
    raise FatalSourceError(
        f"{name}: the JSON holds a {type(doc).__name__}, not records (an array or an object)",
        source=name)


def _stream_array(text: IO[str], first: str, *, name: str) -> Iterator[Any]:
    """Yield the elements of a top-level JSON array without reading the file whole."""
    decoder = json.JSONDecoder()
    buf, pos, eof = first, 1, False  # first[0] == "["
    expect_item = True
    while True:
        while True:  # skip whitespace and separators, refilling as needed
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            if pos < len(buf) or eof:
                break
            chunk = text.read(_CHUNK)
            buf, pos, eof = buf[pos:] + chunk, 0, not chunk
        if pos >= len(buf):
            raise FatalSourceError(f"{name}: the JSON array is not closed", source=name)
        ch = buf[pos]
        if ch == "]":
            return
        if ch == ",":
            pos += 1
            expect_item = True
            continue
        if not expect_item:
            raise FatalSourceError(f"{name}: invalid JSON near character '{ch}'", source=name)
        try:
            item, end = decoder.raw_decode(buf, pos)
            if end >= len(buf) and not eof:
                raise ValueError("maybe truncated")
        except ValueError as exc:
            if eof:
                raise FatalSourceError(f"{name}: invalid JSON: {exc}", source=name) from exc
            chunk = text.read(max(_CHUNK, len(buf) - pos))
            buf, pos, eof = buf[pos:] + chunk, 0, not chunk
            continue
        pos = end
        expect_item = False
        yield item
        if pos > _CHUNK:
            buf, pos = buf[pos:], 0


def iter_json(stream: IO[bytes], options: dict[str, Any], batch_size: int, *, name: str
              ) -> Iterator[list[dict[str, Any]]]:
    """Yield batches of records from a JSON document (streamed when it is a plain array)."""
    encoding = decoding(options.get("encoding"))
    response_path = options.get("response_path") or None
    text = codecs.getreader(encoding)(stream)
    try:
        head = text.read(_CHUNK)
        stripped = head.lstrip(_WS)
        if stripped.startswith("[") and not response_path:
            items = (_as_record(x) for x in _stream_array(text, stripped, name=name))
            yield from _batches(items, batch_size)
            return
        try:
            doc = json.loads(head + text.read())
        except ValueError as exc:
            raise FatalSourceError(f"{name}: invalid JSON: {exc}", source=name) from exc
    except UnicodeDecodeError as exc:
        raise FatalSourceError(
            f"{name}: cannot decode the file as {encoding} ({exc.reason}); "
            "set json_options.encoding", source=name) from exc
    records = records_from_document(doc, name=name, response_path=response_path)
    del doc
    for start in range(0, len(records), batch_size):
        yield records[start:start + batch_size]


def iter_jsonl(stream: IO[bytes], options: dict[str, Any], batch_size: int, *, name: str
               ) -> Iterator[list[dict[str, Any] | BadLine]]:
    """Yield batches of records from JSON Lines; bad lines appear in the batch as BadLine."""
    encoding = decoding(options.get("encoding"))
    batch: list[dict[str, Any] | BadLine] = []
    good = 0
    for line_no, raw in enumerate(stream, start=1):
        try:
            line = raw.decode(encoding if line_no == 1 else encoding.replace("-sig", ""))
        except UnicodeDecodeError as exc:
            batch.append(BadLine(line_no, raw.decode("utf-8", "replace").rstrip("\r\n"),
                                 f"cannot decode as {encoding}: {exc.reason}"))
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            batch.append(BadLine(line_no, line.rstrip("\r\n"), f"not valid JSON: {exc}"))
            continue
        if not isinstance(value, dict):
            batch.append(BadLine(line_no, line.rstrip("\r\n"),
                                 f"a JSON {type(value).__name__}, not an object"))
            continue
        batch.append(value)
        good += 1
        if good >= batch_size:
            yield batch
            batch, good = [], 0
    if batch:
        yield batch
