"""SSH tunnels for database sources and targets (``ssh_tunnel`` in extract.yaml / load.yaml).

The tunnel is opened before the first connection and closed after the last one (success,
failure and cancel alike). It listens on 127.0.0.1 — on ``local_port`` when the config sets
one, else on a free port, so concurrent runs never collide — and the database URL's host and
port are rewritten to that end. The far end is ``remote_host:remote_port``, by default the
URL's own host and port (as the SSH server sees them).

Built on asyncssh: forwarding runs on the run's event loop while the database driver works on
its own thread. Authentication: ``private_key_path`` (``password`` doubles as its passphrase),
else ``password``, else the user's SSH agent and ``~/.ssh`` keys, as ``ssh`` would. The SSH
server's host key is checked against ``known_hosts`` when the config names that file; without
it the key is accepted unchecked (as pycharter did). ``~/.ssh/config`` is not read.
Errors name the SSH host and the key file, never the password or the key's content.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import ConfigError, ConfigProblem, NotAvailableError

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 15.0  # seconds to reach and log in to the SSH server
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433,
                 "oracle": 1521}
ErrorFactory = Callable[[str], Exception]


class SshTunnel:
    """An open tunnel; ``url`` is the database URL through it."""

    def __init__(self, connection: Any, listener: Any, url: sa.URL) -> None:
        self._connection = connection
        self._listener = listener
        self.url = url

    async def close(self) -> None:
        """Stop listening and close the SSH connection (idempotent)."""
        self._listener.close()
        self._connection.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._connection.wait_closed()), 5)


def tunnel_settings(config: dict[str, Any]) -> dict[str, Any] | None:
    """The canonical config's ``ssh_tunnel`` when it is enabled, else None."""
    tunnel = config.get("ssh_tunnel")
    return tunnel if isinstance(tunnel, dict) and tunnel.get("enabled") else None


async def open_ssh_tunnel(config: dict[str, Any], url: sa.URL, *, file: str,
                          fatal: ErrorFactory, transient: ErrorFactory) -> SshTunnel | None:
    """Open the tunnel ``config`` asks for (None when it asks for none).

    ``fatal``/``transient`` build the caller's error (source or load) from a message: an
    unreachable server is transient, a refused login or an unreadable key is fatal."""
    tunnel = tunnel_settings(config)
    if tunnel is None:
        return None
    remote = _remote(tunnel, url, file)
    asyncssh = _asyncssh()
    key = _key_path(tunnel.get("private_key_path"), config.get("base_dir"))
    host, port = str(tunnel["host"]), int(tunnel.get("port") or 22)
    user = tunnel.get("username")
    where = f"the SSH tunnel to {user + '@' if user else ''}{host}:{port}" + (
        f" (key {key})" if key else "")
    options: dict[str, Any] = {"known_hosts": tunnel.get("known_hosts"), "config": None,
                               "connect_timeout": CONNECT_TIMEOUT}
    if user:
        options["username"] = user
    if tunnel.get("password"):
        options["password"] = tunnel["password"]
        options["passphrase"] = tunnel["password"]
    if key:
        options.update(client_keys=[key], agent_path=None)
    if key and not Path(key).is_file():
        raise fatal(f"Cannot open {where} ({file} 'ssh_tunnel.private_key_path'): "
                    "the key file does not exist")
    try:
        connection = await asyncssh.connect(host, port, **options)
    except asyncssh.PermissionDenied as exc:
        raise fatal(f"Cannot open {where} ({file} 'ssh_tunnel'): the server refused the "
                    f"login ({exc.reason})") from None
    except asyncssh.HostKeyNotVerifiable:
        raise fatal(f"Cannot open {where} ({file} 'ssh_tunnel.known_hosts'): the server's host "
                    f"key is not listed in {tunnel.get('known_hosts')}") from None
    except asyncssh.KeyImportError as exc:
        raise fatal(f"Cannot open {where} ({file} 'ssh_tunnel.private_key_path'): the key "
                    f"cannot be read ({exc})") from None
    except socket.gaierror:
        raise fatal(f"Cannot open {where} ({file} 'ssh_tunnel.host'): unknown host") from None
    except (TimeoutError, OSError, asyncssh.Error) as exc:
        reason = (getattr(exc, "reason", "") or getattr(exc, "strerror", "") or str(exc)
                  or type(exc).__name__)
        raise transient(f"Cannot open {where} ({file} 'ssh_tunnel'): {reason}") from None
    try:
        listener = await connection.forward_local_port(
            "127.0.0.1", int(tunnel.get("local_port") or 0), *remote)
    except (OSError, asyncssh.Error) as exc:
        connection.close()
        raise fatal(f"Cannot listen on 127.0.0.1:{tunnel.get('local_port')} for {where} "
                    f"({file} 'ssh_tunnel.local_port'): {exc}") from None
    except BaseException:  # cancelled: do not leave the SSH connection open
        connection.close()
        raise
    log.info("Opened %s: 127.0.0.1:%s -> %s:%s", where, listener.get_port(), *remote)
    return SshTunnel(connection, listener,
                     url.set(host="127.0.0.1", port=listener.get_port()))


@contextlib.contextmanager
def ssh_tunnel_sync(config: dict[str, Any], url: sa.URL, *, file: str, fatal: ErrorFactory,
                    transient: ErrorFactory) -> Iterator[sa.URL]:
    """For synchronous callers (progress reads, connection tests, Dask workers): the URL to
    connect to while the block runs, through the tunnel ``config`` asks for (``url`` itself
    when none). The tunnel forwards on an event loop of its own thread; it closes at exit."""
    if tunnel_settings(config) is None:
        yield url
        return
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="pycharter-ssh-tunnel", daemon=True)
    thread.start()
    try:
        tunnel = asyncio.run_coroutine_threadsafe(open_ssh_tunnel(
            config, url, file=file, fatal=fatal, transient=transient), loop).result()
        assert tunnel is not None
        try:
            yield tunnel.url
        finally:
            asyncio.run_coroutine_threadsafe(tunnel.close(), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _remote(tunnel: dict[str, Any], url: sa.URL, file: str) -> tuple[str, int]:
    """The database's host and port as the SSH server sees them."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        raise ConfigError([ConfigProblem(
            file=file, key="ssh_tunnel", message="a SQLite file cannot be reached through an "
            "SSH tunnel", hint="turn ssh_tunnel off, or use a database server URL")])
    port = tunnel.get("remote_port") or url.port or DEFAULT_PORTS.get(backend)
    if port is None:
        raise ConfigError([ConfigProblem(
            file=file, key="ssh_tunnel.remote_port",
            message=f"no default port is known for {backend}", hint="set remote_port")])
    return str(tunnel.get("remote_host") or url.host or "localhost"), int(port)


def _key_path(path: str | None, base_dir: str | None) -> str | None:
    """``~`` expanded; a relative path is relative to the pipeline folder."""
    if not path:
        return None
    key = Path(path).expanduser()
    return str(key if key.is_absolute() or not base_dir else Path(base_dir) / key)


def _asyncssh() -> Any:
    try:
        from cryptography.utils import CryptographyDeprecationWarning

        with warnings.catch_warnings():  # asyncssh still names DSA types at import
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            import asyncssh
    except ImportError:
        raise NotAvailableError("ssh_tunnel needs asyncssh: pip install "
                                "'pycharter-gui[ssh]'") from None
    return asyncssh


__all__ = ["SshTunnel", "open_ssh_tunnel", "tunnel_settings"]
