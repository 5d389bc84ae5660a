#!/usr/bin/env bash
# Set everything up (idempotent) and run the whole test suite. Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/services.sh
[ -f scripts/install-azurite.sh ] && bash scripts/install-azurite.sh
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check pycharter_gui tests benchmarks
.venv/bin/lint-imports --no-cache  # import boundaries: .importlinter
exec .venv/bin/python -m pytest -p no:cacheprovider -n 2 "$@"
