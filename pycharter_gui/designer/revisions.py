"""Revision history of a pipeline: every save is a revision (Qt-free, blocking: call from a worker).

Inside a git repository a revision is a commit of the pipeline's YAML files only (``git add``
and ``git commit -- <paths>`` of those files; nothing else is staged, committed or pushed).
Elsewhere it is a plain snapshot: ``<workspace>/.pycharter/history/<pipeline>/<time>/`` with
the YAML files and ``meta.json``. Each revision carries a one-line summary of what changed
("transform convert: qty int → float"), computed from the parsed YAML of it and its parent.
"""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pycharter_gui.etl_generator import ConfigError, atomic_write, parse_yaml_text

FILES = ("extract.yaml", "transform.yaml", "load.yaml", "schema.yaml", "coercion_rules.yaml",
         "validation_rules.yaml")
MAX_REVISIONS = 200
Texts = dict[str, str]  # file name -> text


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


# -- what changed ---------------------------------------------------------------------------
def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value} if prefix else {}


def _parsed(text: str) -> dict[str, Any] | None:
    try:
        data = parse_yaml_text(text)[0]
    except ConfigError:
        return None
    return data if isinstance(data, dict) else None


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 30 else text[:29] + "…"


def _change(key: str, old: Any, new: Any) -> str:
    parent, _, leaf = key.rpartition(".")
    head = f"{parent}: {leaf}" if parent else leaf
    if old is None and new is not None:
        return f"{head} + {_short(new)}"
    if new is None:
        return f"{head} removed"
    return f"{head} {_short(old)} → {_short(new)}"


def _names(old: Texts, new: Texts) -> list[str]:
    """The file names of either, ``FILES`` order first, then others (pipeline.yaml) by name."""
    return sorted(set(old) | set(new), key=lambda n: (FILES.index(n) if n in FILES
                                                      else len(FILES), n))


def summarize_change(old: Texts, new: Texts, limit: int = 3) -> str:
    """One line naming what changed between two revisions' files, from their parsed YAML."""
    items: list[str] = []
    for name in _names(old, new):
        before, after = old.get(name, ""), new.get(name, "")
        if before == after:
            continue
        kind = name.removesuffix(".yaml")
        a, b = _parsed(before), _parsed(after)
        if a is None or b is None:
            items.append(f"{name} edited")
            continue
        if kind == "transform":  # the ops live under "transform:" in most files
            a, b = a.get("transform", a), b.get("transform", b)
        flat_a, flat_b = _flatten(a), _flatten(b)
        changes = [_change(k, flat_a.get(k), flat_b.get(k))
                   for k in dict.fromkeys([*flat_a, *flat_b]) if flat_a.get(k) != flat_b.get(k)]
        items += [f"{kind} {c}" for c in changes] or [f"{name}: comments or layout"]
    if not items:
        return "no change"
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


@dataclass
class FileDiff:
    """How one file changed: its lines before and after, and ``SequenceMatcher``'s opcodes
    grouped into hunks with ``context`` unchanged lines around each change."""

    name: str
    old: list[str]
    new: list[str]
    hunks: list[list[tuple[str, int, int, int, int]]]


#: A side-by-side row: (kind, old line number, old text, new line number, new text); kind is
#: "file" (a file's header), "skip" (unchanged lines left out), "same", "changed", "removed"
#: or "added"; a side without a line (the other side's addition or removal) has number 0.
Row = tuple[str, int, str, int, str]


def file_diffs(old: Texts, new: Texts, context: int = 3) -> list[FileDiff]:
    """The diff of every file that differs (``FILES`` order, then by name): the one
    computation behind both the unified and the side-by-side views."""
    out = []
    for name in _names(old, new):
        a, b = old.get(name, "").splitlines(), new.get(name, "").splitlines()
        if a != b:
            matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
            out.append(FileDiff(name, a, b, list(matcher.get_grouped_opcodes(context))))
    return out


def _range(start: int, stop: int) -> str:
    """A hunk header's ``start,length`` (1-based; an empty range names the line before)."""
    length = stop - start
    return str(start + 1) if length == 1 else f"{start + (1 if length else 0)},{length}"


def unified_text(diffs: list[FileDiff], old_label: str, new_label: str) -> str:
    """``diffs`` as a unified diff (``--- old_label/name``, ``+++ new_label/name``, hunks)."""
    out: list[str] = []
    for fd in diffs:
        out += [f"--- {old_label}/{fd.name}", f"+++ {new_label}/{fd.name}"]
        for hunk in fd.hunks:
            (_, i1, _, j1, _), (_, _, i2, _, j2) = hunk[0], hunk[-1]
            out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@")
            for tag, a1, a2, b1, b2 in hunk:
                if tag == "equal":
                    out += [" " + line for line in fd.old[a1:a2]]
                    continue
                out += ["-" + line for line in fd.old[a1:a2]]
                out += ["+" + line for line in fd.new[b1:b2]]
    return "".join(line + "\n" for line in out)


def unified_diff(old: Texts, new: Texts, old_label: str, new_label: str) -> str:
    """A unified diff of every file that differs between two revisions."""
    return unified_text(file_diffs(old, new), old_label, new_label)


def side_by_side_rows(diffs: list[FileDiff]) -> list[Row]:
    """``diffs`` as aligned rows for two panes: a replaced block pairs its lines, the shorter
    side left blank; a "skip" row stands for the unchanged lines between hunks."""
    rows: list[Row] = []
    for fd in diffs:
        rows.append(("file", 0, fd.name, 0, fd.name))
        shown = 0  # the old side's next line not yet shown
        for hunk in fd.hunks:
            if hunk[0][1] > shown:
                skip = f"⋯ {hunk[0][1] - shown} unchanged"
                rows.append(("skip", 0, skip, 0, skip))
            for tag, a1, a2, b1, b2 in hunk:
                if tag == "equal":
                    rows += [("same", a1 + k + 1, fd.old[a1 + k], b1 + k + 1, fd.new[b1 + k])
                             for k in range(a2 - a1)]
                    continue
                kind = {"replace": "changed", "delete": "removed", "insert": "added"}[tag]
                for k in range(max(a2 - a1, b2 - b1)):
                    left = (a1 + k + 1, fd.old[a1 + k]) if a1 + k < a2 else (0, "")
                    right = (b1 + k + 1, fd.new[b1 + k]) if b1 + k < b2 else (0, "")
                    rows.append((kind, *left, *right))
            shown = hunk[-1][2]
        if shown < len(fd.old):
            skip = f"⋯ {len(fd.old) - shown} unchanged"
            rows.append(("skip", 0, skip, 0, skip))
    return rows


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
