#!/usr/bin/env bash
# A worker pretrains once for jobs of the same model and data: two jobs that differ only in the
# search (mu) run on one real worker; the first trains the float model and caches it under the
# worker's data directory, the second reuses it (log line "pretrained model reused") and reports
# the same float accuracy.
# Usage: worker_cache_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"

start_server
start_worker w1

ids=()
for mu in 0.1 1.0; do
  write_spec "$WORK/job-$mu.json" "cache-$mu" 512 1
  python3 - "$WORK/job-$mu.json" "$mu" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["search"]["mu"] = float(sys.argv[2])
json.dump(spec, open(sys.argv[1], "w"))
PY
  id=$("$CLIENT_BIN" submit "$WORK/job-$mu.json" | head -n 1)
  [[ $id == job-* ]] || fail "submit printed '$id' instead of a job id"
  ids+=("$id")
  # One after the other: the second must find the first's cache entry.
  wait_terminal 600 "$id"
  [[ $(job_state "$id") == SUCCEEDED ]] || fail "$id ended $(job_state "$id"): $(job_field "$id" error)"
done
log "both jobs SUCCEEDED"

entries=$(find "$WORK/w1/pretrain-cache" -name '*.fp' | wc -l)
[[ $entries -eq 1 ]] || fail "expected one cache entry under the worker's data dir, found $entries"
reused=$(grep -c "pretrained model reused from $WORK/w1/pretrain-cache/" "$WORK/w1.log" || true)
[[ $reused -eq 1 ]] || fail "expected one 'pretrained model reused' line in the worker log, found $reused"
grep -q "job ${ids[1]}: pretrained model reused" "$WORK/w1.log" || fail "the second job did not reuse the model"
grep -q "job ${ids[0]}: phase pretrain done" "$WORK/w1.log" || fail "the first job did not pretrain"

fp=()
for id in "${ids[@]}"; do
  "$CLIENT_BIN" result "$id" --json >"$WORK/$id.result.json"
  fp+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accuracy"]["fp32"])' "$WORK/$id.result.json")")
done
[[ ${fp[0]} == "${fp[1]}" ]] || fail "float accuracy differs: ${fp[0]} vs ${fp[1]}"
log "PASS worker_cache (fp32 ${fp[0]}% trained once, reused once)"
