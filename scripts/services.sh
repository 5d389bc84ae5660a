#!/usr/bin/env bash
# Start the local PostgreSQL and MariaDB servers the database tests use, when they are
# installed but not running. Prints what it did; never fails the caller.
set -u
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432 && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "Starting PostgreSQL..."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>&1 || true
fi
if ! port_open 3306 && [ -x /usr/sbin/mariadbd ]; then
  echo "Starting MariaDB..."
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd 2>&1 || true
fi
for _ in $(seq 1 30); do
  if port_open 5432 && port_open 3306; then break; fi
  sleep 0.5
done
port_open 5432 && echo "PostgreSQL: up on 127.0.0.1:5432" || echo "PostgreSQL: not available"
port_open 3306 && echo "MariaDB: up on 127.0.0.1:3306" || echo "MariaDB: not available"
exit 0
