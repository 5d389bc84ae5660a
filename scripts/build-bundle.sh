#!/usr/bin/env bash
# Build the self-contained one-folder Linux app in dist/pycharter-gui/: the designer with its
# own Python, Qt, the example workspace, templates, icon and a .desktop entry. Run
# dist/pycharter-gui/pycharter-gui, or dist/pycharter-gui/install-desktop-entry.sh to add it to
# the application menu. Copy or tar the whole folder to hand it out.
#
# Why PyInstaller: it is maintained, has a one-folder mode, ships hooks for PySide6, and
# builds from an ordinary venv; Briefcase needs a per-platform app template downloaded first.
# PyInstaller does not cross-compile: run this script on each OS (Windows/macOS get a .exe /
# .app folder from the same spec, without the .desktop entry).
#
# The build venv (build/bundle-venv) holds only the core dependencies and PyInstaller (the
# `bundle` extra), so nothing from the dev extras ends up in the bundle; it is reused while
# pyproject.toml is unchanged. Env: PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=build/bundle-venv
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
stamp=$venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q ".[bundle]"
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi
# The package itself as a wheel would install it (resources under pycharter_gui/resources).
"$venv/bin/python" -m pip install -q --no-deps --force-reinstall .
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/pycharter-gui.spec
cp resources/icons/pycharter-gui.png packaging/linux/pycharter-gui.desktop \
  packaging/linux/install-desktop-entry.sh dist/pycharter-gui/
echo "Built dist/pycharter-gui/ ($(du -sh dist/pycharter-gui | cut -f1)); run dist/pycharter-gui/pycharter-gui"
