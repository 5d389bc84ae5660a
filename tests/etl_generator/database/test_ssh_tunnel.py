"""``ssh_tunnel`` for database sources and targets, through a real OpenSSH server.

The test starts Debian's ``sshd`` on 127.0.0.1 (its own free port, key auth only) and reaches
the local PostgreSQL and MariaDB through it. The configured URLs name hosts that cannot be
reached directly, so a run only succeeds through the tunnel. sshd's log shows that every SSH
session ends with the run: on success, on failure and when the caller stops early.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pycharter_gui.etl_generator import ETLOrchestrator
from pycharter_gui.etl_generator.config import normalize_extract, normalize_load
from pycharter_gui.etl_generator.database.load import DatabaseLoadSession
from pycharter_gui.etl_generator.errors import FatalSourceError
from pycharter_gui.etl_generator.extractors.database import DatabaseExtractor

SSHD = "/usr/sbin/sshd"
PASSWORD = "s3cret-Tunnel-pw"


class Sshd:
    """A private sshd on 127.0.0.1 and the client key it accepts."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("host_key", "client_key", "stranger_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                            str(folder / name)], check=True)
        shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
        self.key, self.stranger = folder / "client_key", folder / "stranger_key"
        self.port = _free_port()
        config = folder / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
            f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile {folder / 'sshd.pid'}\n"
            "UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\n")
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # sshd's privilege-separation dir
        self.log = folder / "sshd.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                                            stdout=out, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, self.log)

    def tunnel(self, **extra: Any) -> dict[str, Any]:
        return {"enabled": "yes", "host": "127.0.0.1", "port": self.port,
                "username": "root", "key_file": str(self.key), **extra}

    def sessions(self) -> tuple[int, int]:
        """(logins, disconnects) so far."""
        text = self.log.read_text(errors="replace")
        return text.count("Accepted publickey"), text.count("Disconnected from user")

    def wait_all_closed(self, logins: int | None = None) -> int:
        """Every session has ended (sshd logs it a moment later); ``logins`` of them if given.
        Returns the number of logins."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, ended = self.sessions()
            if done == ended and logins in (None, done):
                break
            time.sleep(0.05)
        done, ended = self.sessions()
        assert done == ended and logins in (None, done), self.log.read_text()
        return done

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sshd exited: {log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"sshd did not listen on {port}: {log.read_text()}")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    if not (os.path.exists(SSHD) and shutil.which("ssh-keygen")):
        why = f"{SSHD} is not installed (apt-get install openssh-server; scripts/setup.sh)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why)
        pytest.skip(why)
    server = Sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


# pg_db is PostgreSQL; db (conftest) is made MariaDB here
MARIADB = pytest.mark.parametrize(
    "db", [pytest.param("mariadb", marks=pytest.mark.mariadb)], indirect=True)


def _unreachable(url: str, host: str, port: int) -> str:
    """``url`` naming a host:port that only the SSH server can reach the database by."""
    return sa.make_url(url).set(host=host, port=port).render_as_string(hide_password=False)


def _yaml(mapping: dict[str, Any], indent: str = "  ") -> str:
    return "".join(f"{indent}{k}: {v}\n" for k, v in mapping.items())


@MARIADB
async def test_extract_and_load_run_through_tunnels_that_close_after(
        sshd: Sshd, pg_db: Any, db: Any, tmp_path: Path) -> None:
    pg, maria = pg_db, db
    source = pg.create(sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("name", sa.String(20)),
                       rows=[{"id": i, "name": f"n{i}"} for i in range(1, 8)])
    target = maria.create(sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                          sa.Column("name", sa.String(20)))
    folder = tmp_path / "pipe"
    folder.mkdir()
    # PostgreSQL: the URL's port is closed, remote_port names the real one. MariaDB: the URL's
    # host does not resolve here, remote_host names it as the SSH server sees it (the URL's
    # port is kept). pycharter's template spelling: database.ssh_tunnel with key_file.
    (folder / "extract.yaml").write_text(
        f"type: database\ndatabase:\n  url: {_unreachable(pg.url, '127.0.0.1', 1)}\n"
        f"  ssh_tunnel:\n{_yaml(sshd.tunnel(remote_port=5432), '    ')}"
        f"table: {source}\nbatch_size: 3\n")
    (folder / "transform.yaml").write_text("{}\n")
    (folder / "load.yaml").write_text(
        f"type: database\ndatabase:\n  url: {_unreachable(maria.url, 'db.invalid', 3306)}\n"
        f"table: {target}\nwrite_method: insert\n"
        f"ssh_tunnel:\n{_yaml(sshd.tunnel(remote_host='127.0.0.1'))}")
    logins, _ = sshd.sessions()
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    assert result["loading"]["total_records"] == 7
    assert maria.rows(target) == [{"id": i, "name": f"n{i}"} for i in range(1, 8)]
    sshd.wait_all_closed(logins + 2)  # one tunnel for the source, one for the target

    # a failing run (the target table is missing) closes its tunnels too
    (folder / "load.yaml").write_text((folder / "load.yaml").read_text().replace(
        target, "no_such_table_here"))
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert not result["success"] and "no_such_table_here" in result["error"]
    assert sshd.wait_all_closed() > logins + 2


@MARIADB
async def test_stopping_early_closes_the_tunnel(sshd: Sshd, pg_db: Any, db: Any,
                                                tmp_path: Path) -> None:
    pg, maria = pg_db, db
    source = pg.create(sa.Column("id", sa.Integer, primary_key=True),
                       rows=[{"id": i} for i in range(1, 11)])
    url = _unreachable(pg.url, "127.0.0.1", 1)
    cfg = normalize_extract({"type": "database", "url": url, "table": source,
                             "ssh_tunnel": sshd.tunnel(remote_port=5432)}, str(tmp_path))
    logins, _ = sshd.sessions()
    batches = DatabaseExtractor().extract_streaming(cfg, None, batch_size=2)
    assert await anext(batches) == [{"id": 1}, {"id": 2}]
    await batches.aclose()  # what cancelling the run does to the extractor
    sshd.wait_all_closed(logins + 1)

    target = maria.create(sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))
    load = normalize_load({"type": "database", "table": target, "ssh_tunnel": sshd.tunnel(
        remote_host="127.0.0.1"), "url": _unreachable(maria.url, "db.invalid",
                                                        3306)}, str(tmp_path))
    session = DatabaseLoadSession(load)
    await session.open()
    await session.write_batch([{"id": 1}], 0)
    await session.abort()
    assert maria.rows(target) == [{"id": 1}]
    sshd.wait_all_closed(logins + 2)


async def test_refused_login_names_host_and_key_never_the_password(
        sshd: Sshd, tmp_path: Path) -> None:
    url = _unreachable("postgresql+psycopg://postgres@localhost/test", "127.0.0.1", 1)
    cfg = normalize_extract({"type": "database", "url": url, "query": "select 1 as one",
                             "ssh_tunnel": sshd.tunnel(key_file=str(sshd.stranger),
                                                       password=PASSWORD, remote_port=5432)},
                            str(tmp_path))
    with pytest.raises(FatalSourceError) as caught:
        await anext(DatabaseExtractor().extract_streaming(cfg, None))
    message = str(caught.value)
    assert f"root@127.0.0.1:{sshd.port}" in message and str(sshd.stranger) in message
    assert "refused the login" in message
    assert PASSWORD not in message
    assert sshd.stranger.read_text().splitlines()[1] not in message  # no key content


def test_connection_and_committed_progress_go_through_the_tunnel(
        sshd: Sshd, pg_db: Any) -> None:
    """The designer's Test connection and a resume's read of the progress table reach the
    database as the run does: through ``ssh_tunnel`` (issue 14), and close it after."""
    from pycharter_gui.etl_generator import test_connection
    from pycharter_gui.etl_generator.database.progress import committed_progress

    url = _unreachable(pg_db.url, "127.0.0.1", 1)  # only the SSH server reaches port 5432
    assert not test_connection({"type": "database", "database": {"url": url}})["ok"]
    logins, _ = sshd.sessions()
    tunnel = sshd.tunnel(remote_port=5432)
    result = test_connection({"type": "database", "database": {"url": url, "ssh_tunnel": tunnel}})
    assert result["ok"], result
    assert PASSWORD not in str(result)
    load = {"type": "database", "url": url, "table": "t", "ssh_tunnel": {
        **tunnel, "enabled": True, "private_key_path": str(sshd.key)}}
    assert committed_progress(load, "no-such-run") is None  # read, not "cannot connect"
    load["ssh_tunnel"] = {**load["ssh_tunnel"], "port": _free_port()}  # no SSH server there
    with pytest.raises(Exception, match="SSH tunnel"):
        committed_progress(load, "no-such-run")
    sshd.wait_all_closed(logins + 2)
