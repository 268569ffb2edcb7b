#!/usr/bin/env bash
# What deploy/docker-compose.yml runs, on 127.0.0.1: the server and two workers with the exact
# commands and environment of the compose file (container addresses, secret and volume paths
# mapped to loopback and a temp folder), tokens from files made by deploy/make-secrets.sh, the
# Debian package's Prometheus with deploy/prometheus/{prometheus,alerts}.yml (targets mapped, 1 s
# scrapes), the Dockerfile's health check, and one small job submitted with the real client.
# Asserts: the job SUCCEEDED; every bitsearch_* metric the Grafana dashboard and the alert rules
# use is exported by a live /metrics scrape of the server or a worker; Prometheus scraped all three
# targets, loaded the alert rules, answers every dashboard expression, and holds the expected series.
# Usage: deploy_stack_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN HEALTH_BIN
HEALTH_BIN=$(realpath "$4")
source "$(dirname "$0")/service_lib.sh" "$1" "$2" "$3"
PY=${BITSEARCH_PYTHON:-/usr/bin/python3}
CHECK="$PY $(dirname "$(realpath "$0")")/deploy_check.py"
DEPLOY="$(dirname "$(realpath "$0")")/../deploy"
command -v prometheus >/dev/null || fail "prometheus not installed (scripts/bootstrap.sh installs it)"
command -v promtool >/dev/null || fail "promtool not installed (package prometheus)"

cp -r "$DEPLOY" "$WORK/deploy"
rm -f "$WORK/deploy/secrets/"{client_token,worker_token,grafana_admin_password}
bash "$WORK/deploy/make-secrets.sh" >/dev/null
COMPOSE="$WORK/deploy/docker-compose.yml"
W1_METRICS=$(free_port)
W2_METRICS=$(free_port)
PROM_PORT=$(free_port)

# Container paths and addresses -> loopback equivalents. Everything else is the compose file's.
common_map=("/run/secrets/=$WORK/deploy/secrets/" "server:50051=127.0.0.1:$PORT")
mapfile -d '' server_argv < <($CHECK argv "$COMPOSE" server "${common_map[@]}" \
  "0.0.0.0:50051=127.0.0.1:$PORT" "0.0.0.0:9464=127.0.0.1:$METRICS_PORT" \
  "/var/lib/bitsearch=$WORK/state")
