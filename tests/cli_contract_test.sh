#!/usr/bin/env bash
# The CLI contract a script relies on, against a real server on 127.0.0.1 (no worker needed):
# exit codes (0 success, 1 failure, 2 usage or invalid input, 130 interrupt), global options
# before the subcommand, and the environment variables BITSEARCH_SERVER / BITSEARCH_TOKEN.
# Usage: cli_contract_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"
B=$CLIENT_BIN

start_server
write_spec "$WORK/good.json" contract 256 1
echo '{"model":"lenet5","search":{"max_bits":3}}' >"$WORK/bad.json"

# ---- usage and invalid input: 2 (CLI11's own codes are 100-127) ----
expect_rc 2 "no subcommand" "$B"
expect_rc 2 "unknown subcommand" "$B" frobnicate
expect_rc 2 "unknown option" "$B" list --frobnicate
expect_rc 2 "missing argument" "$B" submit
expect_rc 2 "ill-typed option" "$B" list --limit many
expect_rc 2 "run of a missing spec file" "$B" run "$WORK/missing.json"
expect_rc 2 "submit of a missing spec file" "$B" submit "$WORK/missing.json"
expect_rc 2 "run of an invalid spec" "$B" run "$WORK/bad.json" --out "$WORK/bad-result.json"
grep -q "search.max_bits" "$WORK/err.txt" || fail "run: the error does not name the field"
[[ ! -e $WORK/bad-result.json ]] || fail "run of an invalid spec wrote a result"
expect_rc 2 "submit of an invalid spec" "$B" submit "$WORK/bad.json"
grep -q "search.max_bits" "$WORK/err.txt" || fail "submit: the error does not name the field"
expect_rc 2 "get of an unknown job" "$B" get job-does-not-exist
expect_rc 2 "list --state of no such state" "$B" list --state SLEEPING
expect_rc 2 "unreadable token file" "$B" list --token-file "$WORK/no-token-file"
expect_rc 2 "unknown local profile" "$B" profiles show no-such-profile --local
expect_rc 0 "--help" "$B" --help
expect_rc 0 "submit --help" "$B" submit --help

# ---- global options before the subcommand, and the flag over the environment ----
unset BITSEARCH_SERVER
expect_rc 1 "server unreachable" "$B" --server 127.0.0.1:1 list
grep -q "unreachable at 127.0.0.1:1" "$WORK/err.txt" || fail "unreachable: $(cat "$WORK/err.txt")"
expect_rc 0 "--server before submit" "$B" --server "127.0.0.1:$PORT" submit "$WORK/good.json"
id=$(head -n 1 "$WORK/out.txt")
[[ $id == job-* ]] || fail "submit printed '$id' instead of a job id"
expect_rc 0 "--server before get" "$B" --server "127.0.0.1:$PORT" get "$id" --json
expect_rc 0 "--server after get" "$B" get "$id" --server "127.0.0.1:$PORT"
expect_rc 0 "--server before profiles list" "$B" --server "127.0.0.1:$PORT" profiles list
BITSEARCH_SERVER=127.0.0.1:1 expect_rc 0 "--server overrides BITSEARCH_SERVER" \
  "$B" --server "127.0.0.1:$PORT" list
BITSEARCH_SERVER="127.0.0.1:$PORT" expect_rc 0 "BITSEARCH_SERVER alone" "$B" list
export BITSEARCH_SERVER="127.0.0.1:$PORT"

# ---- interrupt: watch of a queued job (no worker runs it), Ctrl-C -> 130 ----
"$B" watch "$id" >"$WORK/watch.log" 2>&1 &
watch_pid=$!
PIDS+=("$watch_pid")
wait_until 30 "watch to print the QUEUED event" grep -q QUEUED "$WORK/watch.log"
kill -INT "$watch_pid"
set +e
wait "$watch_pid"
rc=$?
set -e
[[ $rc -eq 130 ]] || fail "watch interrupted: exit $rc, expected 130"
log "ok (130): Ctrl-C of watch"

# ---- failures: 1 ----
expect_rc 0 "cancel of a queued job" "$B" cancel "$id"
expect_rc 1 "cancel of a cancelled job" "$B" cancel "$id"
expect_rc 1 "watch of a cancelled job" "$B" watch "$id"
expect_rc 1 "result of a job without one" "$B" result "$id"

# ---- tokens: --token-file before the subcommand, BITSEARCH_TOKEN ----
echo "client-secret-$$" >"$WORK/client_token"
echo "worker-secret-$$" >"$WORK/worker_token"
AUTH_PORT=$(free_port)
"$SERVER_BIN" --listen "127.0.0.1:$AUTH_PORT" --metrics "" --db "$WORK/auth.db" \
  --data-dir "$WORK/auth-data" --client-token-file "$WORK/client_token" \
  --worker-token-file "$WORK/worker_token" >>"$WORK/auth-server.log" 2>&1 &
PIDS+=("$!")
export BITSEARCH_SERVER="127.0.0.1:$AUTH_PORT"
wait_until 30 "the token server" "$B" --token-file "$WORK/client_token" list --limit 1
expect_rc 1 "no token" "$B" list
grep -q "unauthenticated" "$WORK/err.txt" || fail "no token: $(cat "$WORK/err.txt")"
expect_rc 0 "--token-file before the subcommand" "$B" --token-file "$WORK/client_token" list
BITSEARCH_TOKEN="client-secret-$$" expect_rc 0 "BITSEARCH_TOKEN" "$B" list
BITSEARCH_TOKEN="wrong" expect_rc 1 "a wrong BITSEARCH_TOKEN" "$B" list
# `methods list`: every entry's description starts in one column, whatever the name's length.
"$B" methods list > "$WORK/methods.txt" || fail "methods list failed"
python3 - "$WORK/methods.txt" <<'PY' || fail "methods list: descriptions not aligned: $(cat "$WORK/methods.txt")"
import re, sys
starts = {m.end(1) + len(m.group(2)) for m in (re.match(r"^  (\S+)( +)\S", l) for l in open(sys.argv[1])) if m}
assert len(starts) == 1, starts
PY
log "PASS cli_contract"
