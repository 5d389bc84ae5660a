"""No secret in any output (issue 14, Secrets): a password holding '@' in a documented
``user:${DB_PASSWORD}@host`` URL and a secret-named run parameter are masked in CLI output
(plain, --json, -v, dry run), dead letters, checkpoints and run history, in every form."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from pycharter_gui.etl_generator import secrets

PASSWORD = "Zq9@Xv7#Lm2@Kp5/Rt8:Wy3%Hn6 \"q\""
TOKEN = "tok-Hj4Vb8Nc2Xs6Qw"


def _forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), quote(secret), quote_plus(secret),
            json.dumps(secret)[1:-1]]


def _assert_clean(text: str, *values: str) -> None:
    """No value, in any form, nor any 6-character piece of one, appears in ``text``."""
    for value in values:
        for form in _forms(value):
            for i in range(len(form) - 5):
                assert form[i:i + 6] not in text, f"{form[i:i + 6]!r} leaks in {text[:300]!r}"


def test_mask_by_values_in_every_form() -> None:
    text = f"a {PASSWORD} b {quote(PASSWORD, safe='')} c {json.dumps(PASSWORD)}"
    _assert_clean(secrets.mask_text(text, [PASSWORD]), PASSWORD)
    url = secrets.mask_url(f"postgresql://user:{PASSWORD}@db.example:5432/x?api_key=abc&a=1")
    assert url == "postgresql://user:***@db.example:5432/x?api_key=***&a=1"
    assert secrets.mask_url("postgresql://user:${DB_PASSWORD}@h/x") == \
        "postgresql://user:${DB_PASSWORD}@h/x"


def test_snippets_are_masked_before_they_are_cut() -> None:
    secret = "S3cr3tValueThatIsLong"
    body = "x" * 190 + secret + "y" * 50  # the secret straddles the 200-character cut
    cut = secrets.snippet(body, [secret])
    assert len(cut) <= 200 and "S3cr3t" not in cut and cut.endswith("***" + "y" * 7)


def test_secret_named_params_are_masked_and_remembered() -> None:
    masked = secrets.mask_params({"api_token": TOKEN, "day": "2026-01-01"})
    assert masked == {"api_token": "***", "day": "2026-01-01"}
    assert TOKEN not in secrets.mask_text(f"GET /x?t={TOKEN}")


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DB_PASSWORD": PASSWORD}
    return subprocess.run([sys.executable, "-m", "pycharter_gui.cli", *args, str(folder),
                           "--param", f"api_token={TOKEN}"],
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("flags", [["run"], ["run", "--json"], ["-v", "run"],
                                   ["run", "--dry-run"], ["preview"], ["validate"]])
def test_a_password_with_at_signs_never_prints(tmp_path: Path, flags: list[str]) -> None:
    folder = tmp_path / "pipe"
    folder.mkdir()
    (folder / "extract.yaml").write_text(
        "type: database\nurl: postgresql://user:${DB_PASSWORD}@127.0.0.1:1/db\n"
        "query: select 1\ninput_params:\n  api_token: {type: string}\n")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\n")
    if flags[0] == "validate":
        done = subprocess.run([sys.executable, "-m", "pycharter_gui.cli", "validate",
                               str(folder)], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "DB_PASSWORD": PASSWORD})
    else:
        done = _cli(folder, *flags)
    _assert_clean(done.stdout + done.stderr, PASSWORD, TOKEN)
    if "run" in flags:
        assert done.returncode == 1 and "127.0.0.1" in done.stdout + done.stderr


KILLER = '''
import os, signal
def maybe_die(record, **_):
    if record["id"] == 25:
        os.kill(os.getpid(), signal.SIGKILL)
    return record
'''


def test_dead_letters_checkpoint_and_history_hold_no_secret_param(tmp_path: Path) -> None:
    from pycharter_gui.designer.run_history import RunEntry, RunHistory

    folder = tmp_path / "pipe"
    folder.mkdir()
    rows = "".join(f"{i},{'x' if i % 10 == 0 else i}\n" for i in range(1, 41))
    (folder / "in.csv").write_text("id,v\n" + rows)
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 10\n")
    (folder / "transform.yaml").write_text(
        "transform:\n  convert:\n    v: int\nstrict: true\ncustom_function:\n"
        "  module: killer\n  function: maybe_die\n  mode: record\n")
    (folder / "killer.py").write_text(KILLER)
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n")
    killed = _cli(folder, "run", "--json", "--trust", "--checkpoint-dir", str(tmp_path / "ck"))
    assert killed.returncode < 0, killed.stderr
    checkpoints = list((tmp_path / "ck").glob("*.json"))
    dlq = folder / ".pycharter" / "dead_letters.jsonl"
    assert checkpoints and dlq.exists()
    for path in [*checkpoints, dlq]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        _assert_clean(path.read_text(), TOKEN)
    assert '"api_token": "***"' in dlq.read_text()

    history = RunHistory(tmp_path)
    history.append(RunEntry.from_result(
        {"run_id": "r", "error": f"GET https://h/x?key={TOKEN} failed", "success": False},
        folder=folder, started_at=__import__("datetime").datetime.now(),
        params={"api_token": TOKEN}, log=[f"token {TOKEN}"]))
    _assert_clean(history.path.read_text(), TOKEN)


def test_sqlite_dead_letters_and_run_history_are_created_private(tmp_path: Path) -> None:
    """New SQLite dead-letter files and the designer's runs.jsonl are 0600 (they hold records
    and run parameters); an existing file keeps the mode its owner gave it."""
    import io

    from pycharter_gui.cli import main
    from pycharter_gui.designer.run_history import RunEntry, RunHistory

    folder = tmp_path / "pipe"
    folder.mkdir()
    (folder / "in.csv").write_text("id,v\n1,1\n2,x\n")
    (folder / "extract.yaml").write_text("path: in.csv\n")
    (folder / "transform.yaml").write_text("transform:\n  convert:\n    v: int\nstrict: true\n")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n"
                                      "dead_letter_queue: {path: .pycharter/dead_letters.db}\n")
    assert main(["run", str(folder)], out=io.StringIO()) == 0
    database = folder / ".pycharter" / "dead_letters.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600

    history = RunHistory(tmp_path)
    entry = RunEntry.from_result({"run_id": "r", "success": True}, folder=folder,
                                 started_at=__import__("datetime").datetime.now(),
                                 params={"region": "eu"}, log=[])
    history.append(entry)
    assert stat.S_IMODE(history.path.stat().st_mode) == 0o600
    history.path.chmod(0o640)
    history.append(entry)
    assert stat.S_IMODE(history.path.stat().st_mode) == 0o640
