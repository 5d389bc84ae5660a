"""One warm child interpreter for the designer's long pure-Python engine work.

On a thread of the designer's process such work holds the interpreter lock while the GUI
thread waits for it (issue 12): the live validation (~600 ms for a 3,000-line pipeline), the
whole-config read behind the Dead letters panel (~400 ms) and the round-trip parse of a big
YAML file (~500 ms). A child started with ``sys.executable`` answers pickled requests on a pipe
instead; it imports only the engine and the Qt-free ``yaml_roundtrip`` (never Qt). The calling
thread only waits on the pipe meanwhile (the lock is free).
"""

from __future__ import annotations

import atexit
import logging
import pickle
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from pycharter_gui.etl_generator import ConfigError

log = logging.getLogger(__name__)
_HEADER = struct.Struct("!Q")

# The child: reads ``sys.path`` then length-prefixed pickled requests on stdin, answers each on
# the original stdout (fd 1 is pointed at stderr, so prints cannot corrupt the replies).
# Requests: ("validate", path, texts) -> ("ok", [ConfigProblem]) | ("error", message);
# ("load_section", folder) -> ("ok", (load config, pipeline name)) | ("config_error",
# (problems, pipeline)); ("parse_roundtrip", text, with_style) -> ("ok", (data or None,
# (message, line) or None, YamlStyle or None)); ("modules",) -> ("ok", sorted(sys.modules))
# (the tests' hook). Ends at end of input.
_CHILD = r"""
import dataclasses, os, pickle, struct, sys, traceback
from pathlib import Path
H = struct.Struct("!Q")
inp = os.fdopen(os.dup(0), "rb", buffering=0)
out = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)
sys.stdout = sys.stderr
def read(n):
    buf = bytearray()
    while len(buf) < n:
        chunk = inp.read(n - len(buf))
        if not chunk:
            raise SystemExit(0)
        buf += chunk
    return bytes(buf)
def recv():
    return pickle.loads(read(H.unpack(read(H.size))[0]))
def send(obj):
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(H.pack(len(data)) + data)
    out.flush()
def relocate(p):
    f = getattr(p, "file", None)
    if f and Path(str(f)).name != f:
        try:
            return dataclasses.replace(p, file=Path(str(f)).name)
        except TypeError:
            return p
    return p
sys.path[:] = recv()
from pycharter_gui.etl_generator import ConfigError, load_pipeline_config, validate_pipeline
send(("ready", os.getpid()))
while True:
    request = recv()
    try:
        if request[0] == "modules":
            reply = ("ok", sorted(sys.modules))
        elif request[0] == "parse_roundtrip":
            from pycharter_gui.designer.yaml_roundtrip import reading
            _, text, with_style = request
            try:
                data, error = reading.parse(text), None
            except reading.ParseError as exc:
                data, error = None, (exc.message, exc.line)
            style = reading.detect_style(text, data) if with_style else None
            reply = ("ok", (data, error, style))
        elif request[0] == "load_section":
            try:
                config = load_pipeline_config(contract_dir=request[1])
                reply = ("ok", (dict(config.load), config.name))
            except ConfigError as exc:
                reply = ("config_error", (exc.problems, exc.pipeline))
        else:
            _, path, texts = request
            reply = ("ok", [relocate(p) for p in validate_pipeline(path, texts=texts)])
    except Exception as exc:
        traceback.print_exc()
        reply = ("error", f"{type(exc).__name__}: {exc}")
    send(reply)
"""


class ProcessUnavailable(RuntimeError):
    """No child can be started here; the caller does the work on its thread instead."""


