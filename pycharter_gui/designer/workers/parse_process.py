"""Round-trip parses of big YAML texts in a child process.

A document's parse (``yaml_roundtrip.parse``, ~500 ms of pure Python for a 3,000-line file)
ran on a worker thread of the designer, holding the interpreter lock: the first open of a big
pipeline lagged ~0.2-0.3 s and the pause after typing in it ~0.1 s (issue 12). A text longer
than ``CHILD_PARSE_CHARS`` is parsed in its own ``engine_child.EngineProcess`` instead (not
the validation's: a parse must not queue behind a check) and its ruamel data comes back
pickled, comments, quotes and line marks included (~30 ms to unpickle here). Shorter texts,
and every text when no child can start, are parsed on the calling thread.
"""

from __future__ import annotations

import logging
from typing import Any

from pycharter_gui.designer import yaml_roundtrip as yrt
from pycharter_gui.designer.workers.engine_child import (
    EngineProcess,
    ProcessSlot,
    ProcessUnavailable,
)

CHILD_PARSE_CHARS = 20_000  # ~500 lines: about 80 ms of parsing here
log = logging.getLogger(__name__)
_SLOT = ProcessSlot("parse process")
_USE_THREAD = False  # set when no child could be started: parse here from then on


def parse_process() -> EngineProcess:
    """The app's one parse process (created on first use, started on its first call)."""
    return _SLOT.get()


def shutdown_parse_process() -> None:
    """End the parse child (the app calls it on quit); a later parse starts a new one."""
    _SLOT.shutdown()


def parse_text(text: str, *, with_style: bool = False
               ) -> tuple[Any, yrt.ParseError | None, yrt.YamlStyle | None]:
    """``text`` parsed round-trip, for a worker thread: (data or None, the parse error or
    None, its indentation when ``with_style``, else None). Big texts go to the parse process."""
    global _USE_THREAD
    if len(text) > CHILD_PARSE_CHARS and not _USE_THREAD:
        try:
            data, error, style = parse_process().parse_roundtrip(text, with_style)
            return data, (yrt.ParseError(*error) if error else None), style
        except ProcessUnavailable as exc:
            _USE_THREAD = True
            log.warning("big YAML files are parsed on a thread of the designer instead of a "
                        "separate process: %s", exc)
        except RuntimeError as exc:  # the child failed twice: parse here
            log.warning("the parse process failed (%s); parsing here", exc)
    try:
        data, error = yrt.parse(text), None
    except yrt.ParseError as exc:
        data, error = None, exc
    style = None
    if with_style:
        try:
            style = yrt.detect_style(text, data)
        except Exception:  # worker boundary: the style is detected again when first needed
            style = None
    return data, error, style


__all__ = ["CHILD_PARSE_CHARS", "parse_process", "parse_text", "shutdown_parse_process"]
