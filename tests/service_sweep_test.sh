#!/usr/bin/env bash
# End-to-end sweeps: a real server, two real workers and the real client.
#  1. `bitsearch sweep SPEC --set search.mu=...` stores one shared pretraining job and one job per
#     point; the pretraining runs once, its points wait for it and then fan out to both workers,
#     each starting from the shared float model; the sweep's result marks its Pareto points, and
#     result --out, compare, get, list --sweeps work on the sweep id.
#  2. A sweep whose pretraining fails fails every point with that reason.
#  3. A cancelled sweep cancels its running pretraining and its queued points.
# Tiny synthetic specs: the whole test is about the service, not about accuracy.
# Usage: service_sweep_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"

start_server
start_worker w1
start_worker w2

sweep_field() { "$CLIENT_BIN" get "$1" --json | json_field "$2"; }
sweep_done() {
  local s
  s=$(sweep_field "$1" state)
  [[ $s == SUCCEEDED || $s == FAILED || $s == CANCELLED ]]
}

# ---- 1. three points sharing one pretraining ---------------------------------------------------
write_spec "$WORK/sweep.json" fan 256 1
expect_rc 2 "a --set of a field that does not exist" \
  "$CLIENT_BIN" sweep "$WORK/sweep.json" --set search.nosuch=1,2
grep -q "search.nosuch" "$WORK/err.txt" || fail "the bad --set is not named: $(cat "$WORK/err.txt")"
"$CLIENT_BIN" sweep "$WORK/sweep.json" --set search.mu=0.01,0.3,3 >"$WORK/sweep.out" 2>"$WORK/sweep.err" ||
  fail "sweep submit: $(cat "$WORK/sweep.err")"
sweep=$(sed -n 1p "$WORK/sweep.out")
[[ $sweep == sweep-* ]] || fail "sweep printed '$sweep' instead of a sweep id"
grep -q "3 points, sharing 1 float pretraining" "$WORK/sweep.err" || fail "submit summary: $(cat "$WORK/sweep.err")"
log "submitted $sweep"

"$CLIENT_BIN" watch "$sweep" >"$WORK/watch.log" 2>&1 || fail "watch $sweep did not end in SUCCEEDED"
grep -q "sweep $sweep SUCCEEDED" "$WORK/watch.log" || fail "watch output lacks the sweep's end"
"$CLIENT_BIN" get "$sweep" --json >"$WORK/sweep.get.json"
python3 - "$WORK/sweep.get.json" <<'PY' >"$WORK/jobs.txt" || fail "sweep as stored: $(cat "$WORK/sweep.get.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "SUCCEEDED", s["state"]
assert len(s["pretrain_jobs"]) == 1, s["pretrain_jobs"]
pre = s["pretrain_jobs"][0]
assert pre["state"] == "SUCCEEDED", pre
assert len(s["points"]) == 3, len(s["points"])
mus = sorted(p["settings"]["search.mu"] for p in s["points"])
assert mus == [0.01, 0.3, 3], mus
for p in s["points"]:
    assert p["state"] == "SUCCEEDED", p
    assert p["depends_on"] == pre["id"], (p["depends_on"], pre["id"])
print(pre["id"])
for p in s["points"]:
    print(p["id"])
PY
mapfile -t jobs <"$WORK/jobs.txt"
pretrain=${jobs[0]}
points=("${jobs[@]:1}")

# The float model was trained once: the pretraining job trained it, every point took it.
"$CLIENT_BIN" watch "$pretrain" >"$WORK/watch-pretrain.log" 2>&1 || fail "watch $pretrain"
grep -q "phase pretrain done" "$WORK/watch-pretrain.log" || fail "the pretraining job did not pretrain"
grep -q "phase search" "$WORK/watch-pretrain.log" && fail "the pretraining job ran the search too"
for id in "${points[@]}"; do
  "$CLIENT_BIN" watch "$id" >"$WORK/watch-$id.log" 2>&1 || fail "watch $id"
  grep -q "phase pretrain done.*(shared)" "$WORK/watch-$id.log" ||
    fail "point $id trained its own float model: $(grep pretrain "$WORK/watch-$id.log")"
done
# The points fanned out: both workers ran some of them.
for w in w1 w2; do
  ran=0
  for id in "${points[@]}"; do grep -q "job $id: SUCCEEDED" "$WORK/$w.log" && ran=$((ran + 1)); done
  [[ $ran -ge 1 ]] || fail "worker $w ran none of the points"
  log "worker $w ran $ran point(s)"
done

"$CLIENT_BIN" result "$sweep" --json >"$WORK/sweep.result.json" || fail "result $sweep --json"
python3 - "$WORK/sweep.result.json" <<'PY' || fail "sweep result: $(head -c 600 "$WORK/sweep.result.json")"
import json, sys
r = json.load(open(sys.argv[1]))
pts = r["points"]
assert len(pts) == 3, len(pts)
assert r["pretraining"]["runs"] == 1, r["pretraining"]
for p in pts:
    assert p["state"] == "SUCCEEDED", p
    assert isinstance(p["pareto"], bool), p
    assert 0 < p["accuracy"] <= 100, p
