#!/usr/bin/env bash
# Data-set uploads that are never committed, end to end with the real server and CLI on 127.0.0.1:
#  - An upload cut off half-way (kill -9 of the CLI) and never resumed: its chunks are gone once
#    idle past the server's --upload-idle-timeout (2 s here), with the server's log line; the
#    committed data set's chunks, idle as long, stay, and the data set is still listed.
#  - A restart: chunks an earlier server process left uncommitted and idle past the timeout, and
#    a half-written chunk file, are removed before the new server serves; a recent uncommitted
#    chunk stays (an upload the restart cut off may resume), and the resumed upload sends only
#    the rest. Committed chunks, however old, survive.
# Usage: service_upload_cleanup_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN (no worker is started)
source "$(dirname "$0")/service_lib.sh" "$@"

python3 - "$WORK" <<'PY'
import os, sys
out = sys.argv[1]
os.makedirs(f"{out}/keep")
os.makedirs(f"{out}/gone")
open(f"{out}/keep/data.bin", "wb").write(os.urandom(1_500_000))  # 2 chunks
for i in range(4):  # 8 chunks, every one distinct
    open(f"{out}/gone/{i}.bin", "wb").write(os.urandom(1_500_000))
PY
CHUNKS=$WORK/data/datasets/chunks
chunk_files() { find "$CHUNKS" -type f -regextype posix-extended -regex '.*/[0-9a-f]{64}' 2>/dev/null | sort; }
count_new() { comm -13 <(echo "$1") <(chunk_files) | grep -c . || true; }

# cut_upload BEFORE: a rate-capped upload of gone/, killed once two of its chunks are stored.
cut_upload() {
  local before=$1
  "$CLIENT_BIN" datasets upload "$WORK/gone" --name gone --max-mib-per-s 1 >>"$WORK/up-cut.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  two_new() { [[ $(count_new "$before") -ge 2 ]]; }
  wait_until 120 "the first chunks of the cut upload" two_new
  kill -9 "$pid" 2>/dev/null || fail "the rate-capped upload finished before it was cut off"
  wait "$pid" 2>/dev/null || true
}

# ---- an abandoned upload goes after the idle timeout; the committed data set stays ----
start_server --upload-idle-timeout 2
"$CLIENT_BIN" datasets upload "$WORK/keep" --name keep || fail "upload keep/"
keep_chunks=$(chunk_files)
[[ $(echo "$keep_chunks" | grep -c .) -eq 2 ]] || fail "keep/ should be 2 chunks: $keep_chunks"
cut_upload "$keep_chunks"
abandoned=$(comm -13 <(echo "$keep_chunks") <(chunk_files))
log "abandoned upload: $(echo "$abandoned" | grep -c .) chunks stored, never committed"
abandoned_gone() { [[ $(count_new "$keep_chunks") -eq 0 ]]; }
wait_until 30 "the abandoned upload's chunks to be removed" abandoned_gone
grep -q "reaper: removed [0-9]* chunk(s) ([0-9]* bytes) of data-set uploads never committed and idle for over 2 s" \
  "$WORK/server.log" || fail "no log line for the cleaning: $(tail -n 5 "$WORK/server.log")"
log "server: $(grep -m 1 'never committed' "$WORK/server.log")"
for f in $keep_chunks; do [[ -f $f ]] || fail "a committed chunk was removed: $f"; done
"$CLIENT_BIN" datasets list --json | python3 -c 'import json,sys; assert [d["name"] for d in json.load(sys.stdin)] == ["keep"]' \
  || fail "keep is no longer listed"
log "committed data set intact after $(($(date +%s) - $(stat -c %Y $(echo "$keep_chunks" | head -n 1)))) s idle"

# ---- a restart removes what an earlier server left: idle chunks, half-written files ----
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
start_server --upload-idle-timeout 3600
cut_upload "$keep_chunks"
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
left=$(comm -13 <(echo "$keep_chunks") <(chunk_files))
recent=$(echo "$left" | head -n 1)
old=$(echo "$left" | tail -n +2)
n_old=$(echo "$old" | grep -c .)
# Everything but one uncommitted chunk two hours old, committed ones included.
for f in $keep_chunks $old; do touch -m -d '2 hours ago' "$f"; done
mkdir -p "$CHUNKS/ab"
temp="$CHUNKS/ab/$(printf 'a%.0s' {1..64}).tmp.4242.Xy12Zw"
echo "half a chunk" >"$temp"
start_server --upload-idle-timeout 3600
grep -q "at start: removed $n_old chunk(s) ([0-9]* bytes) of data-set uploads never committed and idle for over 3600 s (--upload-idle-timeout) and 1 half-written chunk file(s)" \
  "$WORK/server.log" || fail "start-up cleaning: $(grep 'at start' "$WORK/server.log" || tail -n 5 "$WORK/server.log")"
log "server: $(grep -m 1 'at start' "$WORK/server.log")"
[[ ! -e $temp ]] || fail "the half-written chunk file survived the restart"
for f in $old; do [[ ! -e $f ]] || fail "an idle uncommitted chunk survived the restart: $f"; done
[[ -f $recent ]] || fail "the recent uncommitted chunk was removed at start"
for f in $keep_chunks; do [[ -f $f ]] || fail "a committed chunk was removed at start: $f"; done
"$CLIENT_BIN" datasets upload "$WORK/gone" --name gone >"$WORK/up-resume.log" 2>&1 || fail "resume: $(cat "$WORK/up-resume.log")"
grep -q "(7 chunks sent, 1 already on the server)" "$WORK/up-resume.log" || fail "resume: $(cat "$WORK/up-resume.log")"
[[ $("$CLIENT_BIN" datasets list --json | python3 -c 'import json,sys; print(" ".join(d["name"] for d in json.load(sys.stdin)))') == "gone keep" ]] \
  || fail "list after the resumed upload"
log "restart: $n_old idle chunks and a half-written file removed, the recent chunk resumed"
echo "PASS"
