#!/usr/bin/env bash
# End-to-end test of an embedded sweep (`bitsearch run` of a spec with a "sweep" block, and
# --set): every point runs, the float model is trained once and shared, each point's result and
# the sweep's result (Pareto marks), chart and report are written; --resume re-runs only points
# without a result; --export is refused for a sweep. Usage: cli_sweep_test.sh PATH/TO/bitsearch
set -euo pipefail
BIN=$1
WORK=$(mktemp -d /tmp/bitsearch-cli-sweep.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$WORK"

cat > sweep.json <<'SPEC'
{"name": "tiny-sweep", "model": {"zoo": "lenet5"},
 "dataset": {"name": "synthetic", "synthetic_train": 800, "synthetic_test": 200},
 "pretrain": {"epochs": 1}, "search": {"epochs": 1, "seed": 3, "gate_init": 0.5, "gate_lr": 0.1},
 "refine": {"method": "none"}, "finetune": {"epochs": 0},
 "checkpoint_every": 0, "sweep": {"search.mu": [0.01, 3.0]}}
SPEC

"$BIN" run sweep.json --threads 1 --no-cache --out out/sweep.json --checkpoint ckpts > run1.log 2>&1 \
  || { cat run1.log; fail "the sweep failed"; }
for f in out/sweep.json out/sweep.svg out/sweep.html; do [ -s "$f" ] || fail "$f missing"; done
n=$(ls out/sweep/*.json | wc -l); [ "$n" = 2 ] || fail "$n point results, expected 2"
[ "$(grep -c 'pretrained model taken from the shared pretraining' run1.log)" = 2 ] \
  || { cat run1.log; fail "the points did not start from the shared float model"; }
[ "$(grep -c '^pretrain .*fp32 top-1' run1.log || true)" -le 3 ] || fail "pretraining ran more than once"
python3 - out/sweep.json 1 <<'PY' || fail "the sweep result is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
points = r["points"]
assert len(points) == 2, points
assert all(p["state"] == "SUCCEEDED" for p in points), [p["state"] for p in points]
assert sorted(p["settings"]["search.mu"] for p in points) == [0.01, 3.0], points
assert r["pretraining"]["runs"] == int(sys.argv[2]), r["pretraining"]
assert any(p["pareto"] for p in points), "no point on the Pareto front"
assert all(isinstance(p["accuracy"], (int, float)) for p in points), points
print("sweep:", r["sweep"]["state"], [(p["settings"]["search.mu"], p["accuracy"], p["relative_bops_percent"], p["pareto"]) for p in points])
PY
grep -q "tiny-sweep" out/sweep.html || fail "the report does not name the sweep"
grep -q "<svg" out/sweep.html || fail "the report has no chart"
[ -z "$(ls ckpts 2>/dev/null)" ] || fail "finished points leave checkpoints behind"

# --resume: every point has its result; nothing trains again.
"$BIN" run sweep.json --threads 1 --no-cache --out out/sweep.json --checkpoint ckpts --resume > run2.log 2>&1 \
  || { cat run2.log; fail "the resumed sweep failed"; }
[ "$(grep -c 'finished earlier' run2.log)" = 2 ] || { cat run2.log; fail "finished points ran again"; }
python3 - out/sweep.json 0 <<'PY' >/dev/null || fail "the resumed sweep result is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert [p["state"] for p in r["points"]] == ["SUCCEEDED"] * 2
assert r["pretraining"]["runs"] == int(sys.argv[2]), r["pretraining"]
PY

# --set replaces the block's values: the new point runs, the old one with the same settings is kept.
"$BIN" run sweep.json --set search.mu=0.01,1 --threads 1 --no-cache --out out/sweep.json --checkpoint ckpts \
  --resume > run3.log 2>&1 || { cat run3.log; fail "the --set sweep failed"; }
[ "$(grep -c 'finished earlier' run3.log)" = 1 ] || { cat run3.log; fail "expected one point reused"; }
python3 -c 'import json; r=json.load(open("out/sweep.json")); assert sorted(p["settings"]["search.mu"] for p in r["points"]) == [0.01, 1], r["points"]' \
  || fail "--set did not replace the swept values"

# Refused, with the reason, and nothing written.
set +e
"$BIN" run sweep.json --export model > export.log 2>&1; rc=$?
"$BIN" run sweep.json --set search.mu=-1 --out bad/sweep.json > bad.log 2>&1; rc_bad=$?
set -e
[ "$rc" = 2 ] && grep -q -- "--export: a sweep has one model per point" export.log || { cat export.log; fail "--export not refused"; }
[ "$rc_bad" = 2 ] && grep -q "search.mu" bad.log || { cat bad.log; fail "a bad swept value not refused"; }
[ ! -e bad ] || fail "a refused sweep wrote files"
echo "PASS"
