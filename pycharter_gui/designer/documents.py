"""``PipelineDocument``: the three YAML texts of one pipeline, edited round-trip with undo.

Form edits and YAML edits both become text changes of one file, so a single ``QUndoStack`` per
pipeline undoes either kind, and the saved file differs from the original only where the user
changed something (comments, key order, quotes and blank lines are kept).

A pipeline held by one file (pycharter's pipeline.yaml, a steps list, a v2 ``kind: Pipeline``)
is edited as that file (kind ``pipeline``): the extract/transform/load kinds stay empty and
read-only, so saving never writes them beside it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from pycharter_gui.designer import yaml_roundtrip as yrt
from pycharter_gui.designer.discovery import KINDS
from pycharter_gui.designer.workers.blocking import BlockingJob
from pycharter_gui.designer.workers.parse_process import CHILD_PARSE_CHARS, parse_text
from pycharter_gui.etl_generator import atomic_write, detect

CONTRACT_FILES = ("contract.yaml", "schema.yaml", "schema.json", "contract.json")
# The contract's files beside the configs (optional: created by the first edit, written on
# save, undone like the others).
CONTRACT_KINDS = ("schema", "coercion_rules", "validation_rules")
# The files a document edits: the three configs and the contract's.
FILE_KINDS = (*KINDS, *CONTRACT_KINDS)
PIPELINE = "pipeline"  # the one file of a single-file pipeline
ALL_KINDS = (*FILE_KINDS, PIPELINE)
#: How the forms name a single-file format (the engine's ``detect`` names).
FORMAT_NAMES = {"sections": "a pycharter pipeline.yaml file",
                "steps": "a pycharter steps pipeline (0.0.54-0.0.60)",
                "manifest": "a pycharter v2 `kind: Pipeline` file"}


_KEEP = object()  # a parse that failed: the last good data stays
# A text this short parses (and has its indentation detected) in a few ms: on opening a file
# and on undo/redo it is parsed at once; a longer one on a worker, as typing always is.
INLINE_PARSE_CHARS = 1_500


def _parse_kind(kind: str, text: str) -> tuple[Any, yrt.ParseError | None]:
    """The parse of one file's text: (data, None), or (``_KEEP``, the error)."""
    try:
        data = yrt.parse(text)
    except yrt.ParseError as exc:
        return _KEEP, exc
    return _checked(kind, data, None)


def _checked(kind: str, data: Any, error: yrt.ParseError | None
             ) -> tuple[Any, yrt.ParseError | None]:
    """(data, None) for a mapping (or an empty file), else (``_KEEP``, why not)."""
    if error is not None:
        return _KEEP, error
    if data is not None and not isinstance(data, dict):
        return _KEEP, yrt.ParseError(f"{kind}.yaml must hold a mapping of keys", 1)
    return data, None


def _parse_job(kind: str, text: str) -> tuple[str, str, Any, yrt.ParseError | None]:
    """``_parse_kind`` on a worker thread (a big text in the parse process); the result
    names what it belongs to."""
    try:
        data, error, _style = parse_text(text)
        return (kind, text, *_checked(kind, data, error))
    except Exception as exc:  # worker boundary: an unexpected parser failure is a parse error
        return kind, text, _KEEP, yrt.ParseError(f"{type(exc).__name__}: {exc}", None)


def _load_job(kind: str, text: str) -> tuple[str, str, Any, Any, yrt.YamlStyle | None]:
    """``_parse_job`` of a file just read, plus its indentation (first open, on a worker)."""
    try:
        data, error, style = parse_text(text, with_style=True)
    except Exception as exc:  # worker boundary: an unexpected parser failure is a parse error
        return kind, text, _KEEP, yrt.ParseError(f"{type(exc).__name__}: {exc}", None), None
    return (kind, text, *_checked(kind, data, error), style)


