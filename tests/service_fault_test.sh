#!/usr/bin/env bash
# Fault tests with the real binaries on 127.0.0.1:
#  1. kill -9 a worker mid-search: the other worker re-leases the job, resumes from the uploaded
#     checkpoint (the log shows the step) and the job succeeds exactly once;
#  2. kill -9 the server mid-run and restart it on the same database: every job and result is
#     still there and the running job completes;
#  3. cancel a running job: CANCELLED within 10 s and the worker takes the next job.
# Usage: service_fault_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
LEASE_SECONDS=4
source "$(dirname "$0")/service_lib.sh" "$@"

start_server
start_worker w1
start_worker w2

progress_step() {  # the newest progress step of a job in `phase`, from its watch log
  # lines read "[n]  search    epoch 1/4 [###---] 35/228 loss ...": the step is before the slash
  grep -o "^\[[0-9]*\]  *$2 .*\] [0-9]*/[0-9]*" "$1" | tail -n 1 | grep -o "[0-9]*/[0-9]*$" | cut -d/ -f1
}
in_search() { [[ $(job_field "$1" phase) == search ]]; }

# ---- 1. kill -9 the worker running a job mid-search --------------------------------------
# Four search epochs (228 steps): a window of several seconds past step 30 even on a fast machine
# (one epoch of 57 steps took 2.7 s, so a 0.2 s poll could miss it).
write_spec "$WORK/long.json" fault-resume 4000 4 20
job=$("$CLIENT_BIN" submit "$WORK/long.json" | sed -n 1p)
log "job $job submitted"
"$CLIENT_BIN" watch "$job" >"$WORK/resume-watch.log" 2>&1 &
WATCH_PID=$!
PIDS+=("$WATCH_PID")
past_search_checkpoint() {  # a checkpoint was taken inside the search phase (every 20 steps)
  local step
  step=$(progress_step "$WORK/resume-watch.log" search)
  [[ -n $step && $step -ge 30 ]]
}
wait_until 300 "$job past a mid-search checkpoint" past_search_checkpoint
victim=$(job_field "$job" worker_id)
survivor=w1
[[ $victim == w1 ]] && survivor=w2
log "kill -9 $victim (pid ${WORKER_PIDS[$victim]}) at search step $(progress_step "$WORK/resume-watch.log" search)"
kill -9 "${WORKER_PIDS[$victim]}"
wait "${WORKER_PIDS[$victim]}" 2>/dev/null || true
released() { [[ $(job_field "$1" attempt) -ge 2 && $(job_state "$1") == RUNNING ]]; }
wait_until 60 "$job re-leased (attempt 2)" released "$job"
[[ $(job_field "$job" worker_id) == "$survivor" ]] || fail "job not re-leased by $survivor"
wait_terminal 600 "$job"
[[ $(job_state "$job") == SUCCEEDED ]] || fail "$job ended $(job_state "$job"): $(job_field "$job" error)"
wait "$WATCH_PID" || fail "watch of the resumed job did not end in SUCCEEDED"
grep -q "resuming from checkpoint: phase search, epoch [0-9]*, step [0-9]" "$WORK/resume-watch.log" &&
  ! grep -q "resuming from checkpoint: phase search, epoch 1, step 0," "$WORK/resume-watch.log" ||
  fail "the second attempt did not resume inside the search phase"
grep -q "(resumed)" "$WORK/resume-watch.log" || fail "no resumed progress sample"
[[ $(grep -c "SUCCEEDED" "$WORK/resume-watch.log") -eq 2 ]] ||  # the state event + the final line
  fail "job did not succeed exactly once"
grep -q "resumed search at step" "$WORK/$survivor.log" || fail "survivor's log lacks the resumed step"
log "PASS kill -9 worker: $(grep -o 'resuming from checkpoint: [^"]*' "$WORK/resume-watch.log" | sed -n 1p);" \
    "$(grep -o 'resumed search at step [0-9/]*' "$WORK/$survivor.log" | sed -n 1p) on $survivor"
start_worker "$victim"  # back to two workers

# ---- 2. kill -9 the server mid-run, restart on the same database --------------------------
write_spec "$WORK/mid.json" fault-server 3000 1 20
running=$("$CLIENT_BIN" submit "$WORK/mid.json" | sed -n 1p)
wait_until 300 "$running RUNNING" state_is "$running" RUNNING
"$CLIENT_BIN" list --json --limit 100 >"$WORK/before.json"
"$CLIENT_BIN" result "$job" --json >"$WORK/result-before.json"
log "kill -9 server (pid $SERVER_PID) while $running runs"
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
sleep 2
start_server
"$CLIENT_BIN" list --json --limit 100 >"$WORK/after.json"
python3 - "$WORK/before.json" "$WORK/after.json" <<'PY' || fail "jobs changed across the server restart"
import json, sys
before = {j["id"]: j for j in json.load(open(sys.argv[1]))}
after = {j["id"]: j for j in json.load(open(sys.argv[2]))}
assert before.keys() == after.keys(), (before.keys(), after.keys())
for k, j in before.items():
    if j["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
        assert after[k]["state"] == j["state"], (k, j["state"], after[k]["state"])
PY
"$CLIENT_BIN" result "$job" --json >"$WORK/result-after.json"
cmp -s "$WORK/result-before.json" "$WORK/result-after.json" || fail "result changed across restart"
wait_terminal 600 "$running"
[[ $(job_state "$running") == SUCCEEDED ]] || fail "$running ended $(job_state "$running"): $(job_field "$running" error)"
# The worker kept its lease through the outage (restart grace) instead of starting over.
[[ $(job_field "$running" attempt) -eq 1 ]] || fail "$running was re-leased after the restart"
log "PASS kill -9 server: jobs and results survived; $running completed (attempt $(job_field "$running" attempt))"

# ---- 3. cancel a running job ---------------------------------------------------------------
write_spec "$WORK/cancel.json" fault-cancel 6000 2 200
victim_job=$("$CLIENT_BIN" submit "$WORK/cancel.json" | sed -n 1p)
wait_until 300 "$victim_job RUNNING" state_is "$victim_job" RUNNING
wait_until 120 "$victim_job to start training" in_search "$victim_job"
owner=$(job_field "$victim_job" worker_id)
write_spec "$WORK/next.json" fault-next 512 1
start=$(date +%s.%N)
grep -q CANCELLED <<<"$("$CLIENT_BIN" cancel "$victim_job")" || fail "cancel did not report CANCELLED"
[[ $(job_state "$victim_job") == CANCELLED ]] || fail "job not CANCELLED"
wait_until 10 "worker $owner to stop $victim_job" grep -q "job $victim_job: cancelled" "$WORK/$owner.log"
stopped=$(python3 -c "import time; print(round(time.time() - $start, 2))")
log "worker $owner stopped $victim_job ${stopped}s after cancel"
# Keep the other worker busy so the next job must go to the worker that was cancelled.
kill -9 "${WORKER_PIDS[$([[ $owner == w1 ]] && echo w2 || echo w1)]}"
next=$("$CLIENT_BIN" submit "$WORK/next.json" | sed -n 1p)
wait_terminal 600 "$next"
[[ $(job_state "$next") == SUCCEEDED ]] || fail "$next ended $(job_state "$next")"
[[ $(job_field "$next" worker_id) == "$owner" ]] || fail "the cancelled worker did not take the next job"
log "PASS cancel: CANCELLED at once, worker stopped in ${stopped}s and ran the next job"
log "PASS service_fault"
