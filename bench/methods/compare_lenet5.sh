#!/usr/bin/env bash
# FracBits beside Bayesian Bits on Fashion-MNIST LeNet-5, one job per prior ("compare_methods"):
# with the BOPs prior FracBits aims at the relative BOPs Bayesian Bits searched, with the latency
# prior at the latency it searched on pulp-xpulpv2. Both methods start from the same pretrained
# float model and go through the same Free Bits refinement and fine-tune. Prints one table per
# job (docs/RESULTS.md "FracBits beside Bayesian Bits").
#   BIN=build/bitsearch THREADS=2 MU=0.1 OUT=/tmp/bitsearch-compare bench/methods/compare_lenet5.sh
set -euo pipefail
BIN=${BIN:-build/bitsearch}
THREADS=${THREADS:-2}
MU=${MU:-0.1}
PRIORS=${PRIORS:-"bops latency"}
OUT=${OUT:-/tmp/bitsearch-compare}
mkdir -p "$OUT"
here=$(cd "$(dirname "$0")" && pwd)
for prior in $PRIORS; do
  spec="$OUT/compare-$prior.json"
  /usr/bin/python3 - "$here/../../examples/lenet5-fashion-mnist.json" "$spec" "$prior" "$MU" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["name"] = "compare-" + sys.argv[3]
spec["search"]["regularizer"] = sys.argv[3]
spec["search"]["mu"] = float(sys.argv[4])
spec["search"].pop("gate_lr", None)  # the default schedule
spec["baselines"] = []
spec["compare_methods"] = ["bayesian_bits", "fracbits"]
json.dump(spec, open(sys.argv[2], "w"), indent=1)
PY
  /usr/bin/time -f "$prior job: %e s wall" "$BIN" run "$spec" --threads "$THREADS" \
    --out "$OUT/result-$prior.json" > "$OUT/log-$prior.txt" 2>&1
  tail -1 "$OUT/log-$prior.txt"
  /usr/bin/python3 "$here/comparison_table.py" "$OUT/result-$prior.json"
done
