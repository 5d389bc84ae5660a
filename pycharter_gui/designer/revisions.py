"""Revision history of a pipeline: every save is a revision (Qt-free, blocking: call from a worker).

Inside a git repository a revision is a commit of the pipeline's YAML files only (``git add``
and ``git commit -- <paths>`` of those files; nothing else is staged, committed or pushed).
Elsewhere it is a plain snapshot: ``<workspace>/.pycharter/history/<pipeline>/<time>/`` with
the YAML files and ``meta.json``. Each revision carries a one-line summary of what changed
("transform convert: qty int → float"), computed from the parsed YAML of it and its parent
(``revision_diff``, whose diff functions are re-exported here).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pycharter_gui.etl_generator import atomic_write

from .revision_diff import (
    FILES,
    FileDiff,
    Row,
    Texts,
    file_diffs,
    side_by_side_rows,
    summarize_change,
    unified_diff,
    unified_text,
)

MAX_REVISIONS = 200
__all__ = [
    "FILES", "MAX_REVISIONS", "FileDiff", "GitRevisions", "Revision", "RevisionError",
    "RevisionStore", "Row", "SnapshotRevisions", "Texts", "current_texts", "file_diffs",
    "git_root", "latest_revision_id", "revision_store", "side_by_side_rows", "summarize_change",
    "unified_diff", "unified_text",
]


class RevisionError(Exception):
    """A revision could not be recorded or read (git failed, a snapshot is unreadable)."""


@dataclass
class Revision:
    """One saved state of a pipeline's files."""

    id: str  # commit hash, or snapshot folder name
    time: datetime
    message: str
    summary: str = ""

    @property
    def short_id(self) -> str:
        """A commit's first 10 hex digits; a snapshot's whole (time-stamped) name."""
        return self.id[:10] if len(self.id) == 40 else self.id


def current_texts(pipeline_dir: Path) -> Texts:
    """The pipeline's YAML files as they are on disk now."""
    return {n: (pipeline_dir / n).read_text(encoding="utf-8") for n in FILES
            if (pipeline_dir / n).is_file()}


# -- stores ---------------------------------------------------------------------------------
class RevisionStore:
    """The revisions of one pipeline folder; newest first."""

    kind = "none"

    def __init__(self, pipeline_dir: Path) -> None:
        self.pipeline_dir = Path(pipeline_dir)

    def record(self, message: str = "") -> Revision | None:
        """Make the files on disk a revision; None when nothing changed since the last one.

        An empty ``message`` becomes "<pipeline>: <what changed>"."""
        if not message.strip():
            last = self.last_texts()
            change = (summarize_change(last, current_texts(self.pipeline_dir)) if last
                      else "first revision")
            message = f"{self.pipeline_dir.name}: {change}"
        return self._record(message)

    def _record(self, message: str) -> Revision | None:
        raise NotImplementedError

    def last_texts(self) -> Texts:
        """The files at the newest revision (empty before the first)."""
        raise NotImplementedError

    def latest_id(self) -> str:
        """The newest revision's id ("" before the first)."""
        raise NotImplementedError

    def revisions(self) -> list[Revision]:
        """Revisions with their summaries, newest first (at most ``MAX_REVISIONS``)."""
        raise NotImplementedError

    def texts(self, revision_id: str) -> Texts:
        """The pipeline's files at a revision."""
        raise NotImplementedError

    @staticmethod
    def _with_summaries(revisions: list[Revision], texts: list[Texts]) -> list[Revision]:
        """Each revision's summary against the one before it (the oldest listed: "first")."""
        for i, rev in enumerate(revisions):
            rev.summary = (summarize_change(texts[i + 1], texts[i]) if i + 1 < len(texts)
                           else "first revision")
        return revisions


