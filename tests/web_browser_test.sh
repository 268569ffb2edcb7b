#!/usr/bin/env bash
# The server's web page in a real browser: a real server (`--http`, token files), a real worker
# and a small sweep (two points on pulp-xpulpv2); then headless Chromium (Debian's `chromium`)
# loads the pages with and without the client token:
#  - without it every page is the login form and holds none of the jobs' data;
#  - a wrong token at the login form is refused with a reason;
#  - logged in through the form (session cookie), the front page lists the sweep, the sweep page
#    plots every point with its result's accuracy, and the job page plots its configurations, its
#    per-layer table and a working download link of its export. Screenshots go under the build
#    folder for a person to look at.
# The bearer-token path (scripts) is checked with curl: 401 for a wrong token, 403 for a worker
# token, the same sweep result JSON as `bitsearch result SWEEP --json`, the export's bytes.
# Usage: web_browser_test.sh SERVER_BIN WORKER_BIN CLIENT_BIN SCREENSHOT_DIR
SHOTS=$4
source "$(dirname "$0")/service_lib.sh" "$1" "$2" "$3"
mkdir -p "$SHOTS"
source "$(dirname "$0")/browser_lib.sh"
command -v curl >/dev/null || fail "curl is not installed (scripts/bootstrap.sh installs it)"

HTTP_PORT=$(free_port)
WEB="http://127.0.0.1:$HTTP_PORT"
CLIENT_TOKEN="client-$RANDOM$RANDOM"
WORKER_TOKEN="worker-$RANDOM$RANDOM"
echo "$CLIENT_TOKEN" >"$WORK/client_token"
echo "$WORKER_TOKEN" >"$WORK/worker_token"
export BITSEARCH_TOKEN=$CLIENT_TOKEN
start_server --http "127.0.0.1:$HTTP_PORT" --client-token-file "$WORK/client_token" \
  --worker-token-file "$WORK/worker_token"
start_worker w1 --token-file "$WORK/worker_token"

cat >"$WORK/spec.json" <<'JSON'
{"name":"web","model":"lenet5","hardware":{"profile":"pulp-xpulpv2"},
 "dataset":{"name":"synthetic","synthetic_train":256,"synthetic_test":128},
 "pretrain":{"epochs":1},"search":{"epochs":1,"batch_size":64},"finetune":{"epochs":1},
 "sweep":{"search.mu":[0.01,3]}}
JSON
sweep=$("$CLIENT_BIN" sweep "$WORK/spec.json" 2>/dev/null | sed -n 1p)
[[ $sweep == sweep-* ]] || fail "sweep submit printed '$sweep'"
"$CLIENT_BIN" watch "$sweep" >"$WORK/watch.log" 2>&1 || fail "sweep $sweep did not succeed"
"$CLIENT_BIN" result "$sweep" --json >"$WORK/sweep.result.json"
point=$("$CLIENT_BIN" get "$sweep" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["points"][0]["id"])')
"$CLIENT_BIN" result "$point" --json >"$WORK/point.result.json"
log "sweep $sweep done; point $point"

# ---- scripts: the bearer token ----------------------------------------------------------------
status() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }
[[ $(status "$WEB/sweeps/$sweep") == 303 ]] || fail "no token: expected a redirect to the login"
grep -q "$sweep\|mu0" "$WORK/body" && fail "no token: the answer holds the sweep's data"
[[ $(status -H "Authorization: Bearer nope" "$WEB/sweeps/$sweep/result.json") == 401 ]] || fail "wrong token: not 401"
[[ $(status -H "Authorization: Bearer $WORKER_TOKEN" "$WEB/") == 403 ]] || fail "worker token: not 403"
[[ $(status -H "Authorization: Bearer $CLIENT_TOKEN" "$WEB/sweeps/$sweep/result.json") == 200 ]] ||
  fail "client token: the sweep result was refused"
cmp -s <(python3 -m json.tool "$WORK/body") <(python3 -m json.tool "$WORK/sweep.result.json") ||
  fail "the page's sweep result.json differs from bitsearch result --json"
"$CLIENT_BIN" result "$point" --export "$WORK/export" >/dev/null 2>&1 || fail "result --export $point"
[[ $(status -H "Authorization: Bearer $CLIENT_TOKEN" "$WEB/jobs/$point/export/model.onnx") == 200 ]] ||
  fail "the export download was refused"
cmp -s "$WORK/body" "$WORK/export/model.onnx" || fail "the downloaded model.onnx differs from the export"
log "bearer token: 303/401/403 for strangers, the same result JSON and export bytes for a client"

