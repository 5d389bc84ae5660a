#!/usr/bin/env bash
# Try pyproject.toml's dependency ranges at both edges on the oldest supported Python:
#   oldest: every core dependency pinned to its lower bound (pip has no "lowest" resolution,
#           so a constraints file of the lower bounds is generated from pyproject.toml);
#   newest: a plain install, which resolves to the newest allowed versions.
# Each edge gets a throwaway venv with the project installed (non-editable) and runs a smoke
# subset: import, pycharter-etl list/validate/dry-run on the examples, the designer opened
# offscreen on the examples with one dry run (pycharter-gui --smoke), and the None-refcount
# check of tests/designer/test_qt_refcount.py.
# Usage: scripts/check-dependency-edges.sh [oldest] [newest]   (default: both)
# Env: PYTHON (default python3.11), EDGES_DIR (kept venvs; default a temporary folder, removed).
# The test command runs it when PYCHARTER_CHECK_EDGES=1 (tests/test_install.py).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
PY=${PYTHON:-python3.11}
edges=("$@")
[ ${#edges[@]} -gt 0 ] || edges=(oldest newest)
if [ -n "${EDGES_DIR:-}" ]; then
  work=$EDGES_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

lower_bounds() {  # $1: python of the venv; prints name==lower-bound for each core dependency
  "$1" - "$repo/pyproject.toml" <<'EOF'
import sys
import tomllib

from packaging.requirements import Requirement

with open(sys.argv[1], "rb") as f:
    deps = tomllib.load(f)["project"]["dependencies"]
for dep in map(Requirement, deps):
    if dep.marker is not None and not dep.marker.evaluate():
        continue
    lows = [s.version for s in dep.specifier if s.operator in (">=", "==", "~=")]
    if not lows:
        sys.exit(f"{dep.name} has no lower bound in pyproject.toml")
    print(f"{dep.name}=={lows[0]}")
EOF
}

quiet_pip() {  # pip without the warnings about this machine's missing local index folders
  "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

smoke() {  # $1: venv folder; stops at the first failing step (call it outside a condition)
  local venv=$1 home
  home=$(mktemp -d -p "$work")
  (
    set -e
    cd "$home"
    export HOME=$home QT_QPA_PLATFORM=offscreen
    "$venv/bin/python" -c "import pycharter_gui.etl_generator, pycharter_gui.designer.main_window"
    examples=$("$venv/bin/python" -c "from pycharter_gui.paths import resource_path; print(resource_path('examples'))")
    "$venv/bin/pycharter-etl" list "$examples"
    cp -r "$examples" ws
    for p in ws/*/; do
      "$venv/bin/pycharter-etl" validate "$p"
      "$venv/bin/pycharter-etl" run "$p" --dry-run --trust >/dev/null  # the app's own examples
    done
    "$venv/bin/pycharter-gui" --smoke ws
    "$venv/bin/python" -c "
import importlib.util, sys
spec = importlib.util.spec_from_file_location('refcount', sys.argv[1])
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
mod.test_void_qt_calls_keep_none_references()
print('None reference count: clean')" "$repo/tests/designer/test_qt_refcount.py"
  )
}

status=0
for edge in "${edges[@]}"; do
  venv=$work/$edge
  echo "== $edge edge: $venv"
  rm -rf "$venv"
  "$PY" -m venv "$venv"
  quiet_pip "$venv/bin/python" -m pip install -q --upgrade pip packaging
  case $edge in
    oldest)
      lower_bounds "$venv/bin/python" > "$work/lower-bounds.txt"
      quiet_pip "$venv/bin/python" -m pip install -q -c "$work/lower-bounds.txt" "$repo" ;;
    newest) quiet_pip "$venv/bin/python" -m pip install -q "$repo" ;;
    *) echo "unknown edge $edge (oldest or newest)" >&2; exit 2 ;;
  esac
  "$venv/bin/python" -m pip list --format=freeze 2>/dev/null \
    | grep -i -E '^(pyyaml|ruamel.yaml|pydantic|httpx|sqlalchemy|pandas|pyarrow|jsonata.python|boto3|psutil|jsonschema|numpy|pyside6.essentials)=' \
    | tr '\n' ' '
  echo
  set +e
  smoke "$venv"
  code=$?
  set -e
  if [ $code = 0 ]; then
    echo "== $edge edge: ok"
  else
    echo "== $edge edge: FAILED" >&2
    status=1
  fi
done
exit $status
