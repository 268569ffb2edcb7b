#!/usr/bin/env bash
# End-to-end: a real server, two real workers, four small jobs submitted with the real client (the
# last one compares Bayesian Bits with FracBits); all SUCCEEDED, results retrievable, metrics
# served, SIGTERM shuts the server down cleanly.
# Usage: service_e2e_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"

start_server
start_worker w1
start_worker w2

ids=()
for i in 1 2 3 4; do
  write_spec "$WORK/job$i.json" "e2e-$i" 512 1
  # The last job compares the search methods (issue 13): FracBits runs beside Bayesian Bits on the
  # worker, from the same float model, and the stored result carries both.
  if [[ $i == 4 ]]; then
    python3 - "$WORK/job$i.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["compare_methods"] = ["bayesian_bits", "fracbits"]
json.dump(spec, open(sys.argv[1], "w"))
PY
  fi
  id=$("$CLIENT_BIN" submit "$WORK/job$i.json" | sed -n 1p)
  [[ $id == job-* ]] || fail "submit printed '$id' instead of a job id"
  ids+=("$id")
done
log "submitted ${ids[*]}"

# Follow one job live with the client's watch (it exits 0 only on SUCCEEDED).
"$CLIENT_BIN" watch "${ids[0]}" >"$WORK/watch.log" 2>&1 || fail "watch ${ids[0]} did not end in SUCCEEDED"
grep -q "SUCCEEDED" "$WORK/watch.log" || fail "watch output lacks the final state"
grep -q "phase search" "$WORK/watch.log" || fail "watch output lacks the search phase"

for id in "${ids[@]}"; do
  wait_terminal 600 "$id"
  [[ $(job_state "$id") == SUCCEEDED ]] || fail "$id ended $(job_state "$id"): $(job_field "$id" error)"
  "$CLIENT_BIN" result "$id" --json >"$WORK/$id.result.json"
  python3 - "$WORK/$id.result.json" <<'PY' || fail "result of $id lacks accuracy/layers"
import json, sys
r = json.load(open(sys.argv[1]))
assert "accuracy" in r and "layers" in r, r.keys()
PY
  "$CLIENT_BIN" result "$id" >/dev/null || fail "result table of $id"
done
# The comparing job: one row per method, FracBits aimed at where Bayesian Bits landed.
python3 - "$WORK/${ids[3]}.result.json" <<'PY' || fail "the compare_methods job's result lacks its comparison"
import json, sys
r = json.load(open(sys.argv[1]))
rows = {row["method"]: row for row in r["comparison"]}
assert set(rows) == {"bayesian_bits", "fracbits"}, rows.keys()
fb = rows["fracbits"]
assert fb["accuracy"]["final"] > 0 and fb["relative_bops_percent"]["final"] > 0, fb
target = fb["target"]["relative_bops_percent"]
assert abs(target - rows["bayesian_bits"]["relative_bops_percent"]["searched"]) < 1e-9, (target, rows)
assert fb["search"]["target"] == target, fb["search"]
assert "compare:fracbits" in r["timings"], r["timings"].keys()
PY
"$CLIENT_BIN" result "${ids[3]}" --out "$WORK/out/compare.json" 2>/dev/null || fail "result --out of the comparison"
grep -q "Search methods compared" "$WORK/out/compare.html" || fail "the comparison's HTML report lacks the methods table"
# result --out: the JSON as stored, with the chart and the HTML report beside it.
"$CLIENT_BIN" result "${ids[0]}" --out "$WORK/out/first.json" 2>"$WORK/out.log" || fail "result --out"
cmp -s <(python3 -m json.tool "$WORK/out/first.json") <(python3 -m json.tool "$WORK/${ids[0]}.result.json") \
  || fail "result --out wrote another JSON than result --json prints"
grep -q "<svg" "$WORK/out/first.svg" || fail "result --out wrote no chart"
grep -q "id=\"chart\"" "$WORK/out/first.html" || fail "result --out wrote no HTML report"
grep -q "${ids[0]} on 127.0.0.1:$PORT" "$WORK/out/first.html" || fail "the report does not say where it came from"
log "all four jobs SUCCEEDED with results"

# Both workers took part.
workers=$(for id in "${ids[@]}"; do job_field "$id" worker_id; done | sort -u | wc -l)
[[ $workers -eq 2 ]] || log "note: only $workers worker(s) ran the jobs"

"$CLIENT_BIN" list >"$WORK/list.txt"
[[ $(grep -c SUCCEEDED "$WORK/list.txt") -eq 4 ]] || fail "list does not show four SUCCEEDED jobs"

# Errors are one line on stderr with a non-zero exit.
if "$CLIENT_BIN" get job-does-not-exist 2>"$WORK/err.txt"; then fail "get of an unknown id succeeded"; fi
[[ $(wc -l <"$WORK/err.txt") -eq 1 ]] || fail "error is not one line: $(cat "$WORK/err.txt")"
grep -q "not found" "$WORK/err.txt" || fail "unknown id error: $(cat "$WORK/err.txt")"
echo '{"model":"lenet5","search":{"mu":"x"}}' >"$WORK/bad.json"
if "$CLIENT_BIN" submit "$WORK/bad.json" 2>"$WORK/err.txt"; then fail "bad spec accepted"; fi
grep -q "search.mu" "$WORK/err.txt" || fail "bad spec error does not name the field"

metrics=$(python3 -c 'import urllib.request,sys; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "http://127.0.0.1:$METRICS_PORT/metrics")
for m in 'bitsearch_job_submissions_total{outcome="accepted"} 4' 'bitsearch_phase_duration_seconds_count{phase="search"} 4' \
         'bitsearch_job_duration_seconds_count{state="SUCCEEDED"} 4' bitsearch_connected_workers bitsearch_rpc_duration_seconds; do
  grep -qF "$m" <<<"$metrics" || fail "metrics lack '$m'"
done
log "metrics OK"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server exited non-zero on SIGTERM"
grep -q "database closed" "$WORK/server.log" || fail "server did not close the database"
[[ ! -e "$WORK/jobs.db-wal" ]] || [[ ! -s "$WORK/jobs.db-wal" ]] || fail "WAL not checkpointed on shutdown"
log "PASS service_e2e"
