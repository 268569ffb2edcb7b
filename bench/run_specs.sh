#!/usr/bin/env bash
# Runs every spec in bench/specs/ with one bitsearch binary, one at a time, into OUT_DIR (results,
# logs and a fresh pretrain cache of its own, so the first job pretrains and the others reuse it),
# for comparing two builds with bench/diff_results.py:
#   bash bench/run_specs.sh BITSEARCH_BIN OUT_DIR [THREADS]
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")
threads=${3:-1}
cd "$(dirname "$0")/.."
mkdir -p "$out"
rm -rf "$out/cache"
for spec in bench/specs/*.json; do
  name=$(basename "$spec" .json)
  echo "[$(date +%H:%M:%S)] $name"
  "$bin" run "$spec" --threads "$threads" --cache-dir "$out/cache" --checkpoint "$out/$name.ckpt" \
    --out "$out/$name.json" >"$out/$name.log" 2>&1
done
echo "[$(date +%H:%M:%S)] done: $out"