def _git(cwd: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True,
                              text=True, encoding="utf-8", timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RevisionError(f"git {args[0]} failed: {exc}") from exc
    if check and proc.returncode != 0:
        raise RevisionError(f"git {args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


class GitRevisions(RevisionStore):
    """Commits of the pipeline's files in the git repository around it."""

    kind = "git"

    def __init__(self, pipeline_dir: Path, repo_root: Path) -> None:
        super().__init__(pipeline_dir)
        self.repo = repo_root

    def _paths(self) -> list[str]:
        rel = self.pipeline_dir.resolve().relative_to(self.repo.resolve())
        return [(rel / n).as_posix() for n in FILES]

    def _identity(self) -> list[str]:
        """``-c user.name/user.email`` fallbacks when the repository has none set."""
        args = []
        for key, value in (("user.name", "pycharter designer"),
                           ("user.email", "pycharter@localhost")):
            if not _git(self.repo, "config", key, check=False).strip():
                args += ["-c", f"{key}={value}"]
        return args

    def last_texts(self) -> Texts:
        return self._many_texts(["HEAD"])[0]

    def latest_id(self) -> str:
        return _git(self.repo, "log", "-1", "--format=%H", "--", *self._paths(), check=False).strip()

    def _record(self, message: str) -> Revision | None:
        existing = [p for p in self._paths() if (self.repo / p).is_file()]
        tracked = _git(self.repo, "ls-files", "--", *self._paths()).split()
        if not existing and not tracked:
            return None
        _git(self.repo, "add", "--", *existing)
        has_head = bool(_git(self.repo, "rev-parse", "--verify", "-q", "HEAD", check=False).strip())
        if has_head and not _git(self.repo, "diff", "--cached", "--name-only", "HEAD", "--",
                                 *self._paths()).strip():
            return None  # saved without a change since the last commit
        # Only these paths are committed (git commit -- <paths>); whatever else the user has
        # staged stays staged, and nothing is pushed.
        _git(self.repo, *self._identity(), "commit", "-q", "-m", message, "--",
             *sorted(set(existing) | set(tracked)))
        return self.revisions()[0]

    def revisions(self) -> list[Revision]:
        log = _git(self.repo, "log", f"-{MAX_REVISIONS}", "--format=%H%x1f%at%x1f%s", "--",
                   *self._paths(), check=False)
        revs = []
        for line in log.splitlines():
            sha, stamp, subject = [*line.split("\x1f"), "", ""][:3]
            revs.append(Revision(sha, datetime.fromtimestamp(int(stamp), UTC), subject))
        # One git process reads every file of every revision listed.
        texts = self._many_texts([r.id for r in revs])
        return self._with_summaries(revs, texts)

    def _many_texts(self, shas: list[str]) -> list[Texts]:
        paths = self._paths()
        wanted = [f"{sha}:{p}" for sha in shas for p in paths]
        out = subprocess.run(["git", "cat-file", "--batch"], cwd=self.repo, capture_output=True,
                             input="".join(w + "\n" for w in wanted).encode("utf-8"),
                             timeout=60).stdout
        texts: list[Texts] = [{} for _ in shas]
        pos = 0
        for i, _want in enumerate(wanted):
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 3 and header[1] == b"blob":
                size = int(header[2])
                texts[i // len(paths)][FILES[i % len(paths)]] = out[pos:pos + size].decode(
                    "utf-8", "replace")
                pos += size + 1
        return texts

    def texts(self, revision_id: str) -> Texts:
        return self._many_texts([revision_id])[0]


class SnapshotRevisions(RevisionStore):
    """Plain snapshots under ``<workspace>/.pycharter/history/<pipeline>/``."""

    kind = "snapshots"

    def __init__(self, pipeline_dir: Path, workspace: Path) -> None:
        super().__init__(pipeline_dir)
        self.root = Path(workspace) / ".pycharter" / "history" / self.pipeline_dir.name

    def _folders(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted((d for d in self.root.iterdir() if (d / "meta.json").is_file()),
                      reverse=True)[:MAX_REVISIONS]

    def last_texts(self) -> Texts:
        latest = self.latest_id()
        return self.texts(latest) if latest else {}

    def latest_id(self) -> str:
        folders = self._folders()
        return folders[0].name if folders else ""

    def _record(self, message: str) -> Revision | None:
        texts = current_texts(self.pipeline_dir)
        if self._folders() and self.last_texts() == texts:
            return None
        now = datetime.now(UTC)
        folder = self.root / now.strftime("%Y%m%dT%H%M%S_%fZ")
        tmp = self.root / f".{folder.name}.tmp"
        tmp.mkdir(parents=True)
        try:
            for name, text in texts.items():
                atomic_write(tmp / name, text)
            atomic_write(tmp / "meta.json", json.dumps(
                {"message": message, "time": now.isoformat(), "files": sorted(texts)}, indent=2))
            tmp.rename(folder)  # a snapshot appears whole or not at all
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return self.revisions()[0]

    def revisions(self) -> list[Revision]:
        revs, texts = [], []
        for folder in self._folders():
            try:
                meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
                revs.append(Revision(folder.name, datetime.fromisoformat(meta["time"]),
                                     str(meta.get("message") or "")))
            except (OSError, ValueError, KeyError):
                continue
            texts.append(self.texts(folder.name))
        return self._with_summaries(revs, texts)

    def texts(self, revision_id: str) -> Texts:
        folder = self.root / revision_id
        return {n: (folder / n).read_text(encoding="utf-8") for n in FILES
                if (folder / n).is_file()}


def git_root(folder: Path) -> Path | None:
    """The top of the git work tree holding ``folder``; None outside one (or without git)."""
    try:
        top = _git(Path(folder), "rev-parse", "--show-toplevel", check=False).strip()
    except RevisionError:
        return None
    return Path(top) if top else None


def revision_store(pipeline_dir: Path, workspace: Path) -> RevisionStore:
    """Git when the pipeline is inside a repository (and not ignored by it), else snapshots."""
    root = git_root(pipeline_dir)
    ignored = root is not None and subprocess.run(
        ["git", "check-ignore", "-q", str(Path(pipeline_dir) / "extract.yaml")], cwd=root,
        capture_output=True, timeout=60).returncode == 0
    if root is not None and not ignored:
        return GitRevisions(pipeline_dir, root)
    return SnapshotRevisions(pipeline_dir, workspace)



def latest_revision_id(pipeline_dir: Path, workspace: Path) -> str:
    """The id of the pipeline's newest revision; "" when it has none or it cannot be read."""
    try:
        return revision_store(pipeline_dir, workspace).latest_id()
    except (RevisionError, OSError, subprocess.SubprocessError):
        return ""
