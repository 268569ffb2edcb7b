#!/usr/bin/env bash
# Gradient-L1 ("quantization-ready") pretraining judged by post-training quantization, on
# Fashion-MNIST LeNet-5: for plain pretraining and for each LAMBDAS entry (LAMBDA_W:LAMBDA_A, or
# one value for both; gradient-L1 from epoch START, counted from 0),
# the float accuracy and the W4A4 and W4A8 post-training accuracy (search.method "none": ranges
# set on 1,024 training samples, RANGE "mse" or "min-max", nearest rounding, no training after).
# One pretraining per variant (the pretrain cache serves the other bit widths). Prints a Markdown
# table (docs/RESULTS.md "Gradient-L1 pretraining").
#   BIN=build/bitsearch THREADS=2 EPOCHS=3 START=1 LAMBDAS="0.0001:0.01" BITS="4,4 4,8" RANGE=mse \
#     bench/methods/grad_l1_ptq.sh
set -euo pipefail
BIN=${BIN:-build/bitsearch}
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-3}
LAMBDAS=${LAMBDAS:-"0.0001:0.01"}
START=${START:-1}
BITS=${BITS:-"4,4 4,8"}
RANGE=${RANGE:-mse}
OUT=${OUT:-/tmp/bitsearch-grad-l1}
mkdir -p "$OUT"
echo "ranges: $RANGE, $EPOCHS pretraining epochs, gradient-L1 from epoch $((START + 1))"
echo "| pretraining | fp32 top-1 | pretrain s | $(for b in $BITS; do echo -n "W${b%,*}A${b#*,} PTQ top-1 | "; done)"
echo "|---|---|---|$(for b in $BITS; do echo -n "---|"; done)"
for lambda in plain $LAMBDAS; do
  line="| $([ "$lambda" = plain ] && echo plain || echo "grad-L1 lambda_w:lambda_a $lambda from epoch $((START + 1))") |"
  first=1
  for b in $BITS; do
    name="gl1-${lambda//:/_}-w${b%,*}a${b#*,}-$RANGE"
    /usr/bin/python3 - "$OUT/$name.json" "$name" "$lambda" "$EPOCHS" "${b%,*}" "${b#*,}" "$RANGE" "$START" <<'PY'
import json, sys
path, name, lam, epochs, w, a, rng, start = sys.argv[1:]
pretrain = {"epochs": int(epochs)}
if lam != "plain":
    lw, la = (lam.split(":") + [lam])[:2] if ":" in lam else (lam, lam)
    pretrain["grad_l1"] = {"lambda_w": float(lw), "lambda_a": float(la), "start_epoch": int(start)}
json.dump({"name": name, "model": "lenet5", "dataset": {"name": "fashion-mnist"},
           "pretrain": pretrain, "search": {"method": "none"}, "refine": {"method": "none"},
           "finetune": {"epochs": 0},
           "ptq": {"weight_bits": int(w), "act_bits": int(a), "range": rng}},
          open(path, "w"))
PY
    "$BIN" run "$OUT/$name.json" --threads "$THREADS" --out "$OUT/$name.result.json" \
      > "$OUT/$name.log" 2>&1 || { echo "job $name failed: see $OUT/$name.log" >&2; exit 1; }
    read -r fp32 final pre <<<"$(/usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
print(r['accuracy']['fp32'], r['accuracy']['final'], r['timings'].get('pretrain', 0))" "$OUT/$name.result.json")"
    if [ $first = 1 ]; then line="$line $(printf %.2f "$fp32")% | $(printf %.0f "$pre") |"; first=0; fi
    line="$line $(printf %.2f "$final")% |"
  done
  echo "$line"
done
