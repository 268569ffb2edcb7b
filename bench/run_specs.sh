#!/usr/bin/env bash
# Runs every spec in bench/specs/ with one bitsearch binary, one at a time, into OUT_DIR (results,
# logs and a fresh pretrain cache of its own, so the first job pretrains and the others reuse it),
# for comparing two builds with bench/diff_results.py:
#   bash bench/run_specs.sh BITSEARCH_BIN OUT_DIR [THREADS]
# TRAIN_LIMIT=N TEST_LIMIT=M run the specs on the first N training / M test samples instead
# (dataset.train_limit / test_limit), for a quicker comparison; the specs used are kept in OUT_DIR.
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")
threads=${3:-1}
cd "$(dirname "$0")/.."
mkdir -p "$out/specs"
rm -rf "$out/cache"
for spec in bench/specs/*.json; do
  name=$(basename "$spec" .json)
  python3 - "$spec" "$out/specs/$name.json" "${TRAIN_LIMIT:-0}" "${TEST_LIMIT:-0}" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
for key, limit in (("train_limit", int(sys.argv[3])), ("test_limit", int(sys.argv[4]))):
    if limit > 0:
        spec.setdefault("dataset", {})[key] = limit
json.dump(spec, open(sys.argv[2], "w"), indent=1)
PY
  echo "[$(date +%H:%M:%S)] $name"
  "$bin" run "$out/specs/$name.json" --threads "$threads" --cache-dir "$out/cache" \
    --checkpoint "$out/$name.ckpt" --out "$out/$name.json" >"$out/$name.log" 2>&1
done
echo "[$(date +%H:%M:%S)] done: $out"
