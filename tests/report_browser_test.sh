#!/usr/bin/env bash
# The HTML report of a real `bitsearch run` in a real browser: headless Chromium (Debian's
# `chromium`) loads it from disk; the DOM it builds must hold every configuration of the result
# as a plotted point with the result's figures, and, measured with the browser's own fonts, no two
# texts of the chart may overlap. A screenshot is saved for a person to look at.
# Usage: report_browser_test.sh BITSEARCH_BIN SCREENSHOT_DIR
set -euo pipefail
BIN=$(realpath "$1")
SHOTS=$2
mkdir -p "$SHOTS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bitsearch-report-XXXXXX")
cleanup() {
  local rc=$?
  [[ $rc -eq 0 ]] && rm -rf "$WORK" || echo "---- FAILED (rc=$rc); files in $WORK ----" >&2
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
source "$(dirname "$0")/browser_lib.sh"

cat >"$WORK/spec.json" <<'SPEC'
{"name": "report-browser", "model": "lenet5",
 "dataset": {"name": "synthetic", "synthetic_train": 768, "synthetic_test": 256},
 "hardware": {"profile": "pulp-xpulpv2"},
 "pretrain": {"epochs": 1}, "search": {"epochs": 1, "mu": 0.3}, "finetune": {"epochs": 1},
 "baselines": ["w8a8", "w4a4"]}
SPEC
(cd "$WORK" && "$BIN" run spec.json --out out/result.json --threads 1 --no-cache \
  --checkpoint run.ckpt >run.log 2>&1) || { tail -20 "$WORK/run.log"; fail "bitsearch run failed"; }
for f in result.json result.svg result.html; do [[ -s $WORK/out/$f ]] || fail "run did not write $f"; done
grep -q "report written to out/result.html" "$WORK/run.log" || fail "run does not say where the report is"

chrome --dump-dom "file://$WORK/out/result.html" >"$WORK/dom.html"
[[ -s $WORK/dom.html ]] || fail "chromium produced no DOM (see $WORK/chromium.log)"

# Every configuration is a plotted point carrying the result's own figures.
dom_python - "$WORK/out/result.json" "$WORK/dom.html" <<'PY'
import json, sys
from chart_dom import parse

result = json.load(open(sys.argv[1]))
p = parse(sys.argv[2])
lat, acc = result["latency"], result["accuracy"]
want = {
    "tradeoff-latency": {"final": (acc["final"], lat["final"]), "searched": (acc["searched"], lat["searched"]),
                         "fp32": (acc["fp32"], lat["fp32"])},
    "tradeoff-bops": {"final": (acc["final"], result["relative_bops_percent"]),
                      "searched": (acc["searched"], result["relative_bops_percent_searched"]),
                      "fp32": (acc["fp32"], 100.0)},
}
for b in result["baselines"]:
    want["tradeoff-latency"][b["name"]] = (b["accuracy"], b["latency"])
    want["tradeoff-bops"][b["name"]] = (b["accuracy"], b["relative_bops_percent"])
for group, points in want.items():
    got = p.points.get(group, {})
    assert set(got) == set(points), f"{group}: plotted {sorted(got)}, expected {sorted(points)}"
    for label, (a, c) in points.items():
        assert abs(float(got[label]["data-accuracy"]) - a) < 1e-3, (group, label, got[label], a)
        assert abs(float(got[label]["data-cost"]) - c) <= 1e-5 * abs(c), (group, label, got[label], c)
    assert any(q["data-pareto"] == "true" for q in got.values()), f"{group}: no Pareto-optimal point"
for t in ["summary", "layers-table", "baselines", "points-latency", "points-bops", "timings"]:
    assert t in p.tables, f"table {t} missing from the DOM"
print("plotted points match the result:", {g: sorted(v) for g, v in p.points.items()})
PY

# Text boxes as Chromium lays them out (its fonts, not our estimate): no two overlap, and every
# text of the chart lies inside the chart.
sed 's|</body>|<script>\
const svg = document.querySelector("#chart svg").getBoundingClientRect();\
const boxes = [...document.querySelectorAll("#chart svg text")].map(t => {\
  const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, t.textContent]; });\
const pre = document.createElement("pre"); pre.id = "measured";\
pre.textContent = JSON.stringify({svg: [svg.left, svg.top, svg.right, svg.bottom], boxes});\
document.body.appendChild(pre);\
</script></body>|' "$WORK/out/result.html" >"$WORK/out/measure.html"
chrome --window-size=1000,3000 --dump-dom "file://$WORK/out/measure.html" >"$WORK/measured.html"
python3 - "$WORK/measured.html" <<'PY'
import html, json, re, sys
m = re.search(r'<pre id="measured">(.*?)</pre>', open(sys.argv[1]).read(), re.S)
assert m, "the measuring script did not run"
data = json.loads(html.unescape(m.group(1)))
boxes, (sx0, sy0, sx1, sy1) = data["boxes"], data["svg"]
assert len(boxes) > 40, f"only {len(boxes)} texts in the chart"
eps = 0.5  # sub-pixel rounding
overlaps = [(a[4], b[4]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a[0] < b[2] - eps and b[0] < a[2] - eps and a[1] < b[3] - eps and b[1] < a[3] - eps]
assert not overlaps, f"overlapping texts: {overlaps[:5]}"
outside = [b[4] for b in boxes if b[0] < sx0 - eps or b[2] > sx1 + eps or b[1] < sy0 - eps or b[3] > sy1 + eps]
assert not outside, f"texts outside the chart: {outside[:5]}"
print(f"{len(boxes)} texts measured in Chromium: none overlap, all inside the chart")
PY

chrome --window-size=900,2600 --hide-scrollbars --screenshot="$SHOTS/report.png" "file://$WORK/out/result.html" >/dev/null
[[ $(stat -c %s "$SHOTS/report.png") -gt 20000 ]] || fail "the screenshot is empty"
cp "$WORK/out/result.html" "$WORK/out/result.svg" "$WORK/out/result.json" "$SHOTS/"
echo "PASS report_browser (screenshot: $SHOTS/report.png)"
