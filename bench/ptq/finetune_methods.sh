#!/usr/bin/env bash
# After one search, the three ways to finish it side by side: the searched bits fine-tuned
# (finetune.method "qat"), rounded by AdaRound without training ("adaround"), and both
# ("adaround+qat"). Three jobs of the same spec (examples/lenet5-fashion-mnist.json without its
# baselines) that differ only in finetune.method; the same seed and thread count give all three
# the same pretraining (cached after the first) and the same search, which the table checks.
#   bash bench/ptq/finetune_methods.sh BITSEARCH_BIN OUT_DIR [THREADS] [ADAROUND_ITERATIONS]
# Then: python3 bench/ptq/finetune_table.py OUT_DIR
set -euo pipefail
bin=$(realpath "$1")
out=$(realpath -m "$2")
threads=${3:-2}
iterations=${4:-10000}
cd "$(dirname "$0")/../.."
mkdir -p "$out"
for method in qat adaround adaround+qat; do
  name=${method/+/-}
  python3 - "$out/$name.spec.json" "$method" "$iterations" <<'PY'
import json, sys
spec = json.load(open("examples/lenet5-fashion-mnist.json"))
spec["name"] = "finetune-" + sys.argv[2].replace("+", "-")
spec["baselines"] = []
finetune = {"method": sys.argv[2]}
if sys.argv[2] != "adaround":
    finetune["epochs"] = spec["finetune"]["epochs"]
if sys.argv[2] != "qat":
    finetune["adaround"] = {"iterations": int(sys.argv[3])}
spec["finetune"] = finetune
json.dump(spec, open(sys.argv[1], "w"), indent=1)
PY
  echo "[$(date +%H:%M:%S)] finetune.method $method"
  /usr/bin/time -f "%e s wall" -o "$out/$name.time" "$bin" run "$out/$name.spec.json" \
    --threads "$threads" --out "$out/$name.json" --export "$out/$name-export" \
    >"$out/$name.log" 2>&1
done
echo "[$(date +%H:%M:%S)] done: $out"