# ---- browsers: the login form and its session cookie -------------------------------------------
# Virtual time lets the login form's submit and redirect finish before the DOM is dumped.
CHROME_FLAGS=(--virtual-time-budget=5000)
# A local page that fills the login form with TOKEN and submits it; the server logs in and sends
# the browser on to NEXT: the DOM dumped is NEXT's as a logged-in browser sees it.
login_page() {  # login_page FILE TOKEN NEXT
  cat >"$1" <<HTML
<!DOCTYPE html><html><body>
<form id="f" method="post" action="$WEB/login">
<input name="token" value="$2"><input name="next" value="$3"></form>
<script>document.getElementById("f").submit();</script>
</body></html>
HTML
}

chrome --dump-dom "$WEB/sweeps/$sweep" >"$WORK/stranger.html"
grep -q 'id="login"' "$WORK/stranger.html" || fail "no token: the browser did not get the login form"
grep -q "web-mu\|<svg\|<table" "$WORK/stranger.html" && fail "no token: the browser got the sweep's data"
login_page "$WORK/wrong.html" "not-the-token" "/sweeps/$sweep"
chrome --dump-dom "file://$WORK/wrong.html" >"$WORK/wrong.dom"
grep -q 'id="login-error"' "$WORK/wrong.dom" || fail "a wrong token got no reason at the login form"
grep -q "web-mu" "$WORK/wrong.dom" && fail "a wrong token got the sweep's data"
log "browser without the token: only the login form"

login_page "$WORK/index.html" "$CLIENT_TOKEN" "/"
chrome --dump-dom "file://$WORK/index.html" >"$WORK/index.dom"
grep -q "/sweeps/$sweep" "$WORK/index.dom" || fail "the front page does not list the sweep"
grep -q "/jobs/$point" "$WORK/index.dom" || fail "the front page does not list the point's job"

login_page "$WORK/sweep.html" "$CLIENT_TOKEN" "/sweeps/$sweep"
chrome --dump-dom "file://$WORK/sweep.html" >"$WORK/sweep.dom"
chrome --window-size=1000,2400 --hide-scrollbars --screenshot="$SHOTS/sweep.png" "file://$WORK/sweep.html" >/dev/null
login_page "$WORK/job.html" "$CLIENT_TOKEN" "/jobs/$point"
chrome --dump-dom "file://$WORK/job.html" >"$WORK/job.dom"
chrome --window-size=1000,3000 --hide-scrollbars --screenshot="$SHOTS/job.png" "file://$WORK/job.html" >/dev/null

dom_python - "$WORK/sweep.result.json" "$WORK/sweep.dom" "$WORK/point.result.json" "$WORK/job.dom" <<'PY'
import json, sys
from chart_dom import parse

sweep, sweep_dom = json.load(open(sys.argv[1])), parse(sys.argv[2])
groups = sorted(sweep_dom.points)
assert any(g.startswith("sweep-latency") for g in groups) and "sweep-bops" in groups, \
    f"the sweep page lacks its latency and BOPs charts: {groups}"
for group, plotted in sweep_dom.points.items():
    for p in sweep["points"]:
        assert p["label"] in plotted, f"{group}: point {p['label']} not plotted ({sorted(plotted)})"
        got = float(plotted[p["label"]]["data-accuracy"])
        assert abs(got - p["accuracy"]) < 1e-3, (group, p["label"], got, p["accuracy"])
    assert any(q["data-pareto"] == "true" for q in plotted.values()), f"{group}: no Pareto point"
print("sweep page: every point plotted with its accuracy in", sorted(sweep_dom.points))

job, job_dom = json.load(open(sys.argv[3])), parse(sys.argv[4])
acc = job["accuracy"]
for group in ("tradeoff-latency", "tradeoff-bops"):
    got = job_dom.points.get(group, {})
    assert "final" in got and "fp32" in got, f"{group}: plotted {sorted(got)}"
    assert abs(float(got["final"]["data-accuracy"]) - acc["final"]) < 1e-3, (group, got["final"], acc)
assert "layers-table" in job_dom.tables, f"no per-layer table: {sorted(job_dom.tables)}"
downloads = [l for l in job_dom.links if l.endswith("/export/model.onnx")]
assert downloads, f"no download link of model.onnx: {sorted(job_dom.links)}"
print("job page: configurations plotted, per-layer table, download", downloads[0])
PY
for f in sweep job; do
  [[ $(stat -c %s "$SHOTS/$f.png") -gt 20000 ]] || fail "the $f screenshot is empty"
done
log "PASS (screenshots: $SHOTS/sweep.png, $SHOTS/job.png)"
