#!/usr/bin/env bash
# TLS end to end with the three real binaries and a CA written by the test (openssl, through
# tests/make_test_pki.sh): the server serves TLS and requires workers to present a certificate of
# its CA (mutual TLS); a worker with one runs a job that the client submits and watches over TLS.
# Refused: a worker without a certificate, a client or worker whose CA file is missing or not a
# certificate (an error naming the flag, never the default roots), a client that trusts another
# CA, a plaintext client.
# Usage: service_tls_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN
source "$(dirname "$0")/service_lib.sh" "$@"

PKI="$WORK/pki"
bash "$(dirname "$0")/make_test_pki.sh" "$PKI" || fail "make_test_pki.sh (is openssl installed?)"
echo "client-token-$RANDOM$RANDOM" >"$WORK/client.tokens"
echo "worker-token-$RANDOM$RANDOM" >"$WORK/worker.tokens"
"$SERVER_BIN" --listen "127.0.0.1:$PORT" --metrics "" --db "$WORK/jobs.db" --data-dir "$WORK/data" \
  --client-token-file "$WORK/client.tokens" --worker-token-file "$WORK/worker.tokens" \
  --tls-cert-file "$PKI/server.pem" --tls-key-file "$PKI/server.key" \
  --tls-worker-ca-file "$PKI/ca.pem" >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
export BITSEARCH_TOKEN BITSEARCH_TLS_CA="$PKI/ca.pem"
BITSEARCH_TOKEN=$(cat "$WORK/client.tokens")
listing() { "$CLIENT_BIN" list --limit 1 >/dev/null 2>&1; }
wait_until 30 "the TLS server" listing

# The client: a CA file that is missing or not a certificate is an error naming the flag; a CA
# that did not sign the server's certificate, or no TLS at all, cannot talk to it.
expect_refused() {  # expect_refused WHAT PATTERN COMMAND...
  local what=$1 pattern=$2
  shift 2
  if "$@" >"$WORK/refused.out" 2>"$WORK/refused.err"; then fail "$what was accepted"; fi
  grep -q -- "$pattern" "$WORK/refused.err" || fail "$what: stderr lacks '$pattern': $(cat "$WORK/refused.err")"
}
expect_refused "client with a missing CA file" "--tls-ca-file" \
  env BITSEARCH_TLS_CA="$WORK/nope.pem" "$CLIENT_BIN" list
echo "not a certificate" >"$WORK/junk.pem"
expect_refused "client with a junk CA file" "holds no PEM certificate" \
  env BITSEARCH_TLS_CA="$WORK/junk.pem" "$CLIENT_BIN" list
expect_refused "client trusting another CA" "unreachable" \
  env BITSEARCH_TLS_CA="$PKI/rogue-ca.pem" "$CLIENT_BIN" list
expect_refused "plaintext client" "unreachable" env -u BITSEARCH_TLS_CA "$CLIENT_BIN" list
log "client: bad CA files and wrong trust refused"

# Workers: without a client certificate, or with an unusable CA file, they stop with the reason.
common=(--server "127.0.0.1:$PORT" --token-file "$WORK/worker.tokens" --threads 1 --once)
expect_refused "worker without a certificate" "mutual TLS" \
  "$WORKER_BIN" "${common[@]}" --data-dir "$WORK/w0" --tls-ca-file "$PKI/ca.pem"
expect_refused "worker with a missing CA file" "--tls-ca-file" \
  "$WORKER_BIN" "${common[@]}" --data-dir "$WORK/w0" --tls-ca-file "$WORK/nope.pem" \
  --tls-cert-file "$PKI/worker.pem" --tls-key-file "$PKI/worker.key"
log "worker: no certificate and a missing CA file refused"

start_worker w1 --token-file "$WORK/worker.tokens" --tls-ca-file "$PKI/ca.pem" \
  --tls-cert-file "$PKI/worker.pem" --tls-key-file "$PKI/worker.key"
# With a baseline: its phase ("baseline:w8a8") travels through the server's event checks too.
cat >"$WORK/job.json" <<'JSON'
{"name":"tls-job","model":"lenet5",
 "dataset":{"name":"synthetic","synthetic_train":256,"synthetic_test":128},
 "pretrain":{"epochs":1},"search":{"epochs":1,"batch_size":64},"finetune":{"epochs":1},
 "baselines":["w8a8"]}
JSON
id=$("$CLIENT_BIN" submit "$WORK/job.json" | sed -n 1p)
[[ $id == job-* ]] || fail "submit printed '$id'"
"$CLIENT_BIN" watch "$id" >"$WORK/watch.log" 2>&1 || fail "watch $id did not end in SUCCEEDED"
"$CLIENT_BIN" result "$id" --json >"$WORK/result.json" || fail "result $id"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["layers"] and r["baselines"]' \
  "$WORK/result.json" || fail "result of $id lacks layers or baselines"
grep -q "baseline:w8a8" "$WORK/watch.log" || fail "watch shows no baseline phase"
log "PASS service_tls: job $id SUCCEEDED over TLS with a mutually authenticated worker"
