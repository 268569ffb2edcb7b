#!/usr/bin/env bash
# The Free Bits device flow end to end with the real CLI: `profiles export-spec --model lenet5`
# writes the table to measure, a stand-in "device" fills the latency column (a MAC-proportional
# cost, cheaper at 4 bits), `profiles import` stores it, and a job on that profile reports its
# latencies from exactly that table. Usage: device_flow_test.sh PATH/TO/bitsearch
set -euo pipefail
BIN=$(realpath "$1")
WORK=$(mktemp -d /tmp/bitsearch-device-flow.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export BITSEARCH_HOME=$WORK/home
cd "$WORK"

"$BIN" profiles export-spec --model lenet5 --out spec.csv || fail "export-spec --model lenet5"
rows=$(($(wc -l <spec.csv) - 1))
[[ $rows -eq 36 ]] || fail "lenet5 has 4 unique signatures x 9 bit pairs = 36 rows, got $rows"
if "$BIN" profiles export-spec --model no-such-net 2>err.txt; then fail "unknown model accepted"; fi
grep -q "no-such-net" err.txt || fail "unknown model error does not name it: $(cat err.txt)"

# The "device": cycles = MACs x per-MAC cost of the narrower operand, + 100 per layer.
python3 - spec.csv measured.csv <<'PY'
import csv, sys
cost = {2: 0.5, 4: 0.25, 8: 0.5}   # 4-bit SIMD is the sweet spot; 2 bits must unpack
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    macs = int(r["out_h"]) * int(r["out_w"]) * int(r["out_channels"]) * \
        int(r["in_channels"]) // int(r["groups"]) * int(r["kernel_h"]) * int(r["kernel_w"])
    bits = min(int(r["act_bits"]), int(r["weight_bits"]))
    r["latency"] = str(int(macs * cost[bits]) + 100)
with open(sys.argv[2], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
PY
"$BIN" profiles import measured.csv --name testdev --unit cycles >import.log || fail "import"
grep -q testdev <<<"$("$BIN" profiles list)" || fail "imported profile not listed"

cat > job.json <<'SPEC'
{"name": "device-flow", "model": {"zoo": "lenet5"}, "hardware": {"profile": "testdev"},
 "dataset": {"name": "synthetic", "synthetic_train": 512, "synthetic_test": 128},
 "pretrain": {"epochs": 1}, "search": {"epochs": 1}, "finetune": {"epochs": 0}}
SPEC
"$BIN" run job.json --out result.json --threads 1 --no-cache >run.log 2>&1 || { tail run.log; fail "job on testdev"; }
python3 - result.json <<'PY' || fail "the job's latencies are not the imported table's"
import json, sys
r = json.load(open(sys.argv[1]))
lat = r["latency"]
assert lat["unit"] == "cycles", lat
# w8a8 from the table: every layer at 8/8 costs MACs x 0.5 + 100.
want = sum(int(l["macs"] * 0.5) + 100 for l in r["layers"])
assert lat["w8a8"] == want, (lat["w8a8"], want)
assert lat["final"] <= lat["searched"] + 1e-9, lat   # the freebie pass never adds latency
print("device flow OK:", lat)
PY
echo PASS
