#!/usr/bin/env bash
# `bitsearch-server --backup PATH` while the server runs and two workers write progress: each copy
# passes SQLite's integrity check, and a second server started on a copy lists the same jobs (ids,
# names, specs) as the live one, every state one the job really passed through. A copy taken once
# the jobs finished lists exactly what the live server lists. Bad invocations fail with a message.
# Usage: deploy_backup_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"
PY=${BITSEARCH_PYTHON:-/usr/bin/python3}

start_server
start_worker w1 --progress-every 1
start_worker w2 --progress-every 1

ids=()
for i in 1 2 3 4 5; do
  write_spec "$WORK/job$i.json" "backup-$i" 1024 2 20
  ids+=("$("$CLIENT_BIN" submit "$WORK/job$i.json" | sed -n 1p)")
done
log "submitted ${ids[*]}"
running() { [[ $("$CLIENT_BIN" list --state RUNNING --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))') -ge 1 ]]; }
wait_until 120 "a job RUNNING" running

# list --json of a server, reduced to what a copy must agree on.
jobs_of() {  # jobs_of HOST:PORT OUT
  BITSEARCH_SERVER=$1 "$CLIENT_BIN" list --limit 100 --json >"$2.raw" || return 1
  $PY - "$2.raw" >"$2" <<'PY'
import json, sys
jobs = json.load(open(sys.argv[1]))
for j in sorted(jobs, key=lambda j: j["id"]):
    print(j["id"], j["name"], j["state"])
PY
}

start_copy_server() {  # start_copy_server DB PORT -> pid in COPY_PID
  "$SERVER_BIN" --listen "127.0.0.1:$2" --metrics "" --db "$1" --data-dir "$WORK/copy-data-$2" \
    >>"$WORK/copy-server.log" 2>&1 &
  COPY_PID=$!
  PIDS+=("$COPY_PID")
  local up=0
  for _ in $(seq 1 100); do
    if BITSEARCH_SERVER="127.0.0.1:$2" "$CLIENT_BIN" list --limit 1 >/dev/null 2>&1; then up=1; break; fi
    sleep 0.1
  done
  [[ $up -eq 1 ]] || fail "server on the copy $1 did not come up"
}

order() { case $1 in QUEUED) echo 0 ;; RUNNING) echo 1 ;; *) echo 2 ;; esac; }

# Backups while jobs run and workers report progress every step.
for round in 1 2 3; do
  "$SERVER_BIN" --db "$WORK/jobs.db" --backup "$WORK/copy$round.db" 2>>"$WORK/backup.log" \
    || fail "backup $round failed: $(tail -n 1 "$WORK/backup.log")"
  grep -q "written to $WORK/copy$round.db" "$WORK/backup.log" || fail "backup $round printed no summary"
  $PY - "$WORK/copy$round.db" <<'PY' || fail "copy $round is not consistent"
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert db.execute("PRAGMA foreign_key_check").fetchall() == []
PY
  jobs_of "127.0.0.1:$PORT" "$WORK/live$round.txt"
  copy_port=$(free_port)
  start_copy_server "$WORK/copy$round.db" "$copy_port"
  jobs_of "127.0.0.1:$copy_port" "$WORK/copy$round.txt"
  kill -TERM "$COPY_PID"; wait "$COPY_PID" || fail "copy server exited non-zero"
  [[ $(wc -l <"$WORK/copy$round.txt") -eq 5 ]] || fail "copy $round lists $(wc -l <"$WORK/copy$round.txt") jobs, not 5"
  # Same ids and names; the copy's state is the live state or an earlier one (the copy is older).
  while read -r cid cname cstate; do
    read -r lid lname lstate < <(grep "^$cid " "$WORK/live$round.txt")
    [[ $lid == "$cid" && $lname == "$cname" ]] || fail "copy $round: $cid $cname not in the live list"
    [[ $(order "$cstate") -le $(order "$lstate") ]] || fail "copy $round: $cid is $cstate but live $lstate"
  done <"$WORK/copy$round.txt"
  states=$(awk '{print $3}' "$WORK/copy$round.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ',')
  log "backup $round while running: consistent, same 5 jobs on a server started on it ($states)"
  sleep 1
done
grep -q RUNNING "$WORK/copy1.txt" || fail "no job was RUNNING in the first copy: not a backup under load"

wait_terminal 900 "${ids[@]}"
"$SERVER_BIN" --db "$WORK/jobs.db" --backup "$WORK/final.db" 2>>"$WORK/backup.log" || fail "final backup"
jobs_of "127.0.0.1:$PORT" "$WORK/live-final.txt"
copy_port=$(free_port)
start_copy_server "$WORK/final.db" "$copy_port"
jobs_of "127.0.0.1:$copy_port" "$WORK/copy-final.txt"
diff "$WORK/live-final.txt" "$WORK/copy-final.txt" || fail "the final copy lists other jobs than the live server"
for id in "${ids[@]}"; do
  BITSEARCH_SERVER="127.0.0.1:$copy_port" "$CLIENT_BIN" result "$id" --json >"$WORK/copy-$id.json" \
    || fail "result of $id not on the copy"
  "$CLIENT_BIN" result "$id" --json | cmp -s - "$WORK/copy-$id.json" || fail "result of $id differs on the copy"
done
kill -TERM "$COPY_PID"; wait "$COPY_PID" || true
log "final copy: same list and results as the live server"

# Refusals: the database itself, a missing database; neither touches the target.
if "$SERVER_BIN" --db "$WORK/jobs.db" --backup "$WORK/jobs.db" 2>"$WORK/err.txt"; then fail "backup onto itself succeeded"; fi
grep -q "database itself" "$WORK/err.txt" || fail "self-backup error: $(cat "$WORK/err.txt")"
if "$SERVER_BIN" --db "$WORK/none.db" --backup "$WORK/x.db" 2>"$WORK/err.txt"; then fail "backup of a missing db succeeded"; fi
[[ ! -e "$WORK/x.db" && ! -e "$WORK/none.db" ]] || fail "a failed backup left files behind"
log "PASS deploy_backup"