assert any(p["pareto"] for p in pts), "no Pareto point"
PY
"$CLIENT_BIN" result "$sweep" >"$WORK/sweep.table" || fail "result table of $sweep"
grep -q "mu 0.3" "$WORK/sweep.table" || fail "the sweep table lacks its points: $(cat "$WORK/sweep.table")"
"$CLIENT_BIN" result "$sweep" --out "$WORK/out/sweep.json" 2>/dev/null >/dev/null || fail "result $sweep --out"
grep -q "<svg" "$WORK/out/sweep.svg" || fail "result --out wrote no chart"
grep -q "<html" "$WORK/out/sweep.html" || fail "result --out wrote no report"
"$CLIENT_BIN" compare "$sweep" --json >"$WORK/compare.json" || fail "compare $sweep"
python3 -c 'import json,sys; rows=json.load(open(sys.argv[1])); assert len(rows) == 3, rows' \
  "$WORK/compare.json" || fail "compare $sweep: $(head -c 400 "$WORK/compare.json")"
"$CLIENT_BIN" list --sweeps >"$WORK/list.txt" || fail "list --sweeps"
grep -q "$sweep.*SUCCEEDED.*3/3" "$WORK/list.txt" || fail "list --sweeps: $(cat "$WORK/list.txt")"
log "sweep $sweep: 3 points on one pretraining, result, report, compare and list"

# ---- 2. a failed pretraining fails every point with its reason ---------------------------------
# The workers have no --data-root, so a data folder in the spec is refused when a worker leases
# the pretraining; the server accepted the relative path.
python3 - "$WORK/sweep.json" "$WORK/bad-data.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["name"] = "bad-data"
spec["dataset"] = {"format": "idx", "path": "no-such-folder"}
json.dump(spec, open(sys.argv[2], "w"))
PY
bad=$("$CLIENT_BIN" sweep "$WORK/bad-data.json" --set search.mu=0.1,1 2>/dev/null | sed -n 1p)
[[ $bad == sweep-* ]] || fail "the bad-data sweep was not stored"
wait_until 120 "$bad to finish" sweep_done "$bad"
"$CLIENT_BIN" get "$bad" --json >"$WORK/bad.json"
python3 - "$WORK/bad.json" <<'PY' || fail "bad-data sweep: $(head -c 800 "$WORK/bad.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "FAILED", s["state"]
pre = s["pretrain_jobs"][0]
assert pre["state"] == "FAILED" and "dataset.path" in pre["error"], pre
assert s["error"].startswith("pretraining failed: "), s["error"]
for p in s["points"]:
    assert p["state"] == "FAILED", p
    assert pre["id"] in p["error"] and "dataset.path" in p["error"], p["error"]
PY
log "sweep $bad: the pretraining's failure failed both points with its reason"

# ---- 3. cancel: the running pretraining and the queued points end CANCELLED --------------------
write_spec "$WORK/long.json" long 20000 1
long=$("$CLIENT_BIN" sweep "$WORK/long.json" --set search.mu=0.1,1 2>/dev/null | sed -n 1p)
pretrain_running() {
  "$CLIENT_BIN" get "$long" --json |
    python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(s["pretrain_jobs"][0]["state"] != "RUNNING")'
}
wait_until 120 "the pretraining of $long to run" pretrain_running
"$CLIENT_BIN" cancel "$long" >"$WORK/cancel.txt" || fail "cancel $long"
grep -q "3 jobs cancelled" "$WORK/cancel.txt" || fail "cancel output: $(cat "$WORK/cancel.txt")"
wait_until 120 "$long to finish" sweep_done "$long"
"$CLIENT_BIN" get "$long" --json >"$WORK/long.get.json"
python3 - "$WORK/long.get.json" <<'PY' || fail "cancelled sweep: $(head -c 800 "$WORK/long.get.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["state"] == "CANCELLED", s["state"]
for j in s["pretrain_jobs"] + s["points"]:
    assert j["state"] == "CANCELLED", j
PY
expect_rc 1 "cancel of a finished sweep" "$CLIENT_BIN" cancel "$long"
# The workers are free again: a plain job still runs after the cancelled sweep.
write_spec "$WORK/after.json" after 256 1
after=$("$CLIENT_BIN" submit "$WORK/after.json" | sed -n 1p)
wait_terminal 300 "$after"
[[ $(job_state "$after") == SUCCEEDED ]] || fail "$after ended $(job_state "$after") after the cancel"
log "sweep $long cancelled with its running pretraining and queued points; workers free again"
log "PASS"
