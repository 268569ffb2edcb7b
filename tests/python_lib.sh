# Sourced by the tests that use Debian's Python packages (python3-numpy, python3-torch,
# python3-onnx): `find_python MODULE...` sets PY to an interpreter that imports every module, or
# fails naming the Debian packages (a pyenv or venv python3 first in PATH usually lacks them).
find_python() {
  PY=""
  local candidate
  for candidate in /usr/bin/python3 python3; do
    if "$candidate" -c "import $(IFS=,; echo "$*")" 2>/dev/null; then PY=$candidate; return 0; fi
  done
  echo "FAIL: no python3 that imports $* (Debian packages python3-<module>, e.g. python3-torch)" >&2
  exit 1
}
