#!/usr/bin/env bash
# deploy/ checked with real parsers and the real binaries:
#   docker-compose config (package docker-compose) on a copy with secrets from make-secrets.sh;
#   promtool check config / check rules / test rules (package prometheus);
#   yamllint (package yamllint) and PyYAML (python3-yaml) on every YAML file, every k8s document
#   parsed and its required fields checked (tests/deploy_check.py static);
#   every flag in the compose commands and k8s args is a flag of the real binary (--help);
#   the Dockerfile's runtime stages install every package the built binaries link (ldd -> dpkg -S
#   -> apt dependency closure); the Grafana JSON and provisioning files parse and agree.
# The dashboard's metric names against a live scrape: tests/deploy_stack_test.sh.
# Usage: deploy_config_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN HEALTH_BIN
set -euo pipefail
SERVER_BIN=$(realpath "$1")
WORKER_BIN=$(realpath "$2")
CLIENT_BIN=$(realpath "$3")
HEALTH_BIN=$(realpath "$4")
HERE=$(dirname "$(realpath "$0")")
DEPLOY=$(realpath "$HERE/../deploy")
PY=${BITSEARCH_PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bitsearch-deploy-XXXXXX")
trap 'rc=$?; [[ $rc -eq 0 ]] && rm -rf "$WORK" || echo "logs in $WORK" >&2; exit $rc' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*"; }
need() { command -v "$1" >/dev/null || fail "$1 not installed (scripts/bootstrap.sh installs package $2)"; }
need docker-compose docker-compose
need promtool prometheus
need yamllint yamllint
$PY -c 'import yaml' || fail "PyYAML missing for $PY (package python3-yaml)"

cp -r "$DEPLOY" "$WORK/deploy"
rm -f "$WORK/deploy/secrets/"{client_token,worker_token,grafana_admin_password}
bash "$WORK/deploy/make-secrets.sh" >/dev/null
for s in client_token worker_token grafana_admin_password; do
  [[ $(wc -c <"$WORK/deploy/secrets/$s") -eq 65 ]] || fail "make-secrets.sh: $s is not 64 hex digits"
done
# In a git checkout ask git; in a copied tree (a release tarball, CI without .git) read the rule.
if git -C "$DEPLOY/.." rev-parse --git-dir >/dev/null 2>&1; then
  [[ $(git -C "$DEPLOY/.." check-ignore deploy/secrets/worker_token 2>/dev/null || true) == deploy/secrets/worker_token ]] \
    || fail "deploy/secrets/worker_token is not git-ignored"
else
  [[ $(head -n 3 "$DEPLOY/secrets/.gitignore" | grep -cx '\*') -eq 1 ]] \
    || fail "deploy/secrets/.gitignore does not ignore everything in deploy/secrets"
fi

# docker-compose: the compose file is valid and resolves (services, secrets, volumes).
(cd "$WORK/deploy" && docker-compose -f docker-compose.yml config) >"$WORK/compose.out" 2>"$WORK/compose.err" \
  || fail "docker-compose config: $(cat "$WORK/compose.err")"
(cd "$WORK/deploy" && docker-compose -f docker-compose.yml config --services) | sort | tr '\n' ' ' >"$WORK/services"
[[ $(cat "$WORK/services") == "grafana prometheus server worker " ]] || fail "compose services: $(cat "$WORK/services")"
grep -qx bitsearch-state <<<"$(cd "$WORK/deploy" && docker-compose -f docker-compose.yml config --volumes)" \
  || fail "compose: no named volume bitsearch-state"
grep -q "$WORK/deploy/secrets/worker_token" "$WORK/compose.out" || fail "compose: worker_token secret not resolved"
log "docker-compose config OK ($(docker-compose version --short))"

# Prometheus config and rules, and the rules' unit tests.
(cd "$WORK/deploy/prometheus" && promtool check config prometheus.yml) >"$WORK/promtool.log" 2>&1 \
  || fail "promtool check config: $(cat "$WORK/promtool.log")"
(cd "$WORK/deploy/prometheus" && promtool check rules alerts.yml) >>"$WORK/promtool.log" 2>&1 \
  || fail "promtool check rules: $(cat "$WORK/promtool.log")"
grep -q "SUCCESS: 4 rules found" "$WORK/promtool.log" || fail "expected 4 alert rules: $(cat "$WORK/promtool.log")"
(cd "$WORK/deploy/prometheus" && promtool test rules alerts_test.yml) >"$WORK/ruletest.log" 2>&1 \
  || fail "promtool test rules: $(cat "$WORK/ruletest.log")"
for alert in BitsearchNoWorkersWhileJobsQueued BitsearchJobFailureRateHigh BitsearchJobRunningFarPastExpected; do
  grep -q "alertname: $alert" "$DEPLOY/prometheus/alerts_test.yml" || fail "alert $alert has no unit test"
done
log "promtool: config, 4 rules and their unit tests OK"

# YAML: lint every file, parse every document.
cat >"$WORK/yamllint.yml" <<'YML'
extends: default
rules:
  line-length: {max: 140}
  document-start: disable
  truthy: {check-keys: false}
  comments: {min-spaces-from-content: 1}
  indentation: {indent-sequences: whatever}
YML
mapfile -t yamls < <(find "$DEPLOY" -name '*.yml' -o -name '*.yaml' | sort)
[[ ${#yamls[@]} -ge 9 ]] || fail "expected at least 9 YAML files in deploy/, found ${#yamls[@]}"
yamllint -c "$WORK/yamllint.yml" "${yamls[@]}" >"$WORK/yamllint.log" 2>&1 || fail "yamllint: $(cat "$WORK/yamllint.log")"
docs=$($PY - "${yamls[@]}" <<'PY'
import sys, yaml
n = 0
for path in sys.argv[1:]:
    with open(path) as f:
        n += sum(1 for d in yaml.safe_load_all(f) if d is not None)
print(n)
PY
)
log "yamllint and PyYAML: ${#yamls[@]} files, $docs documents"
if command -v kubectl >/dev/null && kubectl kustomize "$DEPLOY/k8s" >"$WORK/kustomized.yaml" 2>"$WORK/kubectl.err"; then
  [[ $(grep -c '^kind:' "$WORK/kustomized.yaml") -eq 5 ]] || fail "kubectl kustomize: expected 5 objects"
  log "kubectl kustomize: 5 objects"
fi

# Structure, flags against the real binaries' --help.
"$SERVER_BIN" --help >"$WORK/server-help.txt"
"$WORKER_BIN" --help >"$WORK/worker-help.txt"
grep -q -- "--backup" "$WORK/server-help.txt" || fail "bitsearch-server has no --backup"
grep -q -- "--metrics" "$WORK/worker-help.txt" || fail "bitsearch-worker has no --metrics"
$PY "$HERE/deploy_check.py" static "$WORK/deploy" "$WORK/server-help.txt" "$WORK/worker-help.txt"

# Runtime packages of each image stage cover what the binaries link.
$PY "$HERE/deploy_check.py" runtime-packages "$DEPLOY/Dockerfile" server "$SERVER_BIN" "$HEALTH_BIN"
# bitsearch-embedded (beside bitsearch) runs the CLI's LibTorch commands.
$PY "$HERE/deploy_check.py" runtime-packages "$DEPLOY/Dockerfile" worker "$WORKER_BIN" "$CLIENT_BIN" \
  "$(dirname "$CLIENT_BIN")/bitsearch-embedded" "$HEALTH_BIN"
if grep -qi torch <<<"$(ldd "$SERVER_BIN" "$HEALTH_BIN")"; then fail "the server links LibTorch"; fi

# The dashboard parses, and its provisioning points at the data source it uses.
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["uid"] and len(d["panels"]) >= 10' \
  "$DEPLOY/grafana/dashboards/bitsearch.json" || fail "dashboard JSON"
log "PASS deploy_config"
