#!/usr/bin/env bash
# Idempotent set-up: Qt system libraries (when missing and we are root), a venv in .venv,
# and the package with its dev extras. Reuses whatever is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

qt_libs=(xvfb xauth fonts-dejavu-core libegl1 libgl1 libx11-6 libx11-xcb1 libxkbcommon0
  libxkbcommon-x11-0 libfontconfig1 libfreetype6 libglib2.0-0 libdbus-1-3 libxcb-cursor0
  libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0
  libxcb-xfixes0 libxcb-xkb1 libxcb-shm0 libxcb-sync1 libxcb-util1)
qt_libs+=(openssh-server)  # not Qt: the sshd that tests/etl_generator/database/test_ssh_tunnel.py starts
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${qt_libs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Qt system libraries: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: missing system packages for Qt (${missing[*]}); install them as root" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    # Debian's system Python ships venv separately.
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    fi
    "$PY" -m venv .venv
  fi
fi
stamp=.venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