def _one_line_changed(old: str, new: str) -> bool:
    """``new`` differs from ``old`` within exactly one line (the others are the same)."""
    a, b = old.split("\n"), new.split("\n")
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _is_flow(node: Any) -> bool:
    fa = getattr(node, "fa", None)
    return fa is not None and bool(fa.flow_style())


class _TextEditCommand(QUndoCommand):
    """Replace the text of one file; consecutive edits with the same merge key merge."""

    def __init__(self, doc: PipelineDocument, kind: str, old: str, new: str,
                 merge_key: Any, label: str) -> None:
        super().__init__(label)
        self.doc, self.kind, self.old, self.new, self.merge_key = doc, kind, old, new, merge_key
        self._pushed = False  # the first redo is the edit itself, not a redo

    def id(self) -> int:
        return 1 if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _TextEditCommand) or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.doc._apply_text(self.kind, self.new, history=self._pushed)
        if self._pushed and self.kind in KINDS:
            self.doc.history_applied.emit(self.kind, False)
        self._pushed = True

    def undo(self) -> None:
        self.doc._apply_text(self.kind, self.old, history=True)
        if self.kind in KINDS:  # schema.yaml steps show in the Contract tab itself
            self.doc.history_applied.emit(self.kind, True)


class PipelineDocument(QObject):
    """One pipeline folder's extract/transform/load YAML (or its single pipeline file) and
    schema.yaml, with dirty tracking and undo; ``texts()`` gives the configs only (what
    previews, runs and validation lay over).

    Typed text (``set_text(..., background=True)``) is parsed on a worker: ``text_edited``
    says at once that the text changed, ``text_changed`` follows when its parse is applied
    (a result for a text that has moved on is dropped). Until then the readers (``data``,
    ``value``, ``parse_error``…) give the last parse; an edit through the document parses
    first. A form edit that replaces a scalar within one line changes the parse in place
    instead of parsing the file again.
    """

    text_changed = Signal(str)        # kind whose text changed and whose parse is applied
    text_edited = Signal(str)         # kind whose text changed (its parse may follow later)
    dirty_changed = Signal(bool)
    parse_state_changed = Signal(str)  # kind whose parse error appeared or went away
    saved = Signal()
    history_applied = Signal(str, bool)  # config kind an undo (True) / redo (False) changed

    def __init__(self, name: str, path: str | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.path = Path(path)
        self.format = "folder"  # the engine's name of the format (``detect``)
        self.single: Path | None = None  # the file holding a single-file pipeline
        self.undo_stack = QUndoStack(self)
        self._text: dict[str, str] = {}
        self._saved: dict[str, str] = {}
        self._newline: dict[str, str] = {}
        self._data: dict[str, Any] = {}
        self._error: dict[str, yrt.ParseError | None] = {}
        self._style: dict[str, yrt.YamlStyle] = {}
        # kind -> (text, quiet) of a parse running on a worker; quiet: the data already holds
        # the text's values (a form edit in place) and only its line/column marks are renewed
        self._parsing: dict[str, tuple[str, bool]] = {}
        self._in_place: tuple[str, str] | None = None  # (kind, text) a form edit parsed in place
        self._loading: set[str] = set()  # kinds whose first parse runs on a worker
        self._unstyled: set[str] = set()  # kinds whose indentation is still being detected
        self._background = False  # the edit being pushed is parsed on a worker
        self._seal = 0
        self._was_dirty = False
        self.load()

    # -- reading ---------------------------------------------------------------------------
    def file_path(self, kind: str) -> Path:
        if kind == PIPELINE:
            return self.single or self.path / "pipeline.yaml"
        return self.path / f"{kind}.yaml"

    def config_kinds(self) -> tuple[str, ...]:
        """The kinds holding the pipeline's config: its single file, or the three files."""
        return (PIPELINE,) if self.single is not None else KINDS

    def is_read_only(self, kind: str) -> bool:
        """True for a kind this pipeline has no file of (the trio of a single-file one)."""
        return kind not in (*self.config_kinds(), *CONTRACT_KINDS)

    def read_only_reason(self) -> str | None:
        """Why the Extract/Transform/Load forms cannot edit this pipeline (None: they can)."""
        if self.single is None:
            return None
        what = FORMAT_NAMES.get(self.format, f"a {self.format} pipeline file")
        return (f"This is {what} ({self.single.name}): edit it in the YAML tab, or convert it "
                "to the folder format (Pipeline ▸ Convert to folder format…).")

    def load(self) -> None:
        """(Re)read the files from disk; clears undo history."""
        self.format, self.single = detect(self.path)
        for kind in ALL_KINDS:
            f = self.file_path(kind)
            readable = not self.is_read_only(kind) and f.is_file()
            raw = f.read_bytes().decode("utf-8-sig") if readable else ""
            self._newline[kind] = "\r\n" if "\r\n" in raw else "\n"
            text = raw.replace("\r\n", "\n")
            self._saved[kind] = text
            self._data[kind] = None
            self._load_text(kind, text)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._update_dirty()

    def _load_text(self, kind: str, text: str) -> None:
        """``text`` just read: parsed and its indentation detected at once when short, else on
        a worker (``is_loading`` until then; ``text_changed`` follows when it is applied)."""
        self._error[kind] = None
        self._unstyled.discard(kind)
        if len(text) <= INLINE_PARSE_CHARS:
            self._loading.discard(kind)
            self._apply_text(kind, text, emit=False)
            self._style[kind] = yrt.detect_style(text, self._data[kind])
            return
        self._text[kind] = text
        self._style[kind] = yrt.YamlStyle()  # until detected (``_style_now``)
        self._loading.add(kind)
        self._unstyled.add(kind)
        self._parse_later(kind, text, quiet=False, load=True)

    def is_loading(self, kind: str | None = None) -> bool:
        """The first parse of ``kind`` (else of any file) since it was read still runs on a
        worker: until it is applied the readers give nothing for it."""
        return kind in self._loading if kind else bool(self._loading)

    def _style_now(self, kind: str) -> None:
        """Detect ``kind``'s indentation now when the worker's answer has not come yet."""
        if kind in self._unstyled:
            self._unstyled.discard(kind)
            data = None if self._error.get(kind) else self._data.get(kind)
            self._style[kind] = yrt.detect_style(self._text[kind], data)

    def exists(self, kind: str) -> bool:
        return self.file_path(kind).is_file()

    def text(self, kind: str) -> str:
        return self._text[kind]

    def texts(self) -> dict[str, str]:
        return {k: self._text[k] for k in self.config_kinds()}

    def saved_text(self, kind: str) -> str:
        return self._saved[kind]

    def data(self, kind: str) -> dict[str, Any]:
        """Plain copy of the last text of ``kind`` that parsed (``{}`` when empty)."""
        d = self._data.get(kind)
        return yrt.to_plain(d) if isinstance(d, dict) else {}

    def raw_data(self, kind: str) -> Any:
        return self._data.get(kind)

    def value(self, kind: str, key: str | Sequence[Any], default: Any = None) -> Any:
        return yrt.to_plain(yrt.get_value(self._data.get(kind), key, default))

    def parse_error(self, kind: str) -> yrt.ParseError | None:
        return self._error.get(kind)

    def has_parse_errors(self) -> bool:
        return any(self._error.get(k) for k in ALL_KINDS)

    def line_of(self, kind: str, key: str) -> int | None:
        return yrt.line_of(self._data.get(kind), key) if key else None

    def style(self, kind: str) -> yrt.YamlStyle:
        self._style_now(kind)
        return self._style[kind]

    def contract_file(self) -> Path | None:
        return next((self.path / f for f in CONTRACT_FILES if (self.path / f).is_file()), None)

    # -- editing ---------------------------------------------------------------------------
    def seal(self) -> None:
        """End the current merge run: the next edit starts a new undo step."""
        self._seal += 1

    def set_value(self, kind: str, key: str | Sequence[Any], value: Any) -> bool:
        """Set ``key`` (dotted) in ``kind``; False while that file does not parse."""
        scalar = not isinstance(value, (dict, list, tuple))
        self.finish_parsing(kind, values_only=scalar)
        if self._error.get(kind) or self.is_read_only(kind):
            return False
        text, data = self._text[kind], self._data[kind]
        # The parse of the current text is changed in place; applying the new text replaces
        # it (one parse per form edit), or keeps it when only a scalar within a line changed.
        new = yrt.set_value_text(text, data, key, value, self._style[kind])
        parts = yrt.split_key(key)
        if scalar and new != text and not _is_flow(yrt.get_value(data, parts[:-1]) if len(
                parts) > 1 else data) and _one_line_changed(text, new):
            self._in_place = (kind, new)
        label = f"Change {kind} {'.'.join(map(str, parts))}"
        try:
            return self._push_edit(kind, new, ("form", kind, str(key), self._seal), label)
        finally:
            self._in_place = None

    def delete_key(self, kind: str, key: str | Sequence[Any]) -> bool:
        """Remove ``key`` from ``kind``; False when absent or the file does not parse."""
        self.finish_parsing(kind)
        if self._error.get(kind) or self.is_read_only(kind) \
                or not isinstance(self._data[kind], dict):
            return False
        new = yrt.delete_key_text(self._text[kind], self._data[kind], key, self._style[kind])
        label = f"Remove {kind} {'.'.join(map(str, yrt.split_key(key)))}"
        return new is not None and self._push_edit(kind, new, None, label)

    def set_text(self, kind: str, text: str, *, merge: bool = True,
                 background: bool = False) -> bool:
        """Replace the whole text of ``kind`` (YAML editor); keeps the last good data on errors.

        ``background``: parse on a worker (``text_changed`` follows when it is applied)."""
        key = ("yaml", kind, self._seal) if merge else None
        return self._push(kind, text, key, f"Edit {kind}.yaml", background)

    def finish_parsing(self, kind: str | None = None, *, values_only: bool = False) -> None:
        """Parse now what still waits for a worker (``kind``, else every file), so the readers
        answer for the current text; ``values_only``: a renewal of line marks may go on."""
        for k in [kind] if kind else list(self._parsing):
            pending = self._parsing.get(k)
            if pending is None or (values_only and pending[1]):
                self._style_now(k)
                continue
            del self._parsing[k]
            had_error = self._store_parse(k, *_parse_kind(k, self._text[k]))
            self._style_now(k)
            if not pending[1]:
                self._announce(k, had_error)

    def is_parsing(self, kind: str) -> bool:
        """A parse of ``kind``'s current text still runs on a worker."""
        return kind in self._parsing and not self._parsing[kind][1]

    def is_reading(self, kind: str) -> bool:
        """A big text's parse is out (in the parse process): a form edit now would have to
        parse it on the GUI thread, so the form waits for it."""
        return self.is_parsing(kind) and len(self._text[kind]) > CHILD_PARSE_CHARS

    def restore_texts(self, texts: dict[str, str]) -> None:
        """Put drafts back as one undoable step."""
        self.undo_stack.beginMacro("Restore draft")
        for kind, text in texts.items():
            if kind in self._text:
                self._push(kind, text, None, f"Restore {kind}.yaml")
        self.undo_stack.endMacro()

    def _push_edit(self, kind: str, new: str, merge_key: Any, label: str) -> bool:
        """``_push`` for an edit that changed ``self._data[kind]`` in place."""
        if self._push(kind, new, merge_key, label):
            return True
        self._data[kind] = yrt.parse(new)  # unchanged text: undo the in-place change
        return False

    def _push(self, kind: str, new: str, merge_key: Any, label: str,
              background: bool = False) -> bool:
        old = self._text[kind]
        if new == old or self.is_read_only(kind):
            return False
        command = _TextEditCommand(self, kind, old, new, merge_key, label)
        self._background = background  # for the command's first redo (the edit itself)
        try:
            self.undo_stack.push(command)
        finally:
            self._background = False
        return True

    def _apply_text(self, kind: str, text: str, *, emit: bool = True,
                    history: bool = False) -> None:
        """``history``: an undo/redo step (a long text is parsed on a worker, as typed text)."""
        self._text[kind] = text
        self._parsing.pop(kind, None)  # a parse of an older text is of no use now
        had_error = self._error.get(kind)
        if self._in_place == (kind, text):
            self._in_place = None
            self._parse_later(kind, text, quiet=True)
        elif self._background or (history and len(text) > INLINE_PARSE_CHARS):
            self._parse_later(kind, text, quiet=False)
        else:
            self._store_parse(kind, *_parse_kind(kind, text))
        if emit:
            self.text_edited.emit(kind)
            if not self.is_parsing(kind):
                self._announce(kind, had_error)
            self._update_dirty()

    def _store_parse(self, kind: str, data: Any, error: yrt.ParseError | None
                     ) -> yrt.ParseError | None:
        """Make ``data``/``error`` the parse of ``kind``; returns the error it replaces."""
        had_error = self._error.get(kind)
        if data is not _KEEP:
            self._data[kind] = data
        self._error[kind] = error
        self._loading.discard(kind)
        return had_error

    def _announce(self, kind: str, had_error: yrt.ParseError | None) -> None:
        if bool(had_error) != bool(self._error[kind]) or self._error[kind]:
            self.parse_state_changed.emit(kind)
        self.text_changed.emit(kind)

    def _parse_later(self, kind: str, text: str, *, quiet: bool, load: bool = False) -> None:
        self._parsing[kind] = (text, quiet)
        job = BlockingJob(functools.partial(_load_job if load else _parse_job, kind, text))
        job.signals.succeeded.connect(self._on_parse_job_succeeded)
        job.start()

    @Slot(object)
    def _on_parse_job_succeeded(self, result: tuple[Any, ...]) -> None:
        kind, text, data, error = result[:4]
        if len(result) > 4 and kind in self._unstyled and result[4] is not None:
            self._unstyled.discard(kind)  # the file's indentation, even if the text moved on
            self._style[kind] = result[4]
        pending = self._parsing.get(kind)
        if pending is None or pending[0] != text:
            return  # stale: the text moved on (or was parsed meanwhile)
        del self._parsing[kind]
        had_error = self._store_parse(kind, data, error)
        if not pending[1]:
            self._announce(kind, had_error)

    # -- dirty, save, revert ---------------------------------------------------------------
    def dirty_kinds(self) -> list[str]:
        return [k for k in ALL_KINDS if self._text[k] != self._saved[k]]

    def is_dirty(self) -> bool:
        return bool(self.dirty_kinds())

    def _update_dirty(self) -> None:
        dirty = self.is_dirty()
        if dirty != self._was_dirty:
            self._was_dirty = dirty
            self.dirty_changed.emit(dirty)

    def save(self) -> list[Path]:
        """Write every changed file atomically (the engine's ``atomic_write``: temp file beside
        it, fsync, ``os.replace``; the file keeps its mode and owner)."""
        written = []
        for kind in self.dirty_kinds():
            target = self.file_path(kind)
            data = self._text[kind].replace("\n", self._newline[kind]).encode("utf-8")
            target.parent.mkdir(parents=True, exist_ok=True)  # a pipeline's first save
            atomic_write(target, data)
            self._saved[kind] = self._text[kind]
            written.append(target)
        self.undo_stack.setClean()
        self._update_dirty()
        if written:
            self.saved.emit()
        return written

    def revert(self) -> None:
        """Drop unsaved changes and re-read the files."""
        self.load()
        for kind in ALL_KINDS:
            self.text_edited.emit(kind)
            self.parse_state_changed.emit(kind)
            self.text_changed.emit(kind)