class EngineProcess:
    """One child interpreter doing engine work; ``call`` is thread-safe (one at a time).
    Started lazily; a child that died is restarted once per call."""

    START_TIMEOUT_S = 60.0

    def __init__(self, name: str = "validation process") -> None:
        self.name = name  # in messages and the log
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self.starts = 0  # children started (the tests read it)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def _start(self) -> subprocess.Popen[bytes]:
        if getattr(sys, "frozen", False):
            raise ProcessUnavailable("a frozen bundle has no Python interpreter to start")
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                close_fds=True, creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        except OSError as exc:
            raise ProcessUnavailable(f"{sys.executable} could not be started: {exc}") from exc
        try:
            assert proc.stdin is not None and proc.stdout is not None
            _send(proc.stdin, list(sys.path))
            reply = _recv(proc.stdout)
            if not (isinstance(reply, tuple) and reply[0] == "ready"):
                raise OSError(f"unexpected first reply {reply!r}")
        except (OSError, EOFError, pickle.PickleError) as exc:
            _end(proc)
            raise ProcessUnavailable(f"the {self.name} did not start ({exc}; exit code "
                                     f"{proc.returncode})") from exc
        self.starts += 1
        log.info("%s %s started", self.name, proc.pid)
        return proc

    def call(self, request: tuple[Any, ...]) -> Any:
        """Send ``request``; the child's ``("ok", value)`` value. Raises ``ProcessUnavailable``
        (cannot start), ``RuntimeError`` (died twice, or the check raised in the child)."""
        with self._lock:
            first_error: str | None = None
            for _attempt in (1, 2):
                proc = self._proc
                if proc is None or proc.poll() is not None:
                    if proc is not None:
                        first_error = first_error or f"it exited with code {proc.returncode}"
                        log.warning("%s %s had ended (exit code %s); "
                                    "restarting it", self.name, proc.pid, proc.returncode)
                    proc = self._proc = self._start()
                try:
                    assert proc.stdin is not None and proc.stdout is not None
                    _send(proc.stdin, request)
                    kind, value = _recv(proc.stdout)
                except (OSError, EOFError, pickle.PickleError, ValueError) as exc:
                    _end(proc)
                    if self._proc is proc:
                        self._proc = None
                    first_error = first_error or (f"it stopped (exit code {proc.returncode}, "
                                                  f"{type(exc).__name__})")
                    log.warning("%s %s failed: %s", self.name, proc.pid, first_error)
                    continue
                if kind == "config_error":
                    problems, pipeline = value
                    raise ConfigError(problems, pipeline=pipeline)
                if kind != "ok":
                    raise RuntimeError(str(value))
                return value
            raise RuntimeError(f"the {self.name} failed twice ({first_error})")

    def validate(self, path: Path, texts: dict[str, str] | None) -> list[Any]:
        return list(self.call(("validate", str(path), texts)))

    def load_section(self, folder: Path) -> tuple[dict[str, Any], str]:
        """The pipeline's load config and name as the engine reads them (``ConfigError`` as
        the engine raises it)."""
        load, name = self.call(("load_section", str(folder)))
        return dict(load), str(name)

    def parse_roundtrip(self, text: str, with_style: bool) -> tuple[Any, Any, Any]:
        """``yaml_roundtrip.parse(text)`` (and ``detect_style``) done in the child: (data or
        None, (message, line) of the parse error or None, style or None)."""
        data, error, style = self.call(("parse_roundtrip", text, with_style))
        return data, error, style

    def child_modules(self) -> list[str]:
        """``sorted(sys.modules)`` of the child (a test hook)."""
        return list(self.call(("modules",)))

    def shutdown(self, timeout: float = 2.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            _end(proc, timeout)


def _send(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read(stream: IO[bytes], n: int) -> bytes:
    data = stream.read(n)
    if data is None or len(data) < n:
        raise EOFError("the child process closed its output")
    return data


def _recv(stream: IO[bytes]) -> Any:
    (size,) = _HEADER.unpack(_read(stream, _HEADER.size))
    return pickle.loads(_read(stream, size))


def _end(proc: subprocess.Popen[bytes], timeout: float = 2.0) -> None:
    """Close the child's input (it exits at end of input); kill it if it does not."""
    for stream in (proc.stdin, proc.stdout):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class ProcessSlot:
    """The app's one ``EngineProcess`` for one kind of work: made on first use (it starts on
    its first call), ended by ``shutdown`` (the app calls it on quit; also at exit)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.process: EngineProcess | None = None  # (tests put their own in)
        self._lock = threading.Lock()
        self._at_exit = False

    def get(self) -> EngineProcess:
        with self._lock:
            if self.process is None:
                self.process = EngineProcess(self.name)
            if not self._at_exit:
                self._at_exit = True
                atexit.register(self.shutdown)
            return self.process

    def shutdown(self) -> None:
        """End the child; a later call starts a new one."""
        with self._lock:
            process = self.process
        if process is not None:
            process.shutdown()


__all__ = ["EngineProcess", "ProcessSlot", "ProcessUnavailable"]
