#!/usr/bin/env bash
# Set everything up (idempotent) and open the designer on the example workspace, copied once
# to ./pycharter-workspace/. Without a display it runs the example pipelines headless instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/pycharter-gui "$@"
