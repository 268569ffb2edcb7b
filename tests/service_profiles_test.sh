#!/usr/bin/env bash
# Profiles through the service, with the real binaries on 127.0.0.1: a table measured on this
# machine is imported into the server (not the local folder), listed and shown through it; a
# malformed table is refused naming line and column; a job naming an unknown profile is refused
# naming hardware.profile; a job naming the stored profile runs on a worker that has no local
# copy (the profile travels with the lease) and reports latency in the profile's unit.
# Usage: service_profiles_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"

# Neither the client nor the worker has any imported profile of its own.
export BITSEARCH_HOME="$WORK/home"
start_server
start_worker w1

"$CLIENT_BIN" profiles measure --model lenet5 --bits 2,4,8,16,32 --repeats 1 --warmup 0 --quiet \
  --out "$WORK/board.csv" >"$WORK/measure.log" 2>&1 || fail "profiles measure: $(tail -3 "$WORK/measure.log")"
out=$("$CLIENT_BIN" profiles import "$WORK/board.csv" --name board --description "this machine")
grep -q "into server 127.0.0.1:$PORT" <<<"$out" || fail "import did not go to the server: $out"
[[ ! -e "$BITSEARCH_HOME/profiles/board.json" ]] || fail "import with a server also wrote the local folder"

"$CLIENT_BIN" profiles list >"$WORK/list.txt"
grep -E "^board +lut +seconds +server +this machine" "$WORK/list.txt" >/dev/null ||
  fail "profiles list lacks the server's board: $(cat "$WORK/list.txt")"
grep -q "pulp-xpulpv2" "$WORK/list.txt" || fail "profiles list lacks the built-ins"
"$CLIENT_BIN" profiles list --local >"$WORK/local.txt"
if grep -q "^board " "$WORK/local.txt"; then fail "--local listed the server's board"; fi
[[ $("$CLIENT_BIN" profiles show board --json | json_field kind) == lut ]] || fail "show board --json"
"$CLIENT_BIN" profiles show board >"$WORK/show.txt"
grep -q "file:        server 127.0.0.1:$PORT" "$WORK/show.txt" || fail "show board: $(head -5 "$WORK/show.txt")"
log "profile imported into the server, listed and shown through it"

# A malformed table: one line naming the file, line and column; nothing stored.
{ head -n 2 "$WORK/board.csv"; head -n 2 "$WORK/board.csv" | tail -n 1 | sed 's/,[^,]*$/,fast/'; } \
  >"$WORK/bad.csv"
if "$CLIENT_BIN" profiles import "$WORK/bad.csv" --name bad 2>"$WORK/err.txt"; then fail "bad table accepted"; fi
[[ $(wc -l <"$WORK/err.txt") -eq 1 ]] || fail "error is not one line: $(cat "$WORK/err.txt")"
grep -q "bad.csv: line 3, column 15 (latency)" "$WORK/err.txt" || fail "bad table error: $(cat "$WORK/err.txt")"
if "$CLIENT_BIN" profiles show bad 2>/dev/null; then fail "a refused table was stored"; fi

# Jobs: an unknown profile is refused at submission; the stored one runs on the worker.
spec() {
  cat >"$1" <<JSON
{"name":"$2","model":"lenet5","hardware":{"profile":"$3"},
 "dataset":{"name":"synthetic","synthetic_train":512,"synthetic_test":128},
 "pretrain":{"epochs":1},"search":{"epochs":1,"batch_size":64},"finetune":{"epochs":1}}
JSON
}
spec "$WORK/unknown.json" unknown nosuch-board
if "$CLIENT_BIN" submit "$WORK/unknown.json" 2>"$WORK/err.txt"; then fail "unknown profile accepted"; fi
grep -qF 'hardware.profile "nosuch-board" is neither' "$WORK/err.txt" || fail "unknown profile error: $(cat "$WORK/err.txt")"
[[ $("$CLIENT_BIN" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') -eq 0 ]] ||
  fail "a refused job was stored"

spec "$WORK/board-job.json" on-board board
id=$("$CLIENT_BIN" submit "$WORK/board-job.json" | sed -n 1p)
wait_terminal 600 "$id"
[[ $(job_state "$id") == SUCCEEDED ]] || fail "$id ended $(job_state "$id"): $(job_field "$id" error)"
"$CLIENT_BIN" result "$id" --json >"$WORK/result.json"
python3 - "$WORK/result.json" <<'PY' || fail "result does not use the board profile"
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["latency"]
assert lat["unit"] == "seconds", lat
assert lat["final"] > 0 and lat["w8a8"] > 0, lat
PY
log "PASS service_profiles"
