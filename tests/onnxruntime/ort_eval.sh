#!/usr/bin/env bash
# The ONNX Runtime judge of exported models, for every test that checks an export:
#   tests/onnxruntime/ort_eval.sh --model M.onnx --x X.npy [--y Y.npy] [--reference R.npy]
# prints ort_eval.js's JSON line. `ort_eval.sh --install` only installs.
#
# ONNX Runtime comes from npm (onnxruntime-node, pinned by package.json and package-lock.json
# beside this script; its CPU library ships inside the package, so `npm ci --ignore-scripts` runs
# no install script and downloads nothing else). It is installed once into $BITSEARCH_ORT_CACHE
# (default: build/onnxruntime in the repository) under a lock, so parallel tests share it, and
# reinstalled when the lock file changes. No network to the npm registry: a clear error, exit 3.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${BITSEARCH_ORT_CACHE:-$here/../../build/onnxruntime}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

installed() {
  [[ -f $cache/node_modules/onnxruntime-node/package.json ]] && cmp -s "$here/package-lock.json" "$cache/package-lock.json"
}

if ! installed; then
  command -v node >/dev/null && command -v npm >/dev/null || {
    echo "ort_eval: node and npm are needed (Debian 12: apt-get install nodejs npm)" >&2
    exit 3
  }
  (
    flock 9
    if ! installed; then
      cp "$here/package.json" "$here/package-lock.json" "$cache/"
      if ! (cd "$cache" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$cache/npm.log" 2>&1); then
        echo "ort_eval: could not install onnxruntime-node from the npm registry into $cache" \
             "(network or registry unreachable?); npm said: $(tail -n 3 "$cache/npm.log" | tr '\n' ' ')" >&2
        rm -f "$cache/package-lock.json"
        exit 3
      fi
    fi
  ) 9>"$cache/.install.lock"
fi
[[ ${1:-} == --install ]] && exit 0
NODE_PATH=$cache/node_modules exec node "$here/ort_eval.js" "$@"
