#!/usr/bin/env bash
# Set everything up (idempotent) and open the designer on the example workspace, copied once
# to ./pycharter-workspace/ of the repository (where the README's commands expect it; an
# installed designer copies it to ~/Documents/pycharter-workspace instead). Arguments go to
# pycharter-gui, e.g. a workspace folder to open. Without a display it runs the example
# pipelines headless instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYCHARTER_WORKSPACE=${PYCHARTER_WORKSPACE:-$PWD/pycharter-workspace}
exec .venv/bin/pycharter-gui "$@"
