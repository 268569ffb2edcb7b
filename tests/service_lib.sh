#!/usr/bin/env bash
# Shared helpers of the service end-to-end and fault tests: start the real binaries on
# 127.0.0.1 with free ports, remember every pid, and kill exactly those pids on exit.
# Usage: source service_lib.sh SERVER_BIN WORKER_BIN CLIENT_BIN
set -euo pipefail

SERVER_BIN=$(realpath "$1")
WORKER_BIN=$(realpath "$2")
CLIENT_BIN=$(realpath "$3")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bitsearch-e2e-XXXXXX")
PIDS=()
SERVER_PID=""
declare -A WORKER_PIDS=()

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    echo "---- FAILED (rc=$rc); logs in $WORK ----" >&2
    for f in "$WORK"/*.log; do echo "== $f" >&2; tail -n 40 "$f" >&2; done
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

PORT=$(free_port)
METRICS_PORT=$(free_port)
export BITSEARCH_SERVER="127.0.0.1:$PORT"
LEASE_SECONDS=${LEASE_SECONDS:-5}

# start_server [extra flags]
start_server() {
  "$SERVER_BIN" --listen "127.0.0.1:$PORT" --metrics "127.0.0.1:$METRICS_PORT" \
    --db "$WORK/jobs.db" --data-dir "$WORK/data" --lease-seconds "$LEASE_SECONDS" "$@" \
    >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 100); do
    if "$CLIENT_BIN" list --limit 1 >/dev/null 2>&1; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited; see $WORK/server.log"
    sleep 0.1
  done
  fail "server did not come up on port $PORT"
}

# start_worker NAME [extra flags]
start_worker() {
  local name=$1
  shift
  "$WORKER_BIN" --server "127.0.0.1:$PORT" --worker-id "$name" --threads 1 \
    --data-dir "$WORK/$name" --poll-seconds 0.2 "$@" >>"$WORK/$name.log" 2>&1 &
  WORKER_PIDS[$name]=$!
  PIDS+=("$!")
}

json_field() {  # json_field FIELD < json
  python3 -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(v)' "$1"
}

job_state() { "$CLIENT_BIN" get "$1" --json | json_field state; }
job_field() { "$CLIENT_BIN" get "$1" --json | json_field "$2"; }

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_until() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [[ $SECONDS -lt $deadline ]] || fail "timed out after ${seconds}s waiting for: $what"
    sleep 0.2
  done
}

# wait_terminal SECONDS ID...: waits until every job ended (SUCCEEDED, FAILED or CANCELLED), at
# most SECONDS in all. It follows each job with `bitsearch watch`, which the server's event stream
# wakes when the job ends, instead of polling: a poll starts the client and python3 every 0.2 s,
# CPU that the jobs under test, and the test beside it under ctest -j2, then lack. A watch that
# stops early (the server restarted) is started again.
wait_terminal() {
  local seconds=$1 id
  shift
  local deadline=$((SECONDS + seconds))
  for id in "$@"; do
    until terminal "$id"; do
      [[ $SECONDS -lt $deadline ]] || fail "timed out after ${seconds}s waiting for $id to finish"
      timeout $((deadline - SECONDS + 1)) "$CLIENT_BIN" watch "$id" >>"$WORK/watch-$id.log" 2>&1 || sleep 0.2
    done
  done
}

state_is() { [[ "$(job_state "$1")" == "$2" ]]; }
terminal() {
  local s
  s=$(job_state "$1")
  [[ $s == SUCCEEDED || $s == FAILED || $s == CANCELLED ]]
}

# write_spec FILE NAME TRAIN SEARCH_EPOCHS [CHECKPOINT_EVERY]
write_spec() {
  cat >"$1" <<JSON
{"name":"$2","model":"lenet5",
 "dataset":{"name":"synthetic","synthetic_train":$3,"synthetic_test":128},
 "pretrain":{"epochs":1},"search":{"epochs":$4,"batch_size":64},"finetune":{"epochs":1},
 "checkpoint_every":${5:-200}}
JSON
}

# expect_rc CODE DESCRIPTION COMMAND...: runs COMMAND (stdout in $WORK/out.txt, stderr in
# $WORK/err.txt) and fails unless it exits CODE without being killed by a signal (an abort is
# 134) and, when CODE is not 0, says why on stderr.
expect_rc() {
  local want=$1 what=$2
  shift 2
  set +e
  "$@" >"$WORK/out.txt" 2>"$WORK/err.txt"
  local rc=$?
  set -e
  [[ $rc -lt 128 || $want -ge 128 ]] || fail "$what: killed by a signal (exit $rc): $(head -c 300 "$WORK/err.txt")"
  [[ $rc -eq $want ]] || fail "$what: exit $rc, expected $want (stderr: $(head -c 400 "$WORK/err.txt"))"
  if [[ $want -ne 0 ]]; then
    [[ -s $WORK/err.txt ]] || fail "$what: exit $rc without a reason on stderr"
  fi
  log "ok ($rc): $what"
}