[[ ${#server_argv[@]} -ge 6 ]] || fail "could not read the server command from $COMPOSE"
log "server: bitsearch-server ${server_argv[*]}"
mkdir -p "$WORK/state"
"$SERVER_BIN" "${server_argv[@]}" >>"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")

# The Dockerfile's HEALTHCHECK command, against the loopback port.
healthy() { "$HEALTH_BIN" --addr "127.0.0.1:$PORT" --timeout 2 >/dev/null 2>&1; }
wait_until 30 "gRPC health SERVING" healthy
grep -q SERVING <<<"$("$HEALTH_BIN" --addr "127.0.0.1:$PORT" --service bitsearch.v1.WorkerService)" \
  || fail "WorkerService not SERVING"

for i in 1 2; do
  port_var="W${i}_METRICS"
  mapfile -d '' worker_argv < <($CHECK argv "$COMPOSE" worker "${common_map[@]}" \
    "0.0.0.0:9465=127.0.0.1:${!port_var}" "/var/lib/bitsearch=$WORK/worker$i")
  mapfile -t worker_env < <($CHECK env "$COMPOSE" worker "${common_map[@]}")
  log "worker$i: env ${worker_env[*]} bitsearch-worker ${worker_argv[*]}"
  env "${worker_env[@]}" "$WORKER_BIN" "${worker_argv[@]}" >>"$WORK/worker$i.log" 2>&1 &
  PIDS+=("$!")
done

$CHECK prometheus-config "$WORK/deploy/prometheus/prometheus.yml" "$WORK/deploy/prometheus/test.yml" \
  "127.0.0.1:$METRICS_PORT" "127.0.0.1:$W1_METRICS,127.0.0.1:$W2_METRICS" "127.0.0.1:$PROM_PORT"
promtool check config "$WORK/deploy/prometheus/test.yml" >"$WORK/promtool.log" 2>&1 \
  || fail "promtool rejects the loopback config: $(cat "$WORK/promtool.log")"
prometheus --config.file="$WORK/deploy/prometheus/test.yml" --storage.tsdb.path="$WORK/prom-data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >>"$WORK/prometheus.log" 2>&1 &
PIDS+=("$!")

http_get() { $PY -c 'import urllib.request,sys; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }
prom_ready() { http_get "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1; }
metrics_up() { grep -q '^bitsearch_worker_busy 0' <<<"$(http_get "http://127.0.0.1:$1/metrics" 2>/dev/null)"; }
wait_until 60 "worker 1 metrics endpoint" metrics_up "$W1_METRICS"
wait_until 60 "worker 2 metrics endpoint" metrics_up "$W2_METRICS"
wait_until 60 "Prometheus ready" prom_ready

prom_query() {  # prom_query EXPR -> number of result series; exits non-zero on an API error
  $PY - "http://127.0.0.1:$PROM_PORT/api/v1/query" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + "?" + urllib.parse.urlencode({"query": sys.argv[2]})
r = json.load(urllib.request.urlopen(url, timeout=10))
if r.get("status") != "success":
    sys.exit("query failed: %s: %s" % (sys.argv[2], r))
print(len(r["data"]["result"]))
PY
}
has_series() { [[ $(prom_query "$1") -ge ${2:-1} ]]; }
# Every target scraped before the job, so that the counters' rise is in Prometheus.
wait_until 60 "Prometheus scraping 3 targets" has_series 'up{job=~"bitsearch-server|bitsearch-worker"} == 1' 3

# A client with the client token from the secret file, as an operator would use it.
export BITSEARCH_TOKEN=$(head -n 1 "$WORK/deploy/secrets/client_token")
if BITSEARCH_TOKEN=wrong "$CLIENT_BIN" list >/dev/null 2>&1; then fail "server accepted a wrong token"; fi
write_spec "$WORK/job.json" deploy-stack 512 1
id=$("$CLIENT_BIN" submit "$WORK/job.json" | sed -n 1p)
[[ $id == job-* ]] || fail "submit printed '$id'"
alive_and_terminal() {
  for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || fail "process $pid exited early; see $WORK/*.log"; done
  terminal "$1"
}
wait_until 600 "$id to finish" alive_and_terminal "$id"
[[ $(job_state "$id") == SUCCEEDED ]] || fail "$id ended $(job_state "$id"): $(job_field "$id" error)"
log "$id SUCCEEDED on $(job_field "$id" worker_id)"

# Every metric name the dashboard and the alerts use is exported by a live scrape.
{
  http_get "http://127.0.0.1:$METRICS_PORT/metrics"
  http_get "http://127.0.0.1:$W1_METRICS/metrics"
  http_get "http://127.0.0.1:$W2_METRICS/metrics"
} >"$WORK/scrape.txt"
names=$($CHECK metric-names "$WORK/deploy/grafana/dashboards/bitsearch.json" "$WORK/deploy/prometheus/alerts.yml")
[[ $(wc -l <<<"$names") -ge 10 ]] || fail "too few metric names found in the dashboard: $names"
for name in $names; do
  grep -qE "^${name}(\{| )" "$WORK/scrape.txt" || fail "dashboard/alerts use $name, which no live /metrics exports"
done
log "dashboard and alerts: all $(wc -l <<<"$names") bitsearch_* names are exported"

# Prometheus: targets up, rules loaded, expected series, every dashboard expression evaluates.
wait_until 60 "the job's series in Prometheus" has_series 'bitsearch_job_duration_seconds_count{state="SUCCEEDED"} >= 1'
for expr in \
  'bitsearch_worker_steps_total{phase="search"} > 0' \
  'bitsearch_worker_jobs_total{outcome="succeeded"} == 1' \
  'bitsearch_jobs{state="SUCCEEDED"} == 1' \
  'bitsearch_connected_workers == 2' \
  'bitsearch_phase_duration_seconds_count{phase="search"} >= 1' \
  'bitsearch_queue_wait_seconds_count >= 1' \
  'bitsearch_rpc_duration_seconds_count{method="bitsearch.v1.WorkerService/Lease"} > 0' \
  'count(bitsearch_worker_info) == 2' \
  'sum(bitsearch_worker_busy) == 0'; do
  wait_until 30 "series: $expr" has_series "$expr"
done
n=0
while IFS= read -r expr; do
  expr=${expr//\$__rate_interval/1m}
  prom_query "$expr" >/dev/null || fail "Prometheus rejects dashboard expression: $expr"
  n=$((n + 1))
done < <($CHECK exprs "$WORK/deploy/grafana/dashboards/bitsearch.json")
log "Prometheus answers all $n dashboard expressions"
has_series 'sum by (instance) (rate(bitsearch_worker_steps_total{phase="search"}[5m])) > 0' \
  || fail "search steps per second is empty; samples: $(http_get "http://127.0.0.1:$PROM_PORT/api/v1/query?query=bitsearch_worker_steps_total%7Bphase%3D%22search%22%7D%5B5m%5D")"
rules=$(http_get "http://127.0.0.1:$PROM_PORT/api/v1/rules")
$PY - "$rules" <<'PY' || fail "alert rules not loaded and healthy: $rules"
import json, sys
r = json.loads(sys.argv[1])
rules = [x for g in r["data"]["groups"] for x in g["rules"]]
assert len(rules) == 4, rules
assert all(x["health"] == "ok" for x in rules), [(x["name"], x.get("lastError")) for x in rules]
# A healthy cluster raises none of them.
assert all(x["state"] == "inactive" for x in rules), [(x["name"], x["state"]) for x in rules]
PY
log "4 alert rules loaded, healthy and inactive"

# SIGTERM: the health check turns unhealthy and the server exits cleanly.
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server exited non-zero on SIGTERM"
if healthy; then fail "health check still passes after the server stopped"; fi
log "PASS deploy_stack"
